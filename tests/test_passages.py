"""Passage vectors of long memories (server/passages.py): an aside in a long message finds its memory.

Through the real service, the real offline model and a real store file (PostgreSQL on the PG run); the
file-level tests check that passages survive a restart, follow another process's writes, leave with a hard
delete and are rebuilt by `reembed`.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from server import passages
from server.config import Settings
from server.models import RecallRequest, RememberRequest
from server.portability import export_jsonl, import_jsonl, reembed
from server.service import MemoryService
from server.store import open_store
from tests.conftest import MODEL_CACHE, AddOps

LONG = (
    "I'm excited to try making croissants again this weekend, and I think I'll also make some banana bread for the "
    "dinner party on Saturday. I recently made a batch with walnuts and it turned out amazing, so I'll do that again. "
    "By the way, I just baked a chocolate cake for my friend's birthday party last weekend. Do you have any tips for "
    "getting flaky layers in the croissant dough, and how long should I proof it in a cold kitchen?"
)
SHORT = [
    "I bought a new stand mixer for the kitchen.",
    "My friend Sam moved to Denver in the spring.",
    "I prefer sourdough to white bread.",
    "The dinner party guests liked the roasted vegetables.",
    "I went to a birthday party at the bowling alley.",
]
QUERY = "What did I bake for my friend?"


def _service(tmp_path, embedder, name="a.db", **overrides) -> MemoryService:
    s = Settings(db=tmp_path / name, embedding_model="offline", embedding_cache_dir=MODEL_CACHE, **overrides)
    return MemoryService(open_store(s), embedder, AddOps(), s)


def _count(store) -> int:
    return store.db.one("SELECT COUNT(*) FROM memory_passages")[0]


def test_short_text_has_no_passages():
    assert passages.split("I prefer sourdough to white bread. It keeps longer.") == []


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="abcdefgh .!?\n", min_size=1, max_size=80), min_size=1, max_size=30))
def test_passages_cover_every_word_in_order_and_are_bounded(chunks):
    text = " ".join(chunks)
    parts = passages.split(text)
    if parts:
        assert " ".join(parts).split() == text.split()
        assert all(1 <= len(p.split()) <= passages.PASSAGE_WORDS for p in parts)
    else:
        assert len(text.split()) <= passages.LONG_WORDS


def test_an_aside_in_a_long_message_scores_its_memory_by_that_passage(tmp_path, embedder):
    service = _service(tmp_path, embedder)
    try:
        ids = [r.memory_ids[0] for r in service.remember_many([RememberRequest(namespace="t", content=t) for t in [LONG, *SHORT]])]
        assert _count(service.store) == len(passages.split(LONG)) >= 3

        def long_hit(on: bool):
            service.settings = service.settings.model_copy(update={"passage_vectors": on})
            hits = service.recall(RecallRequest(namespace="t", query=QUERY, k=6, reinforce=False, strategy="vector")).results
            return next(i for i, h in enumerate(hits) if h.memory.id == ids[0]), next(h for h in hits if h.memory.id == ids[0])

        (rank_off, off), (rank_on, on) = long_hit(False), long_hit(True)
        q, parts = embedder.embed_query(QUERY), embedder.embed(passages.split(LONG))  # recall's own query vector
        best = max(float(q @ v) for v in parts)
        assert best > off.scores.vector
        assert on.scores.vector == pytest.approx(off.scores.vector + passages.WEIGHT * (best - off.scores.vector), abs=1e-5)
        assert rank_on == 0 < rank_off
    finally:
        service.store.close()


@pytest.mark.sqlite_only
def test_passages_survive_a_restart_and_reach_another_process(tmp_path, embedder):
    writer = _service(tmp_path, embedder)
    reader = _service(tmp_path, embedder)  # another process: its own connection and its own index copy
    try:
        writer.remember(RememberRequest(namespace="t", content=SHORT[0]))
        qvec = embedder.embed_query(QUERY)
        reader.store.vector_search("t", qvec, 5, True, passages=True)  # the reader loads its copy now
        long_id = writer.remember(RememberRequest(namespace="t", content=LONG)).memory_ids[0]
        rowid = writer.store.rowid_of("t", long_id)
        seen = dict(reader.store.vector_search("t", qvec, 5, True, passages=True))
        plain = dict(reader.store.vector_search("t", qvec, 5, True))
        assert seen[rowid] > plain[rowid]
        writer.store.close()
        reopened = _service(tmp_path, embedder)
        assert dict(reopened.store.vector_search("t", qvec, 5, True, passages=True))[rowid] == pytest.approx(seen[rowid])
        reopened.store.close()
    finally:
        reader.store.close()


def test_hard_forget_removes_the_passages(tmp_path, embedder):
    service = _service(tmp_path, embedder)
    try:
        long_id = service.remember(RememberRequest(namespace="t", content=LONG)).memory_ids[0]
        service.remember(RememberRequest(namespace="t", content=SHORT[1]))
        assert _count(service.store) > 0
        service.forget("t", memory_id=long_id, hard=True)
        assert _count(service.store) == 0
        hits = service.recall(RecallRequest(namespace="t", query=QUERY, k=5, reinforce=False)).results
        assert long_id not in [h.memory.id for h in hits]
    finally:
        service.store.close()


def test_reembed_rebuilds_passages_and_drops_them_when_off(tmp_path, embedder):
    service = _service(tmp_path, embedder)
    try:
        service.remember_many([RememberRequest(namespace="t", content=t) for t in [LONG, *SHORT]])
        before = sorted(
            (r, s, np.frombuffer(e, dtype=np.float32).round(4).tobytes())
            for r, s, e in service.store.db.execute("SELECT memory_rowid, seq, embedding FROM memory_passages")
        ) if service.store.backend == "sqlite" else _count(service.store)
        reembed(service.store, embedder, passage_vectors=False)
        assert _count(service.store) == 0
        reembed(service.store, embedder)
        after = sorted(
            (r, s, np.frombuffer(e, dtype=np.float32).round(4).tobytes())
            for r, s, e in service.store.db.execute("SELECT memory_rowid, seq, embedding FROM memory_passages")
        ) if service.store.backend == "sqlite" else _count(service.store)
        assert after == before
        hits = service.recall(RecallRequest(namespace="t", query=QUERY, k=1, reinforce=False, strategy="vector")).results
        assert hits[0].memory.content == LONG
    finally:
        service.store.close()


@pytest.mark.sqlite_only  # two stores: on the PostgreSQL run both would be the one test database
def test_import_gives_long_memories_their_passages(tmp_path, embedder):
    source = _service(tmp_path, embedder, "src.db")
    target = _service(tmp_path, embedder, "dst.db")
    try:
        source.remember_many([RememberRequest(namespace="t", content=t) for t in [LONG, *SHORT]])
        out = io.StringIO()
        export_jsonl(source.store, out)
        assert import_jsonl(target, out.getvalue().splitlines())["imported"] == 6
        assert _count(target.store) == _count(source.store) > 0
    finally:
        source.store.close()
        target.store.close()


def test_with_passages_off_nothing_extra_is_written(tmp_path, embedder):
    service = _service(tmp_path, embedder, passage_vectors=False)
    try:
        service.remember(RememberRequest(namespace="t", content=LONG))
        assert _count(service.store) == 0
    finally:
        service.store.close()


@pytest.mark.postgres_only
def test_migrating_to_postgres_carries_the_passages_and_recall_uses_them(tmp_path, embedder):
    from server.store import transfer

    old = _service(tmp_path, embedder, database_url=None)
    old.remember_many([RememberRequest(namespace="t", content=t) for t in [LONG, *SHORT]])
    count = _count(old.store)
    old.store.close()
    report = transfer.migrate_sqlite_to_postgres(tmp_path / "a.db", Settings().database_url)
    assert report["tables"]["memory_passages"]["rows"] == count > 0
    moved = _service(tmp_path, embedder, "unused.db")
    try:
        hits = moved.recall(RecallRequest(namespace="t", query=QUERY, k=1, reinforce=False, strategy="vector")).results
        assert hits[0].memory.content == LONG
    finally:
        moved.store.close()
