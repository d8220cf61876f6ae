"""Retrieval metrics. Standard library only, so peer systems are scored by exactly this code.

A system's answer to one question is a ranked list of hits; each hit covers a set of turn ids
(a consolidated memory can cover several). Turn-level metrics (LoCoMo, convqa) look at the turns the
top-k hits cover; session-level metrics (LongMemEval) rank sessions by first appearance and look at
the first k distinct sessions, as the official `evaluate_retrieval_turn2session` does.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

Hits = Sequence[Iterable[str]]  # one entry per returned item: the turn (or session) ids it covers


def covered(hits: Hits, k: int) -> set[str]:
    """Ids covered by the top-k hits."""
    out: set[str] = set()
    for ids in hits[:k]:
        out.update(ids)
    return out


def recall_at_k(evidence: Iterable[str], hits: Hits, k: int) -> float:
    """|evidence ∩ ids covered by the top k| / |evidence|."""
    evidence = set(evidence)
    if not evidence:
        raise ValueError("recall of a question without evidence is undefined")
    return len(evidence & covered(hits, k)) / len(evidence)


def all_hit_at_k(evidence: Iterable[str], hits: Hits, k: int) -> float:
    """1.0 if every evidence id is covered by the top k, else 0.0."""
    evidence = set(evidence)
    return float(bool(evidence) and evidence <= covered(hits, k))


def first_appearance(hits: Hits, key: Mapping[str, str] | None = None) -> list[str]:
    """Distinct ids (mapped through `key`, e.g. turn -> session) in order of first appearance."""
    seen: dict[str, None] = {}
    for ids in hits:
        for i in sorted(ids):
            seen.setdefault(key[i] if key is not None else i, None)
    return list(seen)


def _dcg(relevances: Sequence[float]) -> float:
    return sum(rel / math.log2(rank + 2) if rank else rel for rank, rel in enumerate(relevances))


def session_metrics(evidence: Iterable[str], ranked: Sequence[str], k: int) -> dict[str, float]:
    """LongMemEval's recall_any@k, recall_all@k and ndcg_any@k over a ranked list of distinct sessions."""
    evidence = set(evidence)
    top = ranked[:k]
    got = evidence & set(top)
    relevances = [1.0 if s in evidence else 0.0 for s in top]
    ideal = _dcg([1.0] * min(len(evidence), k))
    return {
        f"recall_any@{k}": float(bool(got)),
        f"recall_all@{k}": float(got == evidence),
        f"ndcg_any@{k}": _dcg(relevances) / ideal if ideal else 0.0,
    }


def turn_metrics(evidence: Iterable[str], hits: Hits, k: int) -> dict[str, float]:
    evidence = list(evidence)
    return {f"recall@{k}": recall_at_k(evidence, hits, k), f"all_hit@{k}": all_hit_at_k(evidence, hits, k)}


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def approx_tokens(text: str) -> int:
    """Whitespace tokens: a rough, model-independent size of what recall hands back."""
    return len(text.split())


def mean_by(rows: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Per-key mean over rows that all share the same keys."""
    if not rows:
        return {}
    return {key: round(sum(r[key] for r in rows) / len(rows), 4) for key in rows[0]}


def aggregate(per_question: Sequence[tuple[str, Mapping[str, float]]]) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """(overall, by_category) means from (category, metrics) pairs; overall is over all questions."""
    by: dict[str, list[Mapping[str, float]]] = {}
    for category, row in per_question:
        by.setdefault(category, []).append(row)
    overall = mean_by([row for _, row in per_question])
    overall["questions"] = len(per_question)
    by_category = {c: {**mean_by(rows), "questions": len(rows)} for c, rows in sorted(by.items())}
    return overall, by_category
