"""Learning from a simulated user with hidden routines (through the real service, hash embedder)."""

from __future__ import annotations

import pytest

from server.policy.learn import learn
from server.policy.sim import SimConfig, simulate


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from server.clock import FixedClock
    from server.config import Settings
    from server.embed import HashEmbedder
    from server.policy import PolicyEngine
    from server.policy.sim import START
    from server.service import MemoryService
    from server.store import open_store
    from tests.conftest import AddOps

    s = Settings(db=tmp_path_factory.mktemp("sim") / "sim.db", embedding_model="offline")
    store = open_store(s)
    clock = FixedClock(START)
    service = MemoryService(store, HashEmbedder(), AddOps(), s, clock)
    engine = PolicyEngine(service)
    yield simulate(service, engine, clock, SimConfig()), engine
    store.close()


def test_proposals_on_routine_situations_are_precise_after_the_learning_period(report):
    rep, _ = report
    assert rep.precision_after(rep.config.learning_weeks) >= 0.8
    assert rep.coverage_after(rep.config.learning_weeks) >= 0.5


def test_a_changed_routine_retires_the_stale_policy_and_learns_the_new_one_within_four_weeks(report):
    rep, _ = report
    change = rep.config.change_week
    assert rep.old_retired_week is not None and rep.old_retired_week - change <= 4
    assert rep.new_active_week is not None and change <= rep.new_active_week <= change + 4


def test_few_proposals_where_no_routine_exists(report):
    rep, _ = report
    assert rep.max_other_per_week <= 2


def test_every_change_is_a_version_with_a_reason_and_an_audit_entry(report):
    _, engine = report
    for policy, _ in engine.store.current("sim"):
        versions = engine.store.versions("sim", policy.id)
        assert [v.version for v in versions] == list(range(1, len(versions) + 1))
        assert all(v.reason for v in versions)
        audit = engine.service.store.audit_entries("sim", memory_ids=[policy.id], limit=1000)
        assert len(audit) == len(versions)


def test_learning_twice_at_the_same_time_changes_nothing(report):
    _, engine = report
    now = engine.now()
    learn(engine, "sim", now)
    before = {p.id: p.version for p, _ in engine.store.current("sim")}
    counts = learn(engine, "sim", now)
    assert {p.id: p.version for p, _ in engine.store.current("sim")} == before
    assert not any(counts.values())


def test_a_dry_run_writes_nothing(engine, fast_service, clock):
    from datetime import timedelta

    from server.models import RememberRequest

    start = clock.now()
    for week in range(4):
        at = start + timedelta(weeks=week, hours=9)
        clock.set(at)
        fast_service.remember(RememberRequest(namespace="me", content=f"Asked for the weekly sales report (week {week})", kind="event", valid_from=at))
    counts = learn(engine, "me", clock.now() + timedelta(hours=14), dry_run=True)
    assert counts["created"] == 1 and engine.policies("me") == []
    learn(engine, "me", clock.now() + timedelta(hours=14))
    assert [p.status for p, _ in engine.policies("me")] == ["active"]


def test_the_learning_job_is_registered_with_sleep():
    from server.policy import JOB, register_policy_job
    from server.sleep import default_registry

    register_policy_job()
    assert JOB in default_registry().names()
