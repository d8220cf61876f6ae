"""Score a memory-ops decider on labelled cases (dev cases or a curriculum split).

Action accuracy counts a case right only when the action matches and, for
noop/update/supersede, the target memory matches too. `block` cases belong to
the deterministic secret detectors that run before the model, so they are
reported apart and left out of the model's numbers.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from .schema import MemoryOps, Neighbor

DEV_CASES = Path(__file__).parent / "data" / "dev_cases.jsonl"
Embed = Callable[[list[str]], np.ndarray]


def load_cases(path: Path = DEV_CASES) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _action_ok(expect: dict, got: dict) -> bool:
    if got["action"] != expect["action"]:
        return False
    if expect["action"] in ("noop", "update", "supersede"):
        return got.get("target") == expect["target"]
    return True


def evaluate(decide_case: Callable[[dict], dict], cases: Iterable[dict]) -> dict:
    """Run `decide_case` on every case; return per-case results and summary metrics."""
    results, per_action, kind_hits = [], defaultdict(list), []
    blocked = Counter()
    for case in cases:
        exp = case["expect"]
        got = decide_case(case)
        if exp["action"] == "block":
            blocked[got["action"]] += 1
            results.append({"id": case.get("id"), "expect": exp, "got": got, "ok": None})
            continue
        ok = _action_ok(exp, got)
        per_action[exp["action"]].append(ok)
        if exp.get("kind") and exp["action"] != "skip":
            kind_hits.append(got.get("kind") in exp["kind"])
        results.append({"id": case.get("id"), "new": case["new"], "expect": exp, "got": got, "ok": ok})
    scored = [r["ok"] for r in results if r["ok"] is not None]
    sup = per_action.get("supersede", [])
    return {
        "n": len(scored),
        "action_accuracy": float(np.mean(scored)) if scored else 0.0,
        "per_action": {a: round(float(np.mean(v)), 4) for a, v in sorted(per_action.items())},
        "per_action_n": {a: len(v) for a, v in sorted(per_action.items())},
        "supersede_recall": float(np.mean(sup)) if sup else 0.0,
        "kind_accuracy": float(np.mean(kind_hits)) if kind_hits else 0.0,
        "block_cases": {"n": sum(blocked.values()), "model_actions_without_detector": dict(blocked)},
        "results": results,
    }


def neighbors_for(case: dict, vecs: dict[str, np.ndarray]) -> tuple[list[Neighbor], list[int]]:
    """Neighbours sorted by similarity (as the store returns them) and their original indices."""
    nv = vecs[case["new"]]
    items = []
    for i, m in enumerate(case["existing"]):
        v = vecs[m["content"]]
        items.append((float(v @ nv), i, Neighbor(m["content"], m["kind"], v, float(v @ nv))))
    items.sort(key=lambda t: -t[0])
    return [n for _, _, n in items], [i for _, i, _ in items]


def embed_cases(cases: Sequence[dict], embed: Embed) -> dict[str, np.ndarray]:
    texts = sorted({c["new"] for c in cases} | {m["content"] for c in cases for m in c["existing"]})
    return dict(zip(texts, embed(texts)))


def ops_runner(ops: MemoryOps, vecs: dict[str, np.ndarray]) -> Callable[[dict], dict]:
    """Adapt a MemoryOps to `evaluate`: embeds via `vecs`, maps the target back to `existing`."""

    def decide_case(case: dict) -> dict:
        neigh, order = neighbors_for(case, vecs)
        d = ops.decide(case["new"], vecs[case["new"]], neigh, case.get("kind_hint"))
        target = order[d.target] if d.target is not None else None
        return {"action": d.action, "target": target, "kind": d.kind, "reason": d.reason,
                "confidence": round(d.confidence, 3)}

    return decide_case


def run_ops(ops: MemoryOps, cases: Sequence[dict], embed: Embed) -> dict:
    """Embed the cases once and evaluate `ops` on them."""
    return evaluate(ops_runner(ops, embed_cases(cases, embed)), cases)


def summary(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "results"}
