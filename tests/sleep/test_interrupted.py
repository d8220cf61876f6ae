"""A `reverie sleep` killed with SIGKILL half-way leaves a consistent store, and the next run completes the work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from server.clock import SystemClock
from server.models import Memory
from server.service import content_hash, new_id
from server.sleep import run_sleep
from server.config import Settings
from server.store import open_database
from tests.conftest import MODEL_CACHE, ROOT

PEOPLE = ["Ana", "Ben", "Chloe", "Dev", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jon"]
THINGS = ["a red kayak", "a vintage camera", "a mountain bike", "a standing desk", "hiking boots", "a chess set", "a cello", "a telescope"]


def _fill(app, namespace="me") -> list[list[str]]:
    """Pairs of different sentences about the same purchase (so every summary is new text that needs embedding)."""
    texts, groups = [], []
    for p in PEOPLE:
        for t in THINGS:
            texts.append((f"{p} bought {t} last spring.", f"{p} is very happy with {t} bought last spring."))
    flat = [s for pair in texts for s in pair]
    app.service._bind()
    vectors = app.embedder.embed(flat)
    now = SystemClock().now()
    for i, pair in enumerate(texts):
        ids = []
        for j, text in enumerate(pair):
            m = Memory(id=new_id("mem"), namespace=namespace, content=text, recorded_at=now, valid_from=now, confidence=0.8,
                       content_hash=content_hash(text), embedding_model=app.embedder.model_id)
            app.store.insert(m, vectors[2 * i + j])
            ids.append(m.id)
        groups.append(ids)
    return groups


def _connect(db):
    # The same SQLite library as the store: two copies of SQLite in one process do not share WAL locks safely.
    settings = Settings(db=db)
    return open_database(settings)


def _check_consistent(db) -> tuple[int, str]:
    con = _connect(db)
    try:
        if con.dialect == "sqlite":
            assert con.one("PRAGMA integrity_check")[0] == "ok"
        folded = dict(con.execute("SELECT memory_id, semantic_id FROM sleep_consolidated"))
        semantic = {mid: prov for mid, prov in con.execute("SELECT id, provenance FROM memories WHERE tier = 'semantic'")}
        import json

        seen = set()
        for sid, prov in semantic.items():
            for source in json.loads(prov):
                assert folded.get(source) == sid  # every source recorded with its semantic memory, in one transaction
                assert source not in seen  # no episode folded twice
                seen.add(source)
        for (mid,) in con.execute("SELECT id FROM memories WHERE status = 'archived'"):
            assert mid in seen  # nothing archived without its semantic memory
        status = con.one("SELECT status FROM sleep_runs ORDER BY started_at LIMIT 1")
        return len(semantic), status[0] if status else ""
    finally:
        con.close()


@pytest.mark.slow
def test_killed_run_leaves_the_store_consistent_and_the_next_run_completes_it(app, settings):
    groups = _fill(app)
    env = dict(os.environ, REVERIE_DB=str(settings.db), REVERIE_EMBEDDING_MODEL="offline", REVERIE_EMBEDDING_CACHE_DIR=str(MODEL_CACHE),
               REVERIE_SLEEP_LEASE_TTL_S="2", HF_HUB_OFFLINE="1")
    proc = subprocess.Popen([sys.executable, "-m", "server", "sleep", "--namespace", "me", "--job", "consolidate"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    con = _connect(settings.db)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if con.one("SELECT COUNT(*) FROM audit WHERE action = 'consolidate'")[0] >= 1:
                break
            time.sleep(0.01)
    finally:
        con.close()
    assert proc.poll() is None, f"the run finished before it could be killed: {proc.stderr.read()[-2000:]!r}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)

    done_before, status = _check_consistent(settings.db)
    assert status == "running" and 0 < done_before < len(groups)

    time.sleep(2.2)  # the dead runner's lease expires
    summary = run_sleep(app.service, "me", jobs=["consolidate"])
    assert summary.status == "done"
    done_after, status = _check_consistent(settings.db)
    assert status == "interrupted"
    assert done_after == done_before + summary.jobs[0].counts["semantic"], (done_before, done_after, summary.jobs[0].counts)
    folded = [m for _, m in app.store.iter_memories("me", statuses=("active", "archived"), tiers=("semantic",))]
    covered = {p for m in folded for p in m.provenance}
    everything = {mid for g in groups for mid in g}
    assert covered <= everything and len(covered) > len(everything) / 2
    assert run_sleep(app.service, "me", jobs=["consolidate"]).jobs[0].counts["semantic"] == 0
