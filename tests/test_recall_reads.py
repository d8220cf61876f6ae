"""Recall weighs candidates on their MemoryFacts and reads only the returned memories whole.

Real SQLite file; the hash embedder (not semantic: the keyword side decides what matches).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from server.memops.schema import RERANK_DEPTH
from server.models import RecallRequest, RememberRequest
from server.service import MemoryService


def _remember(svc: MemoryService, *texts: str) -> list[str]:
    return [svc.remember(RememberRequest(namespace="me", content=t)).memory_ids[0] for t in texts]


def test_a_match_on_the_first_of_two_corrections_is_credited_to_the_current_version(fast_service):
    svc = fast_service
    (first,) = _remember(svc, "Alex lives in Paris near the canal")
    second = svc.correct("me", "Alex moved to Lyon", memory_id=first).new.id
    third = svc.correct("me", "Alex settled in Berlin", memory_id=second).new.id
    res = svc.recall(RecallRequest(namespace="me", query="canal Paris", k=5, reinforce=False))
    ids = [h.memory.id for h in res.results]
    assert ids[0] == third
    assert first not in ids and second not in ids
    assert res.results[0].scores.keyword == 1.0  # the old wording's BM25, lifted to the version that holds it now
    assert res.results[0].memory.content == "Alex settled in Berlin"


class _Demote:
    """A ranker at its bound's worst: every candidate it sees loses the whole bound, so the rest can overtake."""

    rank_bound = 0.1

    def __init__(self, ops):
        self.ops = ops

    def decide(self, *args, **kwargs):
        return self.ops.decide(*args, **kwargs)

    def rerank(self, query, qvec, candidates):
        return [c.fused - self.rank_bound for c in candidates]


def test_a_bounded_reranker_is_given_every_candidate_that_could_still_reach_the_top(fast_service):
    """Recall reads whole only the head the learned stage may reorder; what it returns is as if it read all."""
    svc = fast_service
    # Fewer memories than the smallest candidate pool (50), so both signals list every match on either backend.
    _remember(svc, *[f"note {i} about the garden shed and tomato {i % 7}" for i in range(45)])
    now = datetime.now(timezone.utc)  # one clock for all calls: recency and decay move between two
    plain = svc.recall(RecallRequest(namespace="me", query="garden tomato 3", k=45, reinforce=False, now=now), log=False)
    finals = [h.scores.final for h in plain.results]  # AddOps has no ranker: the store's own order
    best = finals[0]
    expected = sorted((round(f - _Demote.rank_bound * best, 6) if i < RERANK_DEPTH else f for i, f in enumerate(finals)), reverse=True)
    demoted = MemoryService(svc.store, svc.embedder, _Demote(svc.ops), svc.settings)
    for k in (1, 5, 20):
        got = demoted.recall(RecallRequest(namespace="me", query="garden tomato 3", k=k, reinforce=False, now=now), log=False)
        assert [h.scores.final for h in got.results] == pytest.approx(expected[:k], abs=2e-6)
    off = MemoryService(svc.store, svc.embedder, _Demote(svc.ops), svc.settings.model_copy(update={"learned_rerank": False}))
    got = off.recall(RecallRequest(namespace="me", query="garden tomato 3", k=5, reinforce=False, now=now), log=False)
    assert [h.scores.final for h in got.results] == finals[:5]


def test_the_recall_log_lists_the_best_candidates_by_final_score(fast_service):
    svc = fast_service
    _remember(svc, *[f"tomato plant number {i} in the greenhouse" for i in range(30)])
    res = svc.recall(RecallRequest(namespace="me", query="tomato greenhouse", k=3))
    logged = json.loads(svc.store.db.one("SELECT candidates FROM recalls WHERE id = ?", (res.recall_id,))[0])
    assert len(logged) == 12
    assert [mid for mid, _ in logged[:3]] == [h.memory.id for h in res.results]
    assert [final for _, final in logged[:3]] == [h.scores.final for h in res.results]
    assert all(a[1] >= b[1] for a, b in zip(logged, logged[1:]))
