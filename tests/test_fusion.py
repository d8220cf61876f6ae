"""Hybrid recall's fusion: neither signal wins by the shape of its scale, and question frames are not keywords.

`fuse` is checked on candidate pools shaped like LongMemEval's (long user messages sharing words with any
question); the question frames through the real service, SQLite file and offline embedding model.
"""

from __future__ import annotations

import datetime as dt

import pytest

from server.memops.rules import RulesOps
from server.models import RecallRequest, RememberRequest
from server.search import fts_query, fuse
from server.service import MemoryService
from server.store import open_store


def _pool(n: int, lo: float, hi: float, start: int) -> list[tuple[int, float]]:
    """n filler candidates with rowids from `start`, scores evenly from hi down to lo."""
    return [(start + i, hi - (hi - lo) * i / (n - 1)) for i in range(n)]


def test_a_keyword_heavy_candidate_does_not_outrank_the_best_semantic_match_on_bm25_alone():
    # Full pools (cut at the limit): cosines in a narrow band, BM25 over a wide one, as for long messages.
    exact, wordy = 1, 2
    vector = sorted(_pool(48, 0.20, 0.40, 10) + [(exact, 0.50), (wordy, 0.35)], key=lambda h: -h[1])
    keyword = sorted(_pool(48, 5.0, 7.0, 10) + [(exact, 8.0), (wordy, 10.0)], key=lambda h: -h[1])
    fused, vsim, kw = fuse(vector, keyword, limit=50)
    assert list(fused)[0] == exact
    # What recall reports (and `find_matches` thresholds) keeps its absolute scale.
    assert vsim[exact] == 0.50 and kw[wordy] == 1.0 and kw[exact] == 0.8


def test_in_a_store_smaller_than_the_pool_the_weaker_of_two_keyword_matches_still_counts():
    fused, _, _ = fuse([(1, 0.6), (2, 0.5)], [(1, 10.0), (2, 5.0)], limit=50)
    # Neither list was cut, so the floor is each signal's zero: candidate 2 keeps half of the keyword share.
    assert fused[2] == pytest.approx(0.5 * 0.5 / 0.6 + 0.5 * 0.5)


def test_equal_scores_and_one_sided_candidates_stay_in_range():
    fused, _, _ = fuse([(1, 0.3), (2, 0.3)], [], limit=2)
    assert fused == {1: 0.5, 2: 0.5}
    fused, _, _ = fuse([], [(3, 4.0)], limit=50)
    assert fused == {3: 0.5}


def test_question_frames_and_stopwords_are_not_keywords():
    assert fts_query("How many different doctors did I visit a couple of months ago?") == '"doctors" OR "visit"'
    assert fts_query("how many times?")  # only frames: still a keyword query rather than none


@pytest.fixture
def service(settings, embedder):
    store = open_store(settings)
    yield MemoryService(store, embedder, RulesOps(), settings)
    store.close()


def test_how_many_in_a_question_does_not_pull_up_a_message_that_says_how_many(service):
    day = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
    texts = [
        "I visited two doctors this spring: Dr. Patel for my sinuses and Dr. Lee for my knee.",
        "I wonder how many people the spinach dip serves; how many different bowls do I need for that many guests?",
        "My landlord raised the rent by five percent this year.",
    ]
    ids = [
        service.remember(RememberRequest(namespace="t", content=text, valid_from=day + dt.timedelta(days=10 * i))).memory_ids[0]
        for i, text in enumerate(texts)
    ]
    for strategy in ("hybrid", "keyword"):
        hits = service.recall(RecallRequest(namespace="t", query="How many different doctors did I visit?", k=3, strategy=strategy)).results
        assert hits[0].memory.id == ids[0], strategy
    keyword_hits = service.recall(RecallRequest(namespace="t", query="How many different doctors did I visit?", k=3, strategy="keyword")).results
    assert ids[1] not in [h.memory.id for h in keyword_hits]
