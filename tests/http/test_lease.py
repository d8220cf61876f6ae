"""Leases: one holder at a time per database, taken over once the holder's lease expires.

`open_store(Settings(db=...))` puts them on the SQLite file, or on PostgreSQL on the suite's PostgreSQL run
(the worker subprocesses inherit REVERIE_DATABASE_URL): two processes are then two replicas of one database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from server.config import Settings
from server.lease import Lease
from server.store import open_store
from tests.conftest import ROOT


def open_configured(db):
    """The configured backend: this SQLite file, or the test's PostgreSQL database on the PostgreSQL run."""
    return open_store(Settings(db=db))


@pytest.fixture
def store(tmp_path):
    s = open_configured(tmp_path / "lease.db")
    yield s
    s.close()


def test_one_holder_at_a_time_and_takeover_after_expiry(store):
    now = [1000.0]
    a = Lease(store, "sleep", ttl_s=10, holder="a", clock=lambda: now[0])
    b = Lease(store, "sleep", ttl_s=10, holder="b", clock=lambda: now[0])
    assert a.acquire() and a.held
    assert not b.acquire() and not b.held
    now[0] += 8
    assert a.renew()  # now expires at 1018
    now[0] += 9
    assert not b.acquire()
    now[0] += 2  # a stopped renewing: expired
    assert b.acquire()
    assert not a.renew() and not a.held
    a.release()  # not ours any more: leaves b's lease alone
    assert store.db.one("SELECT holder FROM leases WHERE name = 'sleep'")[0] == "b"
    b.release()
    assert a.acquire()


def test_leases_with_different_names_are_independent(store):
    assert Lease(store, "sleep", 5, holder="a").acquire()
    assert Lease(store, "reembed", 5, holder="b").acquire()


def test_context_manager_releases_and_renews_in_the_background(store):
    with Lease(store, "sleep", ttl_s=0.3, auto_renew=True) as lease:
        assert lease.held
        time.sleep(0.8)  # several ttls: kept alive by the renewer
        assert not Lease(store, "sleep", 0.3).acquire()
    assert store.db.one("SELECT COUNT(*) FROM leases")[0] == 0
    with Lease(store, "sleep", 5, holder="x"):
        with Lease(store, "sleep", 5, holder="y") as other:
            assert not other.held


WORKER = r"""
import sys, time
from pathlib import Path
from server.config import Settings
from server.lease import Lease
from server.store import open_store

store = open_store(Settings(db=Path(sys.argv[1])))
lease = Lease(store, "job", ttl_s=0.5)
entries = 0
deadline = time.time() + float(sys.argv[2])
while time.time() < deadline:
    if lease.acquire():
        # A read-modify-write split over two transactions: two holders at once would lose increments.
        value = int(store.get_meta("counter") or 0)
        time.sleep(0.01)
        store.set_meta("counter", str(value + 1))
        entries += 1
        lease.release()
    time.sleep(0.002)
print(entries)
"""


def test_two_processes_never_hold_the_lease_at_once(tmp_path):
    db = tmp_path / "lease.db"
    open_configured(db).close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(db), "3"], env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    entries = [int(p.communicate(timeout=60)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert all(n > 0 for n in entries), entries  # both got turns
    store = open_configured(db)
    try:
        assert int(store.get_meta("counter")) == sum(entries)
    finally:
        store.close()


HOLDER = r"""
import sys, time
from pathlib import Path
from server.config import Settings
from server.lease import Lease
from server.store import open_store

lease = Lease(open_store(Settings(db=Path(sys.argv[1]))), "job", ttl_s=1.0, holder="doomed")
assert lease.acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_lease_of_a_killed_holder_is_taken_over_after_it_expires(tmp_path):
    db = tmp_path / "lease.db"
    store = open_configured(db)
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        mine = Lease(store, "job", ttl_s=5)
        assert not mine.acquire()  # still within the dead holder's ttl
        deadline = time.monotonic() + 5
        while not mine.acquire():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert mine.holder_now()[0] == mine.holder
    finally:
        if proc.poll() is None:
            proc.kill()
        store.close()
