"""Recall weighs candidates on their MemoryFacts and reads only the returned memories whole.

Real SQLite file; the hash embedder (not semantic: the keyword side decides what matches).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

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


def test_the_ranking_without_the_learned_reranker_equals_the_one_that_reads_every_candidate_whole(fast_service):
    svc = fast_service
    # Fewer memories than the smallest candidate pool (50), so both signals list every match on either backend.
    _remember(svc, *[f"note {i} about the garden shed and tomato {i % 7}" for i in range(40)])
    # learned_rerank on with a decision module that has no ranker: every candidate is read whole, order unchanged.
    whole = MemoryService(svc.store, svc.embedder, svc.ops, svc.settings.model_copy(update={"learned_rerank": True}))
    now = datetime.now(timezone.utc)  # one clock for both: recency and decay move between two calls
    for k in (1, 5, 20):
        req = RecallRequest(namespace="me", query="garden tomato 3", k=k, reinforce=False, now=now)
        fast, slow = svc.recall(req, log=False), whole.recall(req, log=False)
        assert [h.model_dump() for h in fast.results] == [h.model_dump() for h in slow.results]
        assert len(fast.results) == k


def test_the_recall_log_lists_the_best_candidates_by_final_score(fast_service):
    svc = fast_service
    _remember(svc, *[f"tomato plant number {i} in the greenhouse" for i in range(30)])
    res = svc.recall(RecallRequest(namespace="me", query="tomato greenhouse", k=3))
    logged = json.loads(svc.store.db.one("SELECT candidates FROM recalls WHERE id = ?", (res.recall_id,))[0])
    assert len(logged) == 12
    assert [mid for mid, _ in logged[:3]] == [h.memory.id for h in res.results]
    assert [final for _, final in logged[:3]] == [h.scores.final for h in res.results]
    assert all(a[1] >= b[1] for a, b in zip(logged, logged[1:]))
