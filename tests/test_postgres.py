"""PostgreSQL specifics: replicas sharing one database, sleep once per namespace across them, `reverie migrate`.

The rest of the suite runs on PostgreSQL too with REVERIE_TEST_POSTGRES=1 (see conftest.py); these tests need
it and skip on the SQLite run. Two stores on one database stand for two replicas: each has its own pool of
connections and nothing in process memory is shared between them.
"""

from __future__ import annotations

import io
import threading

import pytest

from server.config import Settings
from server.embed import HashEmbedder
from server.models import RecallRequest, RememberRequest
from server.portability import export_jsonl
from server.service import MemoryService
from server.store import open_store
from tests.conftest import AddOps
from tests.sleep.conftest import START

pytestmark = pytest.mark.postgres_only

TEA = ["Ana drinks green tea every morning.", "Every morning Ana drinks green tea.", "Ana drinks green tea every morning!"]


def _replica(url: str, tmp_path, name: str, clock=None) -> MemoryService:
    from server.clock import FixedClock

    settings = Settings(db=tmp_path / f"{name}.db", database_url=url, embedding_model="offline", sleep_lease_ttl_s=30)
    return MemoryService(open_store(settings), HashEmbedder(), AddOps(), settings, clock or FixedClock(START))


def test_writes_through_one_replica_are_read_through_the_other(tmp_path):
    url = Settings().database_url
    a, b = _replica(url, tmp_path, "a"), _replica(url, tmp_path, "b")
    try:
        written = []
        for i in range(6):
            writer, reader = (a, b) if i % 2 == 0 else (b, a)
            text = f"Project {i} ships on day {i + 10} with owner number {i * 7}."
            written.append(writer.remember(RememberRequest(namespace="team", content=text)).memory_ids[0])
            found = reader.recall(RecallRequest(namespace="team", query=text, k=3, reinforce=False))
            assert found.results[0].memory.id == written[-1]
        b_counts, a_counts = b.store.counts(), a.store.counts()
        assert a_counts == b_counts == {"team": {"active": 6}}
    finally:
        a.store.close()
        b.store.close()


def test_sleep_started_on_two_replicas_at_once_consolidates_each_namespace_exactly_once(tmp_path):
    from server.sleep import run_sleep

    url = Settings().database_url
    a, b = _replica(url, tmp_path, "a"), _replica(url, tmp_path, "b")
    try:
        for ns in ("alice", "bob"):
            for text in TEA:
                a.remember(RememberRequest(namespace=ns, content=text.replace("Ana", ns.title())))
        start, results = threading.Barrier(2), {}

        def run(name, svc):
            start.wait()
            results[name] = run_sleep(svc, None, jobs=["consolidate"])

        threads = [threading.Thread(target=run, args=(n, s)) for n, s in (("a", a), ("b", b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert sorted(r.status for r in results.values()) == ["busy", "done"]
        # And a later run on the other replica finds nothing left to fold.
        idle = [n for n, r in results.items() if r.status == "busy"][0]
        again = run_sleep({"a": a, "b": b}[idle], None, jobs=["consolidate"])
        assert again.status == "done"
        for ns in ("alice", "bob"):
            semantic = [m for _, m in a.store.iter_memories(ns) if m.tier == "semantic"]
            assert len(semantic) == 1, ns
            assert len(a.store.consolidated(ns)) == 3
            folds = [e for e in a.store.audit_entries(ns, limit=500) if e.action == "consolidate"]
            assert len(folds) == 1, ns
    finally:
        a.store.close()
        b.store.close()


def _sqlite_store_with_history(tmp_path) -> tuple[MemoryService, Settings]:
    from server.clock import FixedClock
    settings = Settings(db=tmp_path / "old.db", database_url=None, embedding_model="offline")
    svc = MemoryService(open_store(settings), HashEmbedder(), AddOps(), settings, FixedClock(START))
    ids = [svc.remember(RememberRequest(namespace=ns, content=f"{ns} note {i}: the build uses tool {i}", tags=[f"t{i}"])).memory_ids[0]
           for ns in ("me", "team") for i in range(4)]
    svc.correct("me", "me note 0: the build uses tool zero", memory_id=ids[0], reason="typo")
    svc.forget("me", memory_id=ids[1], reason="wrong", hard=True)
    recall = svc.recall(RecallRequest(namespace="team", query="tool 2", k=2))
    svc.feedback("team", recall.recall_id, recall.results[0].memory.id, "helpful")
    from server.working import WorkingMemory

    WorkingMemory(svc).update("me", "s1", goal="ship the build", decisions=["use tool 3"])
    return svc, settings


def _export(store) -> str:
    out = io.StringIO()
    export_jsonl(store, out)
    return out.getvalue()


def test_migrate_moves_every_field_and_version_and_verifies_counts_and_hashes(tmp_path, capsys):
    from server.cli import main

    svc, settings = _sqlite_store_with_history(tmp_path)
    before = _export(svc.store)
    tables = {t: svc.store.db.one(f"SELECT COUNT(*) FROM {t}")[0] for t in ("memories", "audit", "recalls", "feedback", "task_states")}
    svc.store.close()
    url = Settings().database_url

    assert main(["migrate", "--from", "sqlite", str(settings.db), "--to", url]) == 0
    report = __import__("json").loads(capsys.readouterr().out)
    assert report["verified"] is True
    assert {t: report["tables"][t]["rows"] for t in tables} == tables
    assert report["tables"]["memories_vec"]["rows"] == tables["memories"] - 1  # the hard-deleted memory has no vector

    moved = _replica(url, tmp_path, "new")
    try:
        assert _export(moved.store) == before
        found = moved.recall(RecallRequest(namespace="team", query="tool 3", k=1, reinforce=False))
        assert "tool 3" in found.results[0].memory.content
        moved.remember(RememberRequest(namespace="team", content="a write after the move gets a fresh row"))
    finally:
        moved.store.close()


def test_migrate_refuses_a_database_that_already_holds_memories_and_changes_nothing(tmp_path, capsys):
    from server.cli import main

    svc, settings = _sqlite_store_with_history(tmp_path)
    svc.store.close()
    url = Settings().database_url
    other = _replica(url, tmp_path, "other")
    other.remember(RememberRequest(namespace="x", content="already here"))
    before = _export(other.store)
    try:
        assert main(["migrate", "--from", "sqlite", str(settings.db), "--to", url]) == 2
        assert "already holds memories" in capsys.readouterr().err
        assert _export(other.store) == before
    finally:
        other.store.close()


def test_a_copy_that_does_not_verify_is_rolled_back_whole(tmp_path, monkeypatch):
    from server.store import transfer

    svc, settings = _sqlite_store_with_history(tmp_path)
    svc.store.close()
    real = transfer._digest
    monkeypatch.setattr(transfer, "_digest", lambda db, table, cols: (0, "x") if table == "audit" and db.dialect == "postgresql" else real(db, table, cols))
    with pytest.raises(transfer.MigrationFailed):
        transfer.migrate_sqlite_to_postgres(settings.db, Settings().database_url)
    store = open_store(Settings())
    try:
        assert store.counts() == {} and store.embedding_binding() is None
    finally:
        store.close()


def test_reembed_rebuilds_the_vector_table_and_its_active_flags(tmp_path):
    svc = _replica(Settings().database_url, tmp_path, "a")
    try:
        kept = svc.remember(RememberRequest(namespace="team", content="The release train leaves on Tuesdays.")).memory_ids[0]
        gone = svc.remember(RememberRequest(namespace="team", content="Standups are at nine.")).memory_ids[0]
        svc.forget("team", memory_id=gone, reason="test")
        other = HashEmbedder(dim=32, model_id="test/hash32")
        rows = [(r, m.namespace, other.embed([m.content])[0]) for r, m in svc.store.iter_all()]
        assert svc.store.rebind_embedding(other.model_id, other.dim, rows) == 2
        assert svc.store.embedding_binding() == ("test/hash32", 32)
        hits = svc.store.vector_search("team", other.embed_query("release train"), 5, True)
        assert [svc.store.by_rowids("team", [r])[r].id for r, _ in hits] == [kept]  # the forgotten one stays out
        assert len(svc.store.vector_search("team", other.embed_query("release train"), 5, False)) == 2
    finally:
        svc.store.close()
