"""Many server processes on one database file: no lock errors reach clients, no acknowledged write is lost,
reads see committed writes, and a server killed mid-burst leaves every acknowledged write and a sound file.

On the PostgreSQL run (REVERIE_TEST_POSTGRES=1) the same tests run the servers as replicas of one PostgreSQL
database: writes through one are recalled through the other at once (read_your_writes interleaves them)."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from bench.load import drive, lost_writes, make_token, read_your_writes, server_processes
from server.config import Settings
from server.embed import HashEmbedder
from server.store import open_store
from server.store.sqlite import SQLiteStore
from tests.conftest import MODEL_CACHE

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def _model_cache(monkeypatch):
    monkeypatch.setenv("REVERIE_EMBEDDING_CACHE_DIR", str(MODEL_CACHE))


async def test_servers_on_one_file_lose_nothing_and_report_no_errors(tmp_path):
    """The suite's small version of `python -m bench.load` (4 servers x 1000 operations)."""
    db, secret, url = tmp_path / "shared.db", tmp_path / "secret", Settings().database_url
    token = make_token(db, secret, url)
    with server_processes(db, 2, secret, database_url=url) as (bases, _):
        report = await asyncio.wait_for(drive(bases, token, remembers=20, recalls=20, clients=2), timeout=150)
        stale = await read_your_writes(bases, token, rounds=3)
    assert report.errors == []
    assert len(report.ops["remember"]) == 40 and len(report.ops["recall"]) == 40
    assert len(report.acknowledged) == 40
    missing, integrity = lost_writes(db, report.acknowledged, url)
    assert missing == [] and integrity == "ok"
    assert stale == []


async def test_server_killed_mid_burst_keeps_every_acknowledged_write(tmp_path):
    db, secret, url = tmp_path / "crash.db", tmp_path / "secret", Settings().database_url
    token = make_token(db, secret, url)
    with server_processes(db, 1, secret, database_url=url) as (bases, procs):
        burst = asyncio.create_task(drive(bases, token, remembers=400, recalls=0, clients=4, seed=7))
        while not burst.done() and _count(db) < 20:  # kill -9 once writes are landing, with more in flight
            await asyncio.sleep(0.05)
        os.kill(procs[0].pid, signal.SIGKILL)
        procs[0].wait(timeout=10)
        report = await asyncio.wait_for(burst, timeout=120)
    acknowledged = report.acknowledged
    assert 0 < len(acknowledged) < 400, "the kill should land mid-burst"
    assert report.errors  # the writes in flight failed at the client
    # "Restart": a new process opens the file (WAL recovery) and finds every acknowledged write.
    missing, integrity = lost_writes(db, acknowledged, url)
    assert missing == [] and integrity == "ok"
    store = open_store(Settings(db=db))
    try:
        assert sum(store.counts()["load"].values()) >= len(acknowledged)  # some may be superseded by later ones
    finally:
        store.close()


def _count(db) -> int:
    from server.store import open_database

    database = open_database(Settings(db=db))
    try:
        return database.one("SELECT COUNT(*) FROM memories")[0]
    finally:
        database.close()


def _memory(text: str, model_id: str):
    from datetime import datetime, timezone

    from server.models import Memory
    from server.service import content_hash, new_id

    now = datetime.now(timezone.utc)
    return Memory(id=new_id("mem"), namespace="ns", content=text, kind="fact", tier="episodic", confidence=0.9,
                  strength=1.0, decay_rate=0.02, recorded_at=now, valid_from=now, source="explicit",
                  content_hash=content_hash(text), embedding_model=model_id)


def test_vector_index_in_one_process_picks_up_a_write_committed_in_between_by_another(tmp_path):
    """Two stores on one file stand for two processes (each has its own connection and vector index)."""
    embedder = HashEmbedder()
    a, b = SQLiteStore(tmp_path / "v.db"), SQLiteStore(tmp_path / "v.db")

    def put(store, text):
        vector = embedder.embed([text])[0]
        return store.insert(_memory(text, embedder.model_id), vector), vector

    try:
        a.bind_embedding(embedder.model_id, embedder.dim)
        put(a, "first statement about apples")
        a.vector_search("ns", embedder.embed_query("apples"), 5, active_only=True)  # a loads its copy
        theirs, their_vector = put(b, "second statement about violins")  # committed by "another process"
        put(a, "third statement about rivers")  # a's own write, after theirs
        found = [r for r, _ in a.vector_search("ns", their_vector, 5, active_only=True)]
        assert theirs in found and len(found) == 3
    finally:
        a.close()
        b.close()


def test_rolled_back_write_leaves_no_ghost_vector(tmp_path):
    embedder = HashEmbedder()
    store = SQLiteStore(tmp_path / "r.db")
    try:
        store.bind_embedding(embedder.model_id, embedder.dim)
        store.vector_search("ns", embedder.embed_query("x"), 5, active_only=True)
        with pytest.raises(RuntimeError):
            with store.transaction():
                store.insert(_memory("ghost", embedder.model_id), embedder.embed(["ghost"])[0])
                raise RuntimeError("fails after the insert")
        assert store.vector_search("ns", embedder.embed_query("ghost"), 5, active_only=True) == []
        kept = store.insert(_memory("real", embedder.model_id), embedder.embed(["real"])[0])  # reuses the rowid
        assert [r for r, _ in store.vector_search("ns", embedder.embed_query("real"), 5, active_only=True)] == [kept]
    finally:
        store.close()
