"""Where a batch import's CPU goes, per memory: embedding (tokenisation, the ONNX graph) and the calling thread's
decisions and writes, split by stage. The figures behind bench/notes/write-throughput.md.

    python -m bench.write_budget [--n 2000] [--repeat 3] [--embed-only | --decide-only] [--pipeline]

The texts are bench.core's batch texts. Embedding is timed alone, chunk by chunk as remember_many queues it
(`EMBED_CHUNK` texts per call), as process CPU (its worker threads included). The decisions are timed with the
vectors precomputed, so the calling thread's CPU is the serial part alone: each stage is wrapped and its own
thread CPU summed (nested stages count in their parents too). CPU time, not wall time: the machine is shared.
"""

from __future__ import annotations

import argparse
import functools
import os
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.core import CACHE, CachedQueries, build, sentence


class Precomputed(CachedQueries):
    """The embedder with every text's vector computed beforehand (bench.core's CachedQueries, for writes too):
    remember_many's serial part alone."""

    def embed(self, texts):
        return np.stack([self.vectors[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


def _timed(totals: dict, calls: dict, name: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        t = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[name] += time.thread_time() - t
            calls[name] += 1
    return wrapper


def embed_budget(embedder, texts: list[str]) -> dict[str, float]:
    """ms of CPU per text: the whole `embed`, and its tokenisation alone (one thread, same chunks)."""
    from server.service import EMBED_CHUNK

    chunks = [texts[s : s + EMBED_CHUNK] for s in range(0, len(texts), EMBED_CHUNK)]
    embedder.embed(chunks[0])  # warm-up
    c = time.process_time()
    for chunk in chunks:
        embedder.embed(chunk)
    total = time.process_time() - c
    tokenizer = embedder._model.model.tokenizer
    c = time.process_time()  # the tokenizer may run a batch on threads of its own
    for chunk in chunks:
        tokenizer.encode_batch(chunk)
    tok = time.process_time() - c
    return {"embed (all threads)": total * 1000 / len(texts), "  tokenisation": tok * 1000 / len(texts)}


def decide_budget(pre: Precomputed, texts: list[str], batch: int = 256) -> tuple[dict[str, float], dict[str, int], float]:
    """ms of calling-thread CPU per memory by stage, calls per memory, and the background catch-up's CPU per memory."""
    from server.memops import encode as E, features as F, learned as L
    from server.models import RememberRequest

    totals: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    with tempfile.TemporaryDirectory() as d:
        app = build(Path(d) / "b.db", pre)
        svc, store = app.service, app.store
        svc.remember(RememberRequest(namespace="w", content="warm-up: waits for the memory-ops model"))
        ops = svc.ops.wait() if hasattr(svc.ops, "wait") else svc.ops
        catch_up = []
        for obj, names in (
            (svc, ["_validate_remember", "_pre_gate", "_decide", "_apply"]),
            (store, ["find_active_by_hash", "vector_search", "texts_by_rowids", "vectors_by_rowid", "insert", "audit",
                     "update_fields", "reinforce"]),
            (ops, ["decide"]),
            (ops.np, ["forward"]),
        ):
            for name in names:
                setattr(obj, name, _timed(totals, calls, f"{type(obj).__name__}.{name}", getattr(obj, name)))
        originals = [(mod, name, getattr(mod, name)) for mod, name in
                     ((L, "encode"), (E, "statement_features"), (E, "pair_features"), (E, "parse"))]
        originals.append((L.LearnedOps, "_reason", L.LearnedOps.__dict__["_reason"]))
        for mod, name, fn in originals[:-1]:
            setattr(mod, name, _timed(totals, calls, f"{mod.__name__.rsplit('.', 1)[-1]}.{name}", fn))
        L.LearnedOps._reason = staticmethod(_timed(totals, calls, "learned._reason", L.LearnedOps._reason))
        from server.store import driver as D

        sql = [0.0]  # the calling thread's time in the SQLite driver (every statement: reads, writes, commits)

        def sql_timed(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                if threading.current_thread() is not threading.main_thread():
                    return fn(*args, **kwargs)
                t = time.thread_time()
                try:
                    return fn(*args, **kwargs)
                finally:
                    sql[0] += time.thread_time() - t
            return wrapper

        originals += [(D.Database, name, getattr(D.Database, name)) for name in ("execute", "executemany", "insert")]
        for cls, name, fn in originals[-3:]:
            setattr(cls, name, sql_timed(fn))
        # Every run starts with cold parse caches, as a fresh process does.
        for cache in (E.parsed, F._side, F._markers):
            cache.cache_clear()
        real_catch_up = getattr(store, "catch_up_keywords", None)  # absent before cb4943c: A/B against older commits

        def counted_catch_up(namespace):
            t = time.thread_time()
            real_catch_up(namespace)
            catch_up.append(time.thread_time() - t)

        if real_catch_up is not None:
            store.catch_up_keywords = counted_catch_up
        reqs = [RememberRequest(namespace="b", content=t) for t in texts]
        c = time.thread_time()
        for start in range(0, len(reqs), batch):
            svc.remember_many(reqs[start : start + batch])
        whole = time.thread_time() - c
        if getattr(svc, "_index_pool", None) is not None:
            svc._index_pool.submit(lambda: None).result()
        store.close()
        for mod, name, fn in originals:
            setattr(mod, name, fn)
    n = len(texts)
    out = {"remember_many (calling thread)": whole * 1000 / n}
    out.update({k: v * 1000 / n for k, v in totals.items()})
    out["SQL in the driver (all statements)"] = sql[0] * 1000 / n
    return out, {k: v / n for k, v in calls.items()}, sum(catch_up) * 1000 / n


def pipeline(embedder, texts: list[str], batch: int = 256) -> dict[str, float]:
    """The real batch import (embedding in the background): its rate, CPU per memory, and how long the calling
    thread waited for vectors (ms of wall time per memory: time the decisions could not overlap the embedding)."""
    from server import service as S
    from server.models import RememberRequest

    waited, helped = [0.0], [0.0]  # wall time in _at; of it, embedding a chunk itself
    real_at, real_start = S._Vectors._at, S._Vectors.start
    finished: list[float] = []  # when each embedding chunk finished

    real_embed = getattr(S._Vectors, "_embed", None)  # chunks embedded by whichever thread gets there first

    def timed_embed(self, c):
        t = time.perf_counter()
        real_embed(self, c)
        finished.append(time.perf_counter())
        if threading.current_thread() is threading.main_thread():
            helped[0] += finished[-1] - t

    def timed_start(self, embedder, pool):
        real_start(self, embedder, pool)
        for future in getattr(self, "futures", ()):  # older _Vectors: one future per chunk, all on pool threads
            future.add_done_callback(lambda _: finished.append(time.perf_counter()))

    def timed_at(self, n):
        t = time.perf_counter()
        try:
            return real_at(self, n)
        finally:
            waited[0] += time.perf_counter() - t

    with tempfile.TemporaryDirectory() as d:
        app = build(Path(d) / "p.db", embedder)
        app.service.remember(RememberRequest(namespace="w", content="warm-up: waits for the memory-ops model"))
        reqs = [RememberRequest(namespace="b", content=t) for t in texts]
        S._Vectors._at, S._Vectors.start = timed_at, timed_start
        if real_embed is not None:
            S._Vectors._embed = timed_embed
        tail = 0.0  # wall time a batch went on deciding after its last vector was ready: the embedding threads idle
        try:
            t, c, own = time.perf_counter(), time.process_time(), time.thread_time()
            for start in range(0, len(reqs), batch):
                finished.clear()
                app.service.remember_many(reqs[start : start + batch])
                tail += time.perf_counter() - max(finished)
            wall, cpu, own = time.perf_counter() - t, time.process_time() - c, time.thread_time() - own
        finally:
            S._Vectors._at, S._Vectors.start = real_at, real_start
            if real_embed is not None:
                S._Vectors._embed = real_embed
        app.store.close()
    n = len(texts)
    return {"rate (memories/s)": n / wall, "CPU per memory (ms, all threads)": cpu * 1000 / n,
            "calling thread CPU per memory (ms)": own * 1000 / n, "calling thread waiting for vectors (ms per memory)": (waited[0] - helped[0]) * 1000 / n,
            "calling thread embedding a chunk itself (ms per memory)": helped[0] * 1000 / n,
            "deciding after the last vector, embedding idle (ms per memory)": tail * 1000 / n, "wall per memory (ms)": wall * 1000 / n}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="memories (bench.core's batch texts)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each part; each figure is its least over the runs "
                        "(the machine is shared: other work inflates CPU time through caches and the host, never deflates it)")
    parser.add_argument("--embed-only", action="store_true")
    parser.add_argument("--pipeline", action="store_true", help="also time the real batch import and its waits")
    parser.add_argument("--decide-only", action="store_true")
    args = parser.parse_args(argv)
    from server.config import Settings
    from server.embed import FastEmbedEmbedder

    settings = Settings()
    embedder = FastEmbedEmbedder("offline", CACHE, precision=settings.embedding_precision)
    texts = [sentence(20_000_000 + i) for i in range(args.n)]
    print(f"{args.n} texts, {embedder.precision}; load {os.getloadavg()[0]:.1f}")
    if not args.decide_only:
        runs = [embed_budget(embedder, texts) for _ in range(args.repeat)]
        for name, ms in {k: min(r[k] for r in runs) for k in runs[0]}.items():
            print(f"{name:<40} {ms:6.2f} ms CPU per text")
    if not args.embed_only:
        pre = Precomputed(embedder, texts + ["warm-up: waits for the memory-ops model"])
        runs = [decide_budget(pre, texts) for _ in range(args.repeat)]
        stages = {k: min(r[0][k] for r in runs) for k in runs[0][0]}
        calls, catch_up = runs[0][1], min(r[2] for r in runs)
        for name, ms in stages.items():
            print(f"{name:<40} {ms:6.2f} ms CPU per memory" + (f"  ({calls[name]:.1f} calls)" if name in calls else ""))
        print(f"{'keyword catch-up (background thread)':<40} {catch_up:6.2f} ms CPU per memory")
    if args.pipeline:
        for name, value in pipeline(embedder, texts).items():
            print(f"{name:<52} {value:7.2f}")
    print(f"load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
