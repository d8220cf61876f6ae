"""Tune recall without re-ingesting: ingest LoCoMo conversations once, then score variants of the ranking constants.

    python -m bench.recall_sweep ingest /path/to/locomo10.json --store DIR --offset 0 --limit 3
    python -m bench.recall_sweep score /path/to/locomo10.json --store DIR --offset 0 --limit 3 \
        --variant base='{}' --variant share5='{"service.NEIGHBOR_SHARE": 0.5}'

A variant sets module constants (`service.X` in server.service, `search.X` in server.search) for
its run; each starts from the defaults. Scores are turn-level evidence recall@k, as in
`reverie bench retrieval`. Ingest goes through the real write path, so write-side changes need a
new `ingest`; this is for the read side, where one ingest serves any number of variants.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

MODEL_CACHE = Path(__file__).resolve().parents[1] / ".pytest_cache" / "reverie-models"


def _system(store_dir: Path, cache_dir: Path):
    from server.app import load_ops
    from server.bench.retrieval import ReverieSystem
    from server.config import Settings
    from server.embed import FastEmbedEmbedder

    settings = Settings(db=store_dir / "unused.db", embedding_model="offline", embedding_cache_dir=cache_dir, max_content_bytes=1 << 20)
    return ReverieSystem(settings, FastEmbedEmbedder("offline", cache_dir), load_ops(settings), store_dir)


def ingest(dataset, store_dir: Path, cache_dir: Path) -> None:
    system = _system(store_dir, cache_dir)
    for conv in dataset.conversations:
        system.start(conv)
        for session in conv.sessions:
            if session.turns:
                system.ingest(session)
        system.close()
        shutil.move(store_dir / f"conv{system._n:04d}.db", store_dir / f"{system.namespace}.db")
        print(f"{conv.id}: {dict(system.decisions)}", file=sys.stderr)


def score(dataset, store_dir: Path, cache_dir: Path, variants: dict[str, dict], ks=(5, 10, 20)) -> None:
    from server import search, service
    from server.bench.metrics import aggregate, percentile, turn_metrics
    from server.store import open_store

    modules = {"service": service, "search": search}
    system = _system(store_dir, cache_dir)
    for name, patch in variants.items():
        saved = {key: getattr(modules[key.split(".")[0]], key.split(".")[1]) for key in patch}
        for key, value in patch.items():
            setattr(modules[key.split(".")[0]], key.split(".")[1], tuple(value) if isinstance(value, list) else value)
        rows, latency = [], []
        try:
            for conv in dataset.conversations:
                system.start(conv)
                system.store.close()
                settings = system.settings.model_copy(update={"db": store_dir / f"{system.namespace}.db"})
                system.store = open_store(settings)
                system.service = service.MemoryService(system.store, system.embedder, system.ops, settings)
                for q in conv.questions:
                    t0 = time.perf_counter()
                    hits = system.search(q, max(ks), "hybrid")
                    latency.append((time.perf_counter() - t0) * 1000)
                    row: dict[str, float] = {}
                    for k in ks:
                        row.update(turn_metrics(q.evidence, [h.turns for h in hits], k))
                    rows.append((q.category, row))
                system.close()
        finally:
            for key, value in saved.items():
                setattr(modules[key.split(".")[0]], key.split(".")[1], value)
        overall, by_cat = aggregate(rows)
        cells = " ".join(f"recall@{k} {overall[f'recall@{k}']:.3f}" for k in ks)
        cats = ", ".join(f"{c} {v['recall@10']:.3f}" for c, v in by_cat.items())
        print(f"{name:<16} {cells}  p50 {percentile(latency, 50):.1f} ms  ({cats})", flush=True)


def main(argv: list[str] | None = None) -> int:
    from server.bench.datasets import load

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["ingest", "score"])
    parser.add_argument("path", type=Path, help="locomo10.json")
    parser.add_argument("--store", type=Path, required=True, help="directory for the ingested stores (one SQLite file per conversation)")
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--limit", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path, default=MODEL_CACHE, help="embedding model cache (ONNX export)")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=JSON", help="constants to set, e.g. share5='{\"service.NEIGHBOR_SHARE\": 0.5}'")
    args = parser.parse_args(argv)
    dataset = load("locomo", args.path, limit=args.limit, offset=args.offset)
    args.store.mkdir(parents=True, exist_ok=True)
    if args.action == "ingest":
        ingest(dataset, args.store, args.cache_dir)
        return 0
    variants = {"base": {}}
    for item in args.variant:
        name, _, spec = item.partition("=")
        try:
            variants[name] = json.loads(spec)
        except json.JSONDecodeError as exc:
            parser.error(f"--variant {name}: {exc}")
    score(dataset, args.store, args.cache_dir, variants)
    return 0


if __name__ == "__main__":
    sys.exit(main())
