"""The runner: one process at a time (lease), runs recorded, extra jobs plug in, refinement promotes only if no worse."""

from __future__ import annotations

import shutil
import time
from datetime import datetime, timedelta, timezone

import pytest

from server.errors import InvalidInput
from server.lease import Lease
from server.sleep import run_sleep
from server.sleep.runner import _EXTRA, register_job, default_registry, last_run_at
from server.sleep.scheduler import SleepScheduler, overdue
from tests.sleep.conftest import remember


def test_a_run_is_busy_while_another_process_holds_the_lease(svc):
    remember(svc, "Lena fixed the VPN config")
    other = Lease(svc.store, "sleep", ttl_s=60, holder="someone-else")
    assert other.acquire()
    try:
        summary = run_sleep(svc, "me")
        assert summary.status == "busy" and "someone-else" in summary.message and summary.jobs == []
    finally:
        other.release()
    assert run_sleep(svc, "me").status == "done"


def test_runs_and_last_run_times_are_recorded(svc, clock):
    remember(svc, "Lena fixed the VPN config")
    summary = run_sleep(svc, None)
    [row] = svc.store.sleep_runs()
    assert row["id"] == summary.run_id and row["status"] == "done" and row["jobs"] == default_registry().names()
    assert last_run_at(svc.store) == clock.now()
    assert svc.store.sleep_state("me", "decay", "last_run_at") is not None


def test_an_unknown_job_is_invalid_input(svc):
    with pytest.raises(InvalidInput):
        run_sleep(svc, "me", jobs=["nap"])


def test_extra_jobs_plug_in_with_register_job(svc):
    calls = []

    def policy(ctx):
        calls.append(ctx.namespace)
        ctx.record("note", None, "policy step ran")
        return {"ran": 1}

    register_job("policy_test", policy)
    try:
        remember(svc, "Lena fixed the VPN config")
        summary = run_sleep(svc, "me", jobs=["policy_test"])
        assert calls == ["me"] and summary.jobs[0].counts == {"ran": 1}
    finally:
        _EXTRA[:] = [e for e in _EXTRA if e[0] != "policy_test"]


def test_a_failing_job_fails_the_run_but_not_the_other_jobs(svc):
    register_job("broken_test", lambda ctx: 1 / 0)
    try:
        remember(svc, "Lena fixed the VPN config")
        summary = run_sleep(svc, "me", jobs=["broken_test", "decay"])
        assert summary.status == "failed" and [j.status for j in summary.jobs] == ["failed", "done"]
    finally:
        _EXTRA[:] = [e for e in _EXTRA if e[0] != "broken_test"]


@pytest.mark.parametrize("candidate,promoted", [(0.80, True), (0.70, False)])
def test_model_refinement_promotes_a_candidate_only_if_no_worse(make_service, monkeypatch, candidate, promoted):
    from server.memops import checkpoint, train
    from server.sleep import refine

    svc = make_service(sleep_refine_min_examples=2)
    for old, new in [("Standup at 9:30", "Standup at 10:00"), ("Lives in Porto", "Lives in Lisbon")]:
        mid = remember(svc, old)
        svc.correct("me", new, memory_id=mid)
    got = {}

    def fake_finetune(embed, examples, base_dir, out_dir, **kw):
        got["examples"] = examples
        shutil.copytree(checkpoint.WEIGHTS_DIR, out_dir)
        return {"metrics": {"dev": {"action_accuracy": candidate, "supersede_recall": 0.6}}}

    monkeypatch.setattr(train, "finetune", fake_finetune)
    monkeypatch.setattr(refine, "_dev_score", lambda ops, embed: {"action_accuracy": 0.75, "supersede_recall": 0.57})
    summary = run_sleep(svc, None, jobs=["refine_model"])
    assert [e["expect"]["action"] for e in got["examples"]] == ["supersede", "supersede"]
    assert {e["new"] for e in got["examples"]} == {"Standup at 10:00", "Lives in Lisbon"}
    assert summary.jobs[0].counts["promoted"] == int(promoted)
    assert (svc.store.get_meta("memops_weights") is not None) == promoted
    action = "promote_model" if promoted else "reject_model"
    assert any(e.action == action for e in svc.store.audit_entries("me"))
    if promoted:
        assert type(svc.ops).__name__ == "LearnedOps"
    again = run_sleep(svc, None, jobs=["refine_model"])  # the same corrections are not used twice
    assert again.jobs[0].counts["examples"] == 0


def test_overdue_follows_the_interval_or_the_cron_line(svc):
    s = svc.settings
    now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    assert overdue(s, None, now)
    assert not overdue(s, now - timedelta(hours=5), now) and overdue(s, now - timedelta(hours=7), now)
    cron = s.model_copy(update={"sleep_cron": "0 3 * * *"})
    assert overdue(cron, now - timedelta(hours=10), now) and not overdue(cron, now - timedelta(hours=8), now)


def test_the_scheduler_catches_up_in_the_background_after_start(make_service):
    svc = make_service(sleep_catch_up_delay_s=0)
    remember(svc, "Lena fixed the VPN config")
    sleeper = SleepScheduler(svc)
    job_defaults = sleeper.scheduler._job_defaults
    assert job_defaults["coalesce"] is True and job_defaults["max_instances"] == 1 and job_defaults["misfire_grace_time"] > 0
    sleeper.start()
    try:
        for _ in range(200):
            if sleeper.last is not None:
                break
            time.sleep(0.05)
    finally:
        sleeper.shutdown()
    assert sleeper.last is not None and sleeper.last.trigger == "catch-up" and sleeper.last.status == "done"
    assert last_run_at(svc.store) is not None
    assert svc.store.sleep_runs()[0]["trigger"] == "catch-up"
