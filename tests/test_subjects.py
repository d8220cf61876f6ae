"""Questions naming two subjects: each subject's best match reaches the top, through the real service and model."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from server import subjects
from server.models import RecallRequest, RememberRequest
from server.service import MemoryService
from server.store import open_store
from tests.conftest import AddOps

HAWAII = [
    f"Traveling in Hawaii with my family, we spend a day {x}."
    for x in ["snorkeling at Hanauma Bay", "hiking Diamond Head", "at the Pearl Harbor memorial", "driving the road to Hana",
              "surfing lessons in Waikiki", "at a luau on Maui", "watching the Kilauea volcano", "island hopping to Kauai",
              "at the black sand beach", "touring a pineapple farm", "whale watching off Lahaina", "shopping in Honolulu"]
]
NEW_YORK = ("Can you suggest budgeting tips for my next trip? By the way, I recently got back from a solo week in New York, "
            "staying at a hostel.")
QUESTION = "How many days did I spend traveling in Hawaii and in New York City?"


def test_the_subjects_of_a_question_are_the_content_words_around_and_or():
    assert subjects.subjects(QUESTION) == [["hawaii"], ["new", "york", "city"]]
    assert subjects.subjects("Which did I see first, Paris, Rome or Vienna?") == [["paris"], ["rome"], ["vienna"]]
    assert subjects.subjects("Was my trip to Paris, Rome and Vienna in May?") == [["paris"], ["rome"], ["vienna"]]
    assert subjects.subjects("What did Mel and her kids paint?") == [["mel"], ["kids", "paint"]]


def test_a_conjunction_between_clauses_or_a_single_subject_names_no_subjects():
    assert subjects.subjects("I was going through our previous chat and I wanted to ask about the deli.") == []
    assert subjects.subjects("What did I buy and where?") == []
    assert subjects.subjects("What did I cook for my friend last week?") == []
    assert subjects.queries("How many days did I spend in Japan?") == []


@pytest.fixture
def service(settings, embedder):
    store = open_store(settings)
    yield MemoryService(store, embedder, AddOps(), settings)  # every statement stored: the ranking is under test
    store.close()


@pytest.fixture
def stored(service):
    things = ["the garden hose", "my laptop charger", "the car radio", "our dishwasher", "the printer", "my bike chain",
              "the shower drain", "the wifi router", "my phone screen", "the garage door"]
    places = ["at home", "at the office", "at the cabin", "at my parents' place", "at the studio", "in the van"]
    filler = [f"I keep having problems with {t} {p}." for t, p in itertools.product(things, places)]
    texts = [*filler[:20], *HAWAII, *filler[20:40], NEW_YORK, *filler[40:]]
    day = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    results = service.remember_many(
        [RememberRequest(namespace="t", content=text, valid_from=day + dt.timedelta(days=i)) for i, text in enumerate(texts)]
    )
    return {text: r.memory_ids[0] for text, r in zip(texts, results)}


def _ranked(service, query: str) -> list[str]:
    return [h.memory.id for h in service.recall(RecallRequest(namespace="t", query=query, k=20, reinforce=False)).results]


def test_the_subject_mentioned_once_reaches_the_top_beside_the_one_that_fills_a_conversation(service, stored, monkeypatch):
    # One query: the twelve Hawaii memories match "spend", "traveling" and "Hawaii" and take every place above
    # the single New York mention. One keyword query per subject puts that mention in the top 3.
    assert stored[NEW_YORK] in _ranked(service, QUESTION)[:3]
    monkeypatch.setattr(subjects, "SPLIT", False)
    assert stored[NEW_YORK] not in _ranked(service, QUESTION)[:10]


def test_subjects_already_named_near_the_top_leave_the_ranking_as_it_is(service, stored, monkeypatch):
    query = "Which days in Hawaii did we spend snorkeling or hiking?"
    assert subjects.subjects(query) == [["spend", "snorkeling"], ["hiking"]]
    split = _ranked(service, query)
    monkeypatch.setattr(subjects, "SPLIT", False)
    assert split == _ranked(service, query)
    assert {stored[HAWAII[0]], stored[HAWAII[1]]} <= set(split[:5])


def test_lift_raises_a_subject_no_head_candidate_names_and_only_that_one():
    fused = {1: 1.0, 2: 0.9, 3: 0.8, 4: 0.7, 5: 0.6, 6: 0.5, 7: 0.1}
    vector = [(r, 0.5) for r in fused]
    covered = [(2, 5.0), (7, 1.0)]  # rowid 2, among the first five, names it: nothing moves
    assert subjects.lift(fused, vector, [covered], limit=50) == fused
    missing = [(7, 5.0), (1, 1.0)]  # only rowid 7 names it (rowid 1 has a fifth of its BM25)
    lifted = subjects.lift(fused, vector, [missing], limit=50)
    assert lifted[7] == 1.0 and list(lifted)[:2] in ([1, 7], [7, 1]) and lifted[2] == 0.9
    everywhere = [(r, 5.0) for r in (6, 7, 8, 9)]  # named by the whole pool of 4: a speaker's name, not a subject
    assert subjects.lift(fused, vector, [everywhere], limit=4) == fused
    assert subjects.lift({}, [], [missing], limit=50) == {}
