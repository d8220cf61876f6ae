"""Two-pass vector search against the exact scan: overlap of the top k, and the CPU time of each.

    python -m bench.vector_check --locomo /path/to/locomo10.json [--longmemeval /path/to/longmemeval_s.json]
        [--db FILE] [--real N] [--queries N]

Two corpora, queried with LoCoMo's questions (real query embeddings):
- the core benchmark's 100k store (`bench/core.py`: 10k embedded template texts, 90k perturbed
  copies), built into a temporary file unless `--db` names one built before;
- up to `--real` distinct real texts (LoCoMo turns, then LongMemEval-S user turns), embedded.
  That corpus is smaller than 100k, so it is also searched with the rescoring window scaled
  down by N/100k: the first pass then keeps the same share of rows as at 100k, a harsher test.

Prints a Markdown table; the figures go into the report of the change that tuned the constants in
`server/store/vector_index.py` (no BENCHMARKS.md section).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.core import CACHE, build, fill

def real_texts(locomo_path: Path, longmemeval_path: Path | None, limit: int) -> list[str]:
    texts: dict[str, None] = {}
    locomo = json.loads(locomo_path.read_text())
    for conv in locomo:
        for key, turns in conv["conversation"].items():
            if key.startswith("session_") and isinstance(turns, list):
                texts.update((t["text"], None) for t in turns if t.get("text"))
    for item in json.loads(longmemeval_path.read_text()) if longmemeval_path else []:
        for session in item["haystack_sessions"]:
            texts.update((t["content"], None) for t in session if t["role"] == "user")
    return list(texts)[:limit]


def questions(locomo_path: Path, limit: int) -> list[str]:
    locomo = json.loads(locomo_path.read_text())
    return list(dict.fromkeys(q["question"] for conv in locomo for q in conv["qa"]))[:limit]


def cached_embed(embedder, texts: list[str], name: str) -> np.ndarray:
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:12]
    path = CACHE / f"vector-check-{name}-{key}.npy"
    if path.exists():
        return np.load(path)
    vectors = embedder.embed(texts)
    np.save(path, vectors)
    return vectors


def compare(index, namespace: str, qvecs: np.ndarray, ks=(10, 50)) -> dict:
    """Mean/min overlap of the two-pass top k with the exact top k, and CPU ms per search for each."""
    out: dict = {}
    for k in ks:
        overlaps = []
        cpu_two = cpu_exact = 0.0
        for q in qvecs:
            t = time.process_time()
            fast = index.search(namespace, q, k, active_only=False)
            cpu_two += time.process_time() - t
            t = time.process_time()
            exact = index.search(namespace, q, k, active_only=False, exact=True)
            cpu_exact += time.process_time() - t
            overlaps.append(len({r for r, _ in fast} & {r for r, _ in exact}) / max(1, len(exact)))
        out[k] = (float(np.mean(overlaps)), float(np.min(overlaps)), 1000 * cpu_two / len(qvecs), 1000 * cpu_exact / len(qvecs))
    return out


def rows(label: str, result: dict) -> list[str]:
    return [
        f"| {label} | {k} | {mean:.4f} | {low:.2f} | {two:.2f} | {exact:.2f} |" for k, (mean, low, two, exact) in result.items()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locomo", type=Path, required=True, help="locomo10.json (questions as queries; turns as real texts)")
    parser.add_argument("--longmemeval", type=Path, help="longmemeval_s.json (user turns as more real texts)")
    parser.add_argument("--db", type=Path, help="a 100k store built by bench.core's fill (namespace 'r'); built if missing")
    parser.add_argument("--size", type=int, default=100_000, help="rows of the template store when building it")
    parser.add_argument("--real", type=int, default=30_000, help="distinct real texts to embed (0 skips that corpus)")
    parser.add_argument("--queries", type=int, default=300, help="LoCoMo questions used as queries")
    args = parser.parse_args(argv)

    from server.embed import FastEmbedEmbedder
    from server.store import vector_index

    embedder = FastEmbedEmbedder("offline", CACHE)
    qvecs = cached_embed(embedder, questions(args.locomo, args.queries), "questions")
    table = ["| corpus | k | mean overlap with exact top k | min | two-pass CPU ms | exact CPU ms |", "|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as d:
        db = args.db or Path(d) / "templates.db"
        app = build(db, embedder)
        if not db.exists() or app.store.get_meta("embedding_model") is None or not app.store.counts().get("r"):
            fill(app, "r", args.size, real=min(args.size, 10_000))
        n = sum(app.store.counts()["r"].values())
        table += rows(f"bench.core template store, {n:,} rows", compare(app.store.vectors, "r", qvecs))
        app.store.close()

        if args.real:
            texts = real_texts(args.locomo, args.longmemeval, args.real)
            vectors = cached_embed(embedder, texts, "real")
            app = build(Path(d) / "real.db", embedder)
            app.service._bind()
            from server.models import Memory
            from server.service import content_hash, new_id

            now = app.service.clock.now()
            with app.store.transaction():
                for text, vec in zip(texts, vectors):
                    m = Memory(id=new_id("mem"), namespace="real", content=text, recorded_at=now, content_hash=content_hash(text),
                               embedding_model=embedder.model_id)
                    app.store.insert(m, vec)
            saved = vector_index.TWO_PASS_MIN_ROWS, vector_index.RESCORE_MIN, vector_index.RESCORE_PER_RESULT
            try:
                vector_index.TWO_PASS_MIN_ROWS = 0
                table += rows(f"real texts, {len(texts):,} rows (two-pass forced)", compare(app.store.vectors, "real", qvecs))
                share = len(texts) / 100_000
                vector_index.RESCORE_MIN = max(1, int(saved[1] * share))
                vector_index.RESCORE_PER_RESULT = max(1, int(saved[2] * share))
                table += rows(f"real texts, {len(texts):,} rows, window x{share:.2f} (the share kept at 100k)",
                              compare(app.store.vectors, "real", qvecs))
            finally:
                vector_index.TWO_PASS_MIN_ROWS, vector_index.RESCORE_MIN, vector_index.RESCORE_PER_RESULT = saved
            app.store.close()
    print(f"{len(qvecs)} queries (LoCoMo questions); RESCORE_MIN={vector_index.RESCORE_MIN}, "
          f"RESCORE_PER_RESULT={vector_index.RESCORE_PER_RESULT}, TWO_PASS_MIN_ROWS={vector_index.TWO_PASS_MIN_ROWS}")
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
