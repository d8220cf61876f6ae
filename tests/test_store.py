"""The SQLite store on every usable driver: migrations, pragmas, vector and keyword search, model binding."""

from __future__ import annotations

import numpy as np
import pytest

from server.embed import HashEmbedder
from server.errors import EmbeddingMismatch, SqliteExtensionUnavailable
from server.models import Memory
from server.service import content_hash
from server.store.driver import available_drivers, choose_driver
from server.store.sqlite import SQLiteStore
from server.clock import SystemClock


def make(store: SQLiteStore, ns: str, text: str, emb: HashEmbedder) -> Memory:
    m = Memory(id=f"mem_{abs(hash((ns, text)))}", namespace=ns, content=text, recorded_at=SystemClock().now(),
               content_hash=content_hash(text), embedding_model=emb.model_id)
    store.insert(m, emb.embed([text])[0])
    return m


@pytest.fixture(params=available_drivers())
def store(request, tmp_path):
    s = SQLiteStore(tmp_path / "s.db", driver=request.param)
    s.bind_embedding("test/hash", 64)
    yield s
    s.close()


def test_migrations_are_recorded_and_pragmas_set(store):
    from server.store.migrations import MIGRATIONS

    recorded = store.db.execute("SELECT id, name FROM migrations ORDER BY id")
    assert recorded == [(i, step.__name__) for i, step in enumerate(MIGRATIONS, start=1)]
    assert recorded[0] == (1, "m001_core")
    assert store.db.one("PRAGMA journal_mode")[0] == "wal"
    assert store.db.one("PRAGMA foreign_keys")[0] == 1
    assert store.db.one("PRAGMA secure_delete")[0] == 1


def test_reopening_does_not_reapply_migrations(store, tmp_path):
    again = SQLiteStore(store.path, driver=store.driver)
    from server.store.migrations import MIGRATIONS

    assert again.schema_version == len(MIGRATIONS)
    assert again.db.one("SELECT COUNT(*) FROM migrations")[0] == len(MIGRATIONS)


def test_vector_and_keyword_search_stay_in_their_namespace(store):
    emb = HashEmbedder()
    a = make(store, "a", "red bicycle in the garage", emb)
    make(store, "b", "red bicycle in the garage", emb)
    hits = store.vector_search("a", emb.embed_query("red bicycle"), 10, active_only=True)
    assert [store.by_rowids("a", [r])[r].id for r, _ in hits] == [a.id]
    kw = store.keyword_search("a", '"bicycle"', 10)
    assert len(kw) == 1


def test_vector_index_follows_writes_from_another_connection(store):
    emb = HashEmbedder()
    make(store, "a", "first memory about tea", emb)
    assert len(store.vector_search("a", emb.embed_query("tea"), 10, True)) == 1
    other = SQLiteStore(store.path, driver=store.driver)
    m = make(other, "a", "second memory about tea", emb)
    other.update_fields("a", m.id, status="archived")
    make(other, "a", "third memory about tea", emb)
    assert len(store.vector_search("a", emb.embed_query("tea"), 10, True)) == 2
    assert len(store.vector_search("a", emb.embed_query("tea"), 10, False)) == 3


def test_another_model_is_a_clear_error(store):
    with pytest.raises(EmbeddingMismatch, match="reembed"):
        store.check_embedding("sentence-transformers/other")


def test_unusable_driver_names_the_fix():
    with pytest.raises(SqliteExtensionUnavailable, match="pip install"):
        choose_driver("not-a-driver")


def test_rebind_replaces_every_vector(store):
    emb = HashEmbedder()
    make(store, "a", "one", emb)
    make(store, "a", "two", emb)
    other = HashEmbedder(dim=32, model_id="test/hash32")
    rows = [(r, m.namespace, other.embed([m.content])[0]) for r, m in store.iter_all()]
    assert store.rebind_embedding(other.model_id, other.dim, rows) == 2
    assert store.embedding_binding() == ("test/hash32", 32)
    assert len(store.vector_search("a", other.embed_query("one"), 5, True)) == 2


def test_keyword_search_finds_a_namespace_crowded_out_by_others(store):
    emb = HashEmbedder()
    with store.transaction():
        for i in range(300):
            make(store, "big", f"kayak trip number {i} on the river", emb)
    mine = make(store, "small", "my kayak is green", emb)
    hits = store.keyword_search("small", '"kayak"', 10)
    assert [r for r, _ in hits] == [store.rowid_of("small", mine.id)]
    assert len(store.keyword_search("big", '"kayak"', 10)) == 10
