"""The SQLite store on every usable driver: migrations, pragmas, vector and keyword search, model binding."""

from __future__ import annotations

import pytest

from server.embed import HashEmbedder
from server.errors import EmbeddingMismatch, SqliteExtensionUnavailable
from server.models import Memory
from server.service import content_hash
from server.store.driver import available_drivers, choose_driver
from server.store.sqlite import SQLiteStore
from server.clock import SystemClock

# SQLiteStore itself (drivers, the file, the in-process vector index); the PostgreSQL run covers its store end to end.
pytestmark = pytest.mark.sqlite_only


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


def test_vector_index_reads_only_logged_status_changes_and_refreshes_all_when_the_log_moved_past_it(store):
    emb = HashEmbedder()
    ids = [make(store, "a", f"memory {i} about tea", emb).id for i in range(4)]
    query = emb.embed_query("tea")
    assert len(store.vector_search("a", query, 10, True)) == 4
    other = SQLiteStore(store.path, driver=store.driver)
    other.update_fields("a", ids[0], status="archived")
    assert other.db.one("SELECT COUNT(*) FROM memories_status_log")[0] == 1
    assert len(store.vector_search("a", query, 10, True)) == 3
    # The log keeps a bounded tail: entries this index has not read yet are gone, so it must refresh in full.
    other.update_fields("a", ids[1], status="archived")
    with other.db.write():
        other.db.execute("DELETE FROM memories_status_log")
    other.update_fields("a", ids[2], status="archived")
    other.update_fields("a", ids[0], status="active")
    active = {store.by_rowids("a", [r])[r].id for r, _ in store.vector_search("a", query, 10, True)}
    assert active == {ids[0], ids[3]}
    other.close()


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


def test_a_database_url_that_is_not_postgresql_is_refused_with_the_fix():
    from pydantic import ValidationError

    from server.config import Settings

    with pytest.raises(ValidationError, match="postgresql://"):
        Settings(database_url="mysql://localhost/reverie")


def test_an_unreachable_postgresql_is_one_config_error_naming_the_url(tmp_path):
    import socket

    from server.config import Settings
    from server.errors import ConfigError
    from server.store import open_store

    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(db=tmp_path / "x.db", database_url=f"postgresql://reverie:hunter2@127.0.0.1:{port}/reverie", busy_timeout_ms=1000)
    with pytest.raises(ConfigError, match="REVERIE_DATABASE_URL") as caught:
        open_store(settings)
    assert "hunter2" not in str(caught.value)  # the password is never echoed


def test_both_backends_implement_every_method_of_the_store_protocol():
    from server.store import Store
    from server.store.postgres import PostgresStore

    wanted = {n for n in vars(Store) if not n.startswith("_") and callable(getattr(Store, n))}
    for cls in (SQLiteStore, PostgresStore):
        assert not {n for n in wanted if not callable(getattr(cls, n, None))}, cls


def test_shared_sql_is_translated_for_postgresql_placeholders_hints_and_literal_percents():
    from server.store.pg_driver import translate

    assert translate("SELECT rowid FROM memories WHERE +namespace = ? AND (+id IN (?, ?)) AND strength + ? > 1") == (
        "SELECT rowid FROM memories WHERE namespace = %s AND (id IN (%s, %s)) AND strength + %s > 1"
    )
    assert translate("SELECT 1 WHERE x LIKE ?") == "SELECT 1 WHERE x LIKE %s"
    assert translate("SELECT '5%' || ?") == "SELECT '5%%' || %s"
    assert translate("SELECT '5%'", with_params=False) == "SELECT '5%'"
    assert translate("SELECT 1 WHERE a IN () AND b = ?") == "SELECT 1 WHERE a IN (NULL) AND b = %s"


def test_both_backends_have_the_same_numbered_migrations():
    from server.store import migrations, pg_migrations

    assert [m.__name__ for m in migrations.MIGRATIONS] == [m.__name__ for m in pg_migrations.MIGRATIONS]


def test_a_memory_reads_back_with_every_field_as_written(store):
    from datetime import timedelta

    now = SystemClock().now()
    m = Memory(id="mem_full", namespace="a", content="Ana moved to Porto", kind="event", tier="semantic", confidence=0.9,
               strength=0.7, decay_rate=0.05, recall_count=3, last_recalled_at=now, recorded_at=now - timedelta(days=2),
               valid_from=now - timedelta(days=3), valid_until=now + timedelta(days=1), supersedes="mem_old",
               source="imported", provenance=["mem_old", "ref:turn-7"], tags=["move", "ana"], session_id="s1",
               content_hash=content_hash("Ana moved to Porto"), embedding_model="test/hash")
    store.insert(m, None)
    back = store.get("a", "mem_full")
    assert back.model_dump() == m.model_dump()
    assert back.model_fields_set == set(Memory.model_fields)
    assert back.model_copy(update={"status": "superseded"}).status == "superseded" and back.status == "active"
