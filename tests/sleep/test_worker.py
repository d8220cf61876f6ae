"""Runs the server starts (`isolated=True`) go to a child process: its own lease holder, progress and log lines
relayed, its changes seen by the server's vector index, stop requests passed on; test doubles stay in process."""

from __future__ import annotations

import os
import threading

import pytest

from server.models import RecallRequest, RememberRequest
from server.sleep.runner import SleepRunner, default_registry
from server.sleep.worker import why_not

# The real app (offline model, system clock, memory-ops model built from settings), as `reverie serve` builds it.
pytestmark = pytest.mark.sqlite_only

EPISODES = [
    "Ana bought a red kayak in Porto last spring.",
    "Last spring Ana bought a red kayak in Porto.",
    "Ana says the red kayak she bought in Porto last spring was a good buy.",
]


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"memops": "rules", "sleep_enabled": False})


def _remember_all(app):
    from tests.conftest import AddOps

    ops, app.service.ops = app.service.ops, AddOps()  # keep all three (the write path would merge paraphrases)
    try:
        return [app.service.remember(RememberRequest(namespace="me", content=text)).memory_ids[0] for text in EPISODES]
    finally:
        app.service.ops = ops


def test_an_isolated_run_happens_in_a_child_process_and_the_server_index_sees_its_changes(app):
    ids = _remember_all(app)
    query = RecallRequest(namespace="me", query="Ana red kayak Porto", k=5, reinforce=False)
    assert {h.memory.id for h in app.service.recall(query).results} >= set(ids)  # the index is loaded and in step
    assert why_not(app.service, default_registry()) is None
    progress, lines = [], []
    summary = SleepRunner(app.service, isolated=True).run("me", ["consolidate"], trigger="test",
                                                          progress=lambda *a: progress.append(a), log_fn=lines.append)
    assert summary.status == "done" and summary.jobs[0].counts["semantic"] == 1
    [run] = app.store.sleep_runs()
    assert run["id"] == summary.run_id and int(run["holder"].split(":")[1]) != os.getpid()
    assert progress and any("consolidate" in line for line in lines)
    archived = {c.memory_id for c in summary.jobs[0].changes if c.action == "archive"}
    assert archived
    found = {h.memory.id for h in app.service.recall(query).results}
    assert not archived & found  # the server's own index applied the child's status changes
    semantic = next(c.memory_id for c in summary.jobs[0].changes if c.action == "consolidate")
    assert semantic in found  # and loaded its new vector


def test_a_stop_request_reaches_the_child(app):
    _remember_all(app)
    stop = threading.Event()
    stop.set()
    summary = SleepRunner(app.service, isolated=True, stop=stop).run("me", trigger="test")
    assert summary.status == "stopped" and summary.run_id
    assert app.store.sleep_runs()[0]["status"] == "stopped"


def test_runs_with_a_controllable_clock_or_test_doubles_stay_in_process(svc):
    assert why_not(svc, default_registry()) == "controllable clock"


def test_a_job_that_is_a_closure_keeps_the_run_in_process(app):
    from server.sleep.base import JobRegistry

    registry = JobRegistry()
    registry.register("inline", lambda ctx: {})
    assert "inline" in why_not(app.service, registry)
