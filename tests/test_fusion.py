"""Hybrid recall's fusion: neither signal wins by the shape of its scale, and question frames are not keywords.

Through the real service, SQLite file and offline embedding model (a store larger than the candidate pool,
as on LongMemEval, where long user messages share words with any question), and `fuse` on its own for the
edge cases.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from server.memops.rules import RulesOps
from server.models import RecallRequest, RememberRequest
from server.search import fts_query, fuse
from server.service import MemoryService
from server.store import open_store
from tests.conftest import AddOps


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
def make_service(settings, embedder):
    stores = []

    def make(ops) -> MemoryService:
        stores.append(open_store(settings))
        return MemoryService(stores[-1], embedder, ops, settings)

    yield make
    for store in stores:
        store.close()


def test_a_long_keyword_heavy_message_does_not_outrank_the_short_exact_answer(make_service):
    service = make_service(AddOps())  # every statement stored as is: the ranking is under test, not the write policy
    things = ["the garden hose", "my laptop charger", "the car radio", "our dishwasher", "the printer", "my bike chain",
              "the shower drain", "the wifi router", "my phone screen", "the garage door"]
    places = ["at home", "at the office", "at the cabin", "at my parents' place", "at the studio", "in the van"]
    filler = [f"Any tips? I keep having problems with {t} {p}." for t, p in itertools.product(things, places)]
    exact = "I saw Dr. Patel, an ENT doctor, about my chronic sinusitis."
    wordy = ("Can you recommend some podcasts? I have seen every episode of my favourite shows and I have problems finding "
             "new ones: problems with ads, problems with episode length, problems with audio. Which ones are hosted by "
             "doctors, or by two doctors who have seen a lot?")
    day = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    texts = [*filler[:30], exact, *filler[30:], wordy]
    results = service.remember_many(
        [RememberRequest(namespace="t", content=text, valid_from=day + dt.timedelta(days=2 * i)) for i, text in enumerate(texts)]
    )
    ids = {text: r.memory_ids[0] for text, r in zip(texts, results)}
    hits = service.recall(RecallRequest(namespace="t", query="Which doctors have I seen for my sinus problems?", k=5)).results
    assert [h.memory.id for h in hits[:2]] == [ids[exact], ids[wordy]]
    assert hits[1].scores.keyword == 1.0 > hits[0].scores.keyword  # the wordy one is BM25's best, and still second


@pytest.fixture
def service(make_service):
    return make_service(RulesOps())


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
