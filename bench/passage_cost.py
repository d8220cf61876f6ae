"""What passage vectors cost at ingest: how many memories get them, how many texts, and the embedding CPU.

    python bench/passage_cost.py LONGMEMEVAL.json --format longmemeval [--limit 30] [--offset 0] [--sample 60]
    python bench/passage_cost.py LOCOMO.json --format locomo --limit 5
    python bench/passage_cost.py --search-rows 100000 [--passages-per-memory 1.3]

For the turns of the slice (LongMemEval: the user turns ingest stores), counts the memories longer than
`passages.LONG_WORDS` words and their passages (server/passages.py), then times, through the real embedder, a
seeded sample of sessions embedded as `remember_many` embeds them: the session's turns in one call, then the same
turns each followed by its passages. Process CPU, not wall time: the machine is shared. Assistant contexts
(`--replied-context`) are not counted: they cost the same with and without passages.

`--search-rows N` instead times `VectorIndex.search` (the real code, over an index filled in memory with random
unit vectors: cost, not quality) for N memories with and without passages (`--passages-per-memory` of them on
average, LongMemEval's user turns have 1.3), thread CPU per search, 50 results asked.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server import passages  # noqa: E402
from server.bench.datasets import load  # noqa: E402


def _cpu(embedder, texts: list[str]) -> float:
    t0 = time.process_time()
    embedder.embed(texts)
    return time.process_time() - t0


def search_cost(rows: int, per_memory: float, searches: int = 200, dim: int = 384) -> None:
    """Thread CPU of `VectorIndex.search` at `rows` memories, passages ignored and used."""
    import contextlib

    import numpy as np

    from server.store.vector_index import VectorIndex, _Partition

    class _InMemory(VectorIndex):  # the real search over a partition filled here: no file to keep step with
        def _sync(self) -> None:
            pass

    rng = np.random.default_rng(7)
    unit = lambda n: (lambda m: m / np.linalg.norm(m, axis=1, keepdims=True))(rng.standard_normal((n, dim), dtype=np.float32))  # noqa: E731
    part = _Partition(dim=dim)
    rowids = np.arange(1, rows + 1, dtype=np.int64)
    part.append(rowids, unit(rows), np.ones(rows, dtype=bool))
    count = int(rows * per_memory)
    index = _InMemory(type("Db", (), {"read": staticmethod(contextlib.nullcontext)})())
    index._parts["r"] = part
    queries = unit(searches)
    for label in ("no passages", f"{count} passages, ignored", f"{count} passages, used"):
        if label.startswith(str(count)) and not part.passage_count:
            part.append_passages(rng.choice(rowids, count), unit(count))
        use = label.endswith("used")
        index.search("r", queries[0], 50, False, passages=use)  # warm-up (fits the first-pass sketch)
        cpu = []
        for q in queries:
            t0 = time.thread_time()
            index.search("r", q, 50, False, passages=use)
            cpu.append(time.thread_time() - t0)
        cpu.sort()
        print(f"  {rows} memories, {label:28s}: search CPU p50 {1000 * cpu[len(cpu) // 2]:.2f} ms, p95 {1000 * cpu[int(len(cpu) * 0.95)]:.2f} ms")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path, nargs="?")
    ap.add_argument("--search-rows", type=int, help="time VectorIndex.search at this many memories instead")
    ap.add_argument("--passages-per-memory", type=float, default=1.3)
    ap.add_argument("--format", choices=["locomo", "longmemeval"], default="longmemeval")
    ap.add_argument("--limit", type=int, default=30)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--sample", type=int, default=60, help="sessions timed (a seeded sample; 0: counts only)")
    args = ap.parse_args(argv)
    if args.search_rows:
        return search_cost(args.search_rows, args.passages_per_memory)
    if args.path is None:
        ap.error("give a data set path, or --search-rows N")
    from server.config import Settings
    from server.embed import FastEmbedEmbedder

    dataset = load(args.format, args.path, limit=args.limit, offset=args.offset)
    sessions = [s for c in dataset.conversations for s in c.sessions if s.turns]
    texts = [t.content() for s in sessions for t in s.turns]
    parts = [passages.split(t) for t in texts]
    long_ones = sum(1 for p in parts if p)
    words = sum(len(t.split()) for t in texts)
    passage_words = sum(len(p.split()) for ps in parts for p in ps)
    print(f"{args.format} {args.offset + 1}-{args.offset + len(dataset.conversations)}: {len(texts)} memories, {long_ones} "
          f"({long_ones / len(texts):.0%}) over {passages.LONG_WORDS} words get {sum(map(len, parts))} passages "
          f"({sum(map(len, parts)) / len(texts):.2f} per memory); words embedded {words} -> {words + passage_words} "
          f"(+{passage_words / words:.0%})")
    if args.sample < 1:
        return
    settings = Settings(db=Path("/nonexistent/unused.db"), embedding_model="offline")
    embedder = FastEmbedEmbedder(settings.embedding_model, settings.embedding_cache_dir, precision=settings.embedding_precision)
    sample = random.Random(7).sample(sessions, min(args.sample, len(sessions)))
    scale = len(sessions) / len(sample)
    embedder.embed([t.content() for t in sample[0].turns])  # warm-up
    plain = with_passages = 0.0
    for s in sample:  # alternate, so a change in the machine's load hits both alike
        turns = [t.content() for t in s.turns]
        plain += _cpu(embedder, turns)
        with_passages += _cpu(embedder, [x for t in turns for x in (t, *passages.split(t))])
    n = sum(len(s.turns) for s in sample)
    print(f"embedding CPU over {len(sample)} of {len(sessions)} sessions ({n} memories), one call per session, scaled to the slice:")
    print(f"  memories alone:     {plain * scale:7.0f} s ({1000 * plain / n:.1f} ms per memory)")
    print(f"  with passages:      {with_passages * scale:7.0f} s ({1000 * with_passages / n:.1f} ms per memory, "
          f"+{with_passages / plain - 1:.0%})")


if __name__ == "__main__":
    main()
