"""Recall's learned stage through the real service, SQLite file, offline embedder and shipped weights."""

from __future__ import annotations

import datetime as dt

import pytest

from server.config import Settings
from server.memops import load_ops
from server.models import RecallRequest, RememberRequest
from server.service import MemoryService
from server.store import open_store
from tests.conftest import AddOps

TURNS = [
    "Ana: Hey Ben! I took a pottery class last Saturday, it was so relaxing.",
    "Ben: Pottery! That sounds amazing. What did you make?",
    "Ana: A lopsided bowl, haha. My mom came along too.",
    "Ben: I went hiking with my brother on Sunday.",
    "Ana: Nice! Where did you go?",
    "Ben: Up the river trail, about 12 km.",
    "Ana: I'm thinking of adopting a cat next month.",
    "Ben: You should! Cats are great company.",
]


class _Counting:
    """The shipped model for ranking (counting its calls); every write stored as is."""

    def __init__(self):
        self.learned, self.calls = load_ops(), 0

    def decide(self, *args, **kwargs):
        return AddOps().decide(*args, **kwargs)

    def rerank(self, query, qvec, candidates):
        self.calls += 1
        return self.learned.rerank(query, qvec, candidates)


@pytest.fixture
def chat(tmp_path, embedder):
    def make(learned_rerank: bool):
        settings = Settings(db=tmp_path / f"chat-{learned_rerank}.db", embedding_model="offline", learned_rerank=learned_rerank)
        store = open_store(settings)
        ops = _Counting()
        service = MemoryService(store, embedder, ops, settings)
        day = dt.datetime(2024, 5, 6, tzinfo=dt.timezone.utc)
        service.remember_many([RememberRequest(namespace="c", content=t, valid_from=day) for t in TURNS])
        return service, ops, store

    made = []
    yield lambda on: made.append(make(on)) or made[-1][:2]
    for _, _, store in made:
        store.close()


QUESTIONS = ["When did Ana take a pottery class?", "Who went hiking with Ben?", "What pet is she thinking about?"]


def test_the_learned_stage_is_on_by_default():
    assert Settings().learned_rerank is True


def test_with_the_stage_off_recall_never_asks_the_model(chat):
    service, ops = chat(False)
    for q in QUESTIONS:
        hits = service.recall(RecallRequest(namespace="c", query=q, k=5)).results
        assert hits and all(h.scores.learned is None for h in hits)
    assert ops.calls == 0


def test_the_vector_and_keyword_baselines_are_never_reranked(chat):
    service, ops = chat(True)
    for strategy in ("vector", "keyword"):
        hits = service.recall(RecallRequest(namespace="c", query=QUESTIONS[0], k=5, strategy=strategy)).results
        assert hits and all(h.scores.learned is None for h in hits)
    assert ops.calls == 0
    service.recall(RecallRequest(namespace="c", query=QUESTIONS[0], k=5))
    assert ops.calls == 1


def test_the_stage_moves_each_score_within_its_bound_and_is_deterministic(chat):
    off, _ = chat(False)
    on, ops = chat(True)
    assert ops.learned.has_rerank, "the stage is on by default: the shipped checkpoint must carry an enabled reranker"
    bound = ops.learned.net.cfg.rank_max_delta
    for q in QUESTIONS:
        base = {h.memory.content: h.scores.final for h in off.recall(RecallRequest(namespace="c", query=q, k=8, reinforce=False)).results}
        first = on.recall(RecallRequest(namespace="c", query=q, k=8, reinforce=False)).results
        second = on.recall(RecallRequest(namespace="c", query=q, k=8, reinforce=False)).results
        assert [(h.memory.content, h.scores.final) for h in first] == [(h.memory.content, h.scores.final) for h in second]
        best = max(base.values())
        assert set(base) == {h.memory.content for h in first}  # the same candidates, only reordered
        for h in first:
            assert h.scores.learned is not None
            assert abs(h.scores.final - base[h.memory.content]) <= bound * best + 1e-5
    assert ops.calls == 2 * len(QUESTIONS)
