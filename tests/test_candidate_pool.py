"""Recall's candidate pool: how deep each signal's list goes decides whether a memory is weighed on both.

Through the real service, SQLite file and offline embedding model, in a store larger than the default pool of 50.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from server.models import RecallRequest, RememberRequest
from server import search
from server.search import candidate_pool
from server.service import MemoryService
from server.store import open_store
from tests.conftest import AddOps


def test_the_pool_has_a_floor_and_grows_with_k():
    assert candidate_pool(1) == candidate_pool(10) == 50
    assert candidate_pool(60) == 300


@pytest.fixture
def service(settings, embedder):
    store = open_store(settings)
    yield MemoryService(store, embedder, AddOps(), settings)
    store.close()


@pytest.mark.parametrize("floor", [50, 200])
def test_a_deeper_pool_weighs_the_only_keyword_match_on_its_cosine_too(service, monkeypatch, floor):
    monkeypatch.setattr(search, "POOL_MIN", floor)
    # 120 statements close to the question in meaning, about other people, sharing none of its words (so the
    # keyword signal ranks alike on SQLite BM25 and PostgreSQL ts_rank); the one about Melanie shares only her name.
    people = ["Tom", "Priya", "Jon", "Aiko", "Marco", "Lena", "Sam", "Nadia", "Omar", "Greta", "Ines", "Paul"]
    pastimes = ["hiking", "chess", "knitting", "surfing", "gardening", "baking", "cycling", "fishing", "climbing", "painting"]
    texts = [f"{p}'s favourite hobby is {h}." for p, h in itertools.product(people, pastimes)]  # no word of the question
    answer = "Melanie: my sister called about the tax forms again."
    texts.insert(70, answer)
    day = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    results = service.remember_many(
        [RememberRequest(namespace="t", content=text, valid_from=day + dt.timedelta(days=i)) for i, text in enumerate(texts)]
    )
    answer_id = results[70].memory_ids[0]
    query = "Which activities does Melanie enjoy?"
    by_cosine = [r for r, _ in service.store.vector_search("t", service.embedder.embed_query(query), 200, active_only=False)]
    assert by_cosine.index(service.store.rowid_of("t", answer_id)) >= 60  # beyond the default pool of 50
    hits = service.recall(RecallRequest(namespace="t", query=query, k=10, reinforce=False)).results
    assert hits[0].memory.id == answer_id and hits[0].scores.keyword == 1.0
    if floor == 200:
        assert hits[0].scores.vector > 0.3  # both signals weighed it
    else:
        assert hits[0].scores.vector == 0.0  # outside the vector list: the keyword alone carried it
