"""Session support: a memory whose own conversation also matches the query ranks higher (server/sessionrank.py).

Through the real service, a real SQLite file and the real offline embedding model; the learned stage is off
so the scores show the support alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from server.models import RecallRequest, RememberRequest
from server.service import MemoryService
from server.sessionrank import SUPPORT, WINDOW, session_support
from server.store import open_store
from tests.conftest import AddOps

DAY = datetime(2024, 3, 1, tzinfo=timezone.utc)
# One conversation about the missed runs; one about other things that holds a single close sentence.
RUNS = ["I had to skip the spring charity run for a work deadline.", "My boss kept me at work the weekend of the river run.",
        "I missed two fun runs in March because of work."]
OTHER = ["Work has been crazy: I missed the run club meeting in March.", "Can you recommend a laptop for video editing?",
         "What is a good recipe for banana bread?"]
QUERY = "Did I miss anything because of work?"


def _recall(settings, stores: list, name: str, embedder, support: float, conversations) -> dict[str, float]:
    """{content: final score}, best first: `conversations` ((session id or None, texts, days in, step between turns))
    remembered into a fresh store named `name`, then QUERY recalled with `support` as the session-support weight."""
    s = settings.model_copy(update={"db": settings.db.with_name(name), "session_support": support, "learned_rerank": False})
    store = open_store(s)
    stores.append(store)
    service = MemoryService(store, embedder, AddOps(), s)
    for sid, texts, days, step in conversations:
        for j, text in enumerate(texts):
            when = DAY + timedelta(days=days) + j * step
            service.remember(RememberRequest(namespace="t", content=text, session_id=sid, valid_from=when))
    res = service.recall(RecallRequest(namespace="t", query=QUERY, k=6, now=DAY + timedelta(days=10), reinforce=False))
    return {h.memory.content: h.scores.final for h in res.results}


@pytest.fixture
def recall_with(settings, embedder):
    """recall_with(weight, session_ids) -> {content: final score}, best first, on a fresh store of both sessions."""
    stores = []

    def run(weight: float, session_ids: bool = True) -> dict[str, float]:
        # Sessions days apart and turns hours apart: neighbour spreading (one hour) stays out of the picture.
        conversations = [(sid if session_ids else None, texts, 4 * n, timedelta(hours=2))
                         for n, (sid, texts) in enumerate((("other", OTHER), ("runs", RUNS)))]
        return _recall(settings, stores, f"s{len(stores)}.db", embedder, weight, conversations)

    yield run
    for store in stores:
        store.close()


def test_a_conversation_that_matches_as_a_whole_outranks_a_lone_close_sentence(recall_with):
    off, on = recall_with(0.0), recall_with(0.5)
    lone, partner = OTHER[0], RUNS[0]
    assert off[lone] > off[partner]
    assert on[partner] > on[lone]
    assert list(on)[0] == list(off)[0] == RUNS[2]  # the best match stays first


def test_the_support_is_the_weighted_mean_of_the_best_session_partners(recall_with):
    off, on = recall_with(0.0), recall_with(0.5)
    for text in RUNS:
        partners = sorted((off[t] for t in RUNS if t != text), reverse=True)[:SUPPORT]
        assert on[text] == pytest.approx(off[text] + 0.5 * sum(partners) / SUPPORT, abs=1e-5)


def test_without_a_session_id_memories_group_by_their_valid_from_only(recall_with):
    # Each turn has its own valid_from here (hours apart) and no session id: no memory has a session partner.
    assert recall_with(0.5, session_ids=False) == recall_with(0.0, session_ids=False)


def test_only_candidates_near_in_the_session_support_each_other():
    scored = [(1.0, 100), (0.8, 100 + WINDOW + 1), (0.6, 101), (0.5, 7)]
    bonus = session_support(scored, lambda rowid: None if rowid == 7 else "s", weight=0.5)
    assert bonus[100] == pytest.approx(0.5 * 0.6 / SUPPORT)  # 100 + WINDOW + 1 is too far from 100
    assert bonus[101] == pytest.approx(0.5 * (1.0 + 0.8) / SUPPORT)
    assert 7 not in bonus  # no session
    assert session_support(scored, lambda rowid: "s", weight=0.0) == {}


def test_the_vector_baseline_is_left_alone(settings, embedder):
    s = settings.model_copy(update={"session_support": 0.5})
    store = open_store(s)
    try:
        service = MemoryService(store, embedder, AddOps(), s)
        for j, text in enumerate(RUNS + OTHER):
            service.remember(RememberRequest(namespace="t", content=text, session_id="one", valid_from=DAY + timedelta(hours=2 * j)))
        res = service.recall(RecallRequest(namespace="t", query=QUERY, k=6, strategy="vector", reinforce=False))
        plain = MemoryService(store, embedder, AddOps(), s.model_copy(update={"session_support": 0.0}))
        again = plain.recall(RecallRequest(namespace="t", query=QUERY, k=6, strategy="vector", reinforce=False))
        assert [(h.memory.id, h.scores.final) for h in res.results] == [(h.memory.id, h.scores.final) for h in again.results]
    finally:
        store.close()


# A lone match between two unrelated turns of its conversation (minutes apart: neighbour spreading lends them
# 0.7 of its score), and a conversation whose turns each match a little (hours apart: no spreading).
LONE = ["Can you recommend a good pizza place downtown?", "I missed my sister's wedding because of a work trip.",
        "What is the capital of Australia?"]
WHOLE = ["My manager made me cancel my weekend plans again.", "I skipped the book club because work ran late.",
         "Work kept me from calling my parents on Sunday."]


@pytest.fixture
def lend_recall(settings, embedder, monkeypatch):
    """lend_recall(support, share, lend_own) -> {content: final score}, on a fresh store of both conversations."""
    from server import service as service_module, sessionrank

    stores = []

    def run(support: float, share: float = service_module.NEIGHBOR_SHARE, lend_own: bool = False) -> dict[str, float]:
        monkeypatch.setattr(service_module, "NEIGHBOR_SHARE", share)
        monkeypatch.setattr(sessionrank, "LEND_OWN_MATCH", lend_own)
        conversations = [("lone", LONE, 0, timedelta(minutes=5)), ("whole", WHOLE, 4, timedelta(hours=2))]
        return _recall(settings, stores, f"l{len(stores)}.db", embedder, support, conversations)

    yield run
    for store in stores:
        store.close()


def test_a_neighbour_lends_its_own_match_not_the_share_spreading_gave_it(lend_recall):
    lone = LONE[1]
    before = lend_recall(0.0)  # spread, no support yet
    own = lend_recall(0.0, share=0.0)  # each memory's own match: nothing spread
    assert before[LONE[0]] > own[LONE[0]] and before[LONE[2]] > own[LONE[2]]  # the neighbours hold a share of the lone match
    lent = lend_recall(0.5, lend_own=True)
    echoed = lend_recall(0.5, lend_own=False)
    partners = sorted((own[t] for t in LONE if t != lone), reverse=True)[:SUPPORT]
    assert lent[lone] == pytest.approx(before[lone] + 0.5 * sum(partners) / SUPPORT, abs=1e-5)
    # Lending the whole score, the lone match was supported by its own echo.
    spread = sorted((before[t] for t in LONE if t != lone), reverse=True)[:SUPPORT]
    assert echoed[lone] == pytest.approx(before[lone] + 0.5 * sum(spread) / SUPPORT, abs=1e-5)
    assert echoed[lone] > lent[lone]
    # The conversation that matches turn by turn is supported the same either way: spreading gave it nothing.
    for text in WHOLE:
        assert lent[text] == pytest.approx(echoed[text], abs=1e-5)
