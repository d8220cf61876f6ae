"""Recall's query path in isolation: the query embedding per path, and the vector search's rescoring.

    python -m bench.query_path [--rounds 400]

Embedding: thread CPU per query (p50) through fastembed's generator (`embed([q])`), the direct call at fp32 and the
direct call on the int8 copy (REVERIE_QUERY_PRECISION), and the int8 vectors' lowest cosine to fp32. Rescoring: the
first pass's 4096 picks out of 100k x 384 random unit vectors scored by one gather and one product, and block by
block (`vector_index.RESCORE_BLOCK`), one BLAS thread. Prints only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

from bench.core import CACHE, QUERIES


def cpu_p50(fn, rounds: int) -> float:
    samples = []
    for i in range(rounds):
        t = time.thread_time()
        fn(i)
        samples.append((time.thread_time() - t) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=400)
    args = parser.parse_args(argv)
    from server import blas
    from server.embed import FastEmbedEmbedder
    from server.store.vector_index import RESCORE_BLOCK, _dot_rows

    print(f"load {os.getloadavg()[0]:.1f}")
    fp32 = FastEmbedEmbedder("offline", CACHE, query_precision="fp32")
    int8 = FastEmbedEmbedder("offline", CACHE, query_precision="int8")
    q = lambda i: QUERIES[i % len(QUERIES)]  # noqa: E731
    for _ in range(2):  # alternated
        print(f"query embedding CPU p50: fastembed {cpu_p50(lambda i: fp32.embed([q(i)]), args.rounds):.2f} ms, "
              f"direct fp32 {cpu_p50(lambda i: fp32.embed_query(q(i)), args.rounds):.2f} ms, "
              f"direct int8 {cpu_p50(lambda i: int8.embed_query(q(i)), args.rounds):.2f} ms")
    cos = min(float(fp32.embed_query(t) @ int8.embed_query(t)) for t in QUERIES)
    print(f"int8 query vectors: lowest cosine to fp32 over {len(QUERIES)} queries {cos:.4f}")

    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(100_000, 384)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    query = matrix[7].copy()
    rows = np.sort(rng.choice(len(matrix), size=4096, replace=False))
    with blas.one_thread():
        for _ in range(2):
            whole = cpu_p50(lambda i: matrix[rows] @ query, args.rounds)
            blocked = cpu_p50(lambda i: _dot_rows(matrix, rows, query), args.rounds)
            print(f"rescoring 4096 of 100k x 384 CPU p50: one gather {whole:.2f} ms, blocks of {RESCORE_BLOCK} {blocked:.2f} ms")
    print("bit-identical:", np.array_equal(matrix[rows] @ query, _dot_rows(matrix, rows, query)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
