"""Where a recall's time goes: wall and CPU per stage, on a bench.core store or one ingested conversation.

    python -m bench.recall_stages --size 100000 [--queries 100] [--db FILE]
    python -m bench.recall_stages --dataset locomo /path/locomo10.json [--conv 0] [--depth 20] [--strategy vector]

Each store call recall makes (keyword search, vector search, the candidate and result reads, the log)
and the query embedding is wrapped in a timer that records its wall time and its own thread's CPU
time, so the keyword search and the embedding, which run in worker threads, are measured where they
run. Recall itself is timed in wall and process CPU (all threads). CPU time is the figure to compare on
a busy machine. Prints only; it writes nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.core import CACHE, QUERIES, build, fill

STAGES = ("keyword_search", "vector_search", "facts_by_rowids", "facts_by_ids", "by_rowids", "texts_by_rowids", "conflicted", "reinforce", "log_recall", "audit")
# MemoryService's own steps between the store calls (neighbour spread, history lift, session support, learned stage).
SERVICE_STAGES = ("_spread", "_lift_history", "_session_support", "_learned_rerank")


def _timed(samples: dict, obj, name: str) -> None:
    inner = getattr(obj, name)

    def call(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return inner(*args, **kwargs)
        finally:
            samples[name].append(((time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000))

    setattr(obj, name, call)


def _timed_prepared(samples: dict, embedder) -> None:
    """Time `prepare_query` (the tokeniser) and the call it returns (the model) together as "embed_query"."""
    prepare = embedder.prepare_query

    def timed(text):
        wall, cpu = time.perf_counter(), time.thread_time()
        run = prepare(text)
        spent = (time.perf_counter() - wall, time.thread_time() - cpu)

        def timed_run():
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return run()
            finally:
                samples["embed_query"].append(((spent[0] + time.perf_counter() - wall) * 1000, (spent[1] + time.thread_time() - cpu) * 1000))

        return timed_run

    embedder.prepare_query = timed


def profile(service, requests: list, rounds: int) -> list[str]:
    """Run `requests` round-robin `rounds` times (after a warm-up) and report each stage's median cost."""
    samples: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for req in requests[:5]:
        service.recall(req)
    for name in STAGES:
        if hasattr(service.store, name):
            _timed(samples, service.store, name)
    for name in SERVICE_STAGES:
        if hasattr(service, name):
            _timed(samples, service, name)
    _timed_prepared(samples, service.embedder)  # recall tokenises, starts the keyword search, then runs the model
    total = []
    for i in range(rounds):
        wall, cpu, own = time.perf_counter(), time.process_time(), time.thread_time()
        service.recall(requests[i % len(requests)])
        total.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, (time.thread_time() - own) * 1000))

    def p50(rows, j):
        return statistics.median(r[j] for r in rows)

    lines = [f"recall: wall p50 {p50(total, 0):.2f} ms, process CPU p50 {p50(total, 1):.2f} ms, of it in the calling thread "
             f"{p50(total, 2):.2f} ms ({rounds} recalls; load {os.getloadavg()[0]:.1f})"]
    for name, rows in sorted(samples.items(), key=lambda kv: -p50(kv[1], 1) * len(kv[1])):
        lines.append(f"  {name:16s} {len(rows) / rounds:4.1f} calls/recall  wall p50 {p50(rows, 0):7.2f}  CPU p50 {p50(rows, 1):7.2f} ms")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, help="a bench.core store of this many memories (its queries, k=10)")
    parser.add_argument("--dataset", nargs=2, metavar=("FORMAT", "PATH"), help="ingest one conversation of a retrieval data set")
    parser.add_argument("--conv", type=int, default=0, help="which conversation (default 0)")
    parser.add_argument("--depth", type=int, default=20, help="k for the data set's questions (the harness asks 20 on LoCoMo)")
    parser.add_argument("--queries", type=int, default=100, help="recalls timed")
    parser.add_argument("--strategy", choices=("hybrid", "vector", "keyword"), default="hybrid",
                        help="recall strategy (the retrieval bench's vector-only and BM25-only rows are the other two)")
    parser.add_argument("--db", type=Path, help="with --size: keep the filled store in FILE and reuse it on later runs (the fill takes minutes; "
                        "recalls reinforce what they return, so a reused store drifts a little from a fresh one)")
    args = parser.parse_args(argv)
    if (args.size is None) == (args.dataset is None):
        parser.error("pass exactly one of --size and --dataset")

    from server.config import Settings
    from server.embed import FastEmbedEmbedder
    from server.models import RecallRequest

    settings = Settings()  # REVERIE_EMBEDDING_PRECISION, REVERIE_QUERY_PRECISION
    embedder = FastEmbedEmbedder("offline", CACHE, precision=settings.embedding_precision, query_precision=settings.query_precision)
    with tempfile.TemporaryDirectory() as d:
        if args.size is not None:
            app = build(args.db or Path(d) / "stages.db", embedder)
            filled = app.store.counts().get("r")
            if filled and sum(filled.values()) != args.size:
                parser.error(f"{args.db} holds {sum(filled.values())} memories, not {args.size}")
            if not filled:
                fill(app, "r", args.size, real=min(args.size, 10_000))
            service, store = app.service, app.store
            requests = [RecallRequest(namespace="r", query=q, k=10, strategy=args.strategy) for q in QUERIES]
        else:
            from server import heap
            from server.app import load_ops
            from server.bench.datasets import load
            from server.bench.retrieval import ReverieSystem
            conv = load(args.dataset[0], args.dataset[1], limit=1, offset=args.conv).conversations[0]
            settings = Settings(db=Path(d) / "unused.db", embedding_model="offline", embedding_cache_dir=CACHE, max_content_bytes=1 << 20)
            system = ReverieSystem(settings, embedder, load_ops(settings), Path(d))
            heap.settle()  # as the server does once its models are loaded (server/heap.py)
            system.start(conv)
            for session in conv.sessions:
                if session.turns:
                    system.ingest(session)
            service, store = system.service, system.store
            requests = [
                RecallRequest(namespace=system.namespace, query=q.question, k=args.depth, now=q.date, reinforce=False, strategy=args.strategy)
                for q in conv.questions
            ]
        print("\n".join(profile(service, requests, args.queries)))
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
