"""What a full garbage-collector pass costs once the models are loaded, before and after `server/heap.py` settles.

    python -m bench.gc_pause [--settle] [--dataset FORMAT PATH]   # e.g. --dataset longmemeval longmemeval_s_dev60.json

Loads the embedder and the memory-ops model as the retrieval harness does, with `--settle` calls `heap.settle()`
right after (as the server does once its models load), optionally ingests one conversation (the data set's
first) through the real service, then times `gc.collect()` three times: a full (generation 2) pass, the one that
landed inside recalls as a pause of up to half a second. Run it with and without `--settle` to compare; it prints
the objects a full pass walks and the CPU of each pass.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

from bench.core import CACHE


def full_passes(n: int = 3) -> tuple[int, list[float]]:
    """(objects a full pass walks, CPU ms of each of `n` full passes)."""
    cpu = []
    for _ in range(n):
        c0 = time.process_time()
        gc.collect()
        cpu.append((time.process_time() - c0) * 1000)
    return len(gc.get_objects()), cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settle", action="store_true", help="freeze what the models loaded first (server/heap.py)")
    parser.add_argument("--dataset", nargs=2, metavar=("FORMAT", "PATH"), help="ingest this data set's first conversation first")
    args = parser.parse_args(argv)

    from server import heap
    from server.app import load_ops
    from server.config import Settings
    from server.embed import FastEmbedEmbedder

    with tempfile.TemporaryDirectory(prefix="reverie-gc-") as d:
        settings = Settings(db=Path(d) / "unused.db", embedding_model="offline", embedding_cache_dir=CACHE, max_content_bytes=1 << 20)
        embedder, ops = FastEmbedEmbedder.from_settings(settings), load_ops(settings)
        if args.settle:
            heap.settle()
        system = None
        if args.dataset:
            from server.bench.datasets import load
            from server.bench.retrieval import ReverieSystem

            conv = load(args.dataset[0], args.dataset[1], limit=1).conversations[0]
            system = ReverieSystem(settings, embedder, ops, Path(d))
            system.start(conv)
            for session in conv.sessions:
                if session.turns:
                    system.ingest(session)
            print(f"ingested {conv.id}: {sum(len(s.turns) for s in conv.sessions)} turns")
        objects, cpu = full_passes()
        print(f"{'settled' if args.settle else 'not settled'}: a full pass walks {objects} objects; "
              f"CPU per pass {', '.join(f'{x:.1f}' for x in cpu)} ms")
        if system is not None:
            system.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
