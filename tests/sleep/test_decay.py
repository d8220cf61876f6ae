"""Decay: each memory fades at its own rate, never twice for the same time; reinforcement slows it; weak ones archive."""

from __future__ import annotations

import itertools
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.models import RecallRequest
from server.service import effective_strength
from server.sleep import run_sleep
from tests.sleep.conftest import START, remember

_ns = itertools.count()


def _persisted(svc, ns, mid):
    return svc.store.decay_states(ns)[mid][0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rate=st.floats(min_value=0.001, max_value=0.5),
    steps=st.lists(st.floats(min_value=0.0, max_value=30.0), min_size=1, max_size=5),
)
def test_decay_is_monotone_between_reinforcements_and_never_double_counts(svc, clock, rate, steps):
    ns = f"p{next(_ns)}"
    clock.set(START)
    mid = remember(svc, "The garden shed key is under the blue pot", namespace=ns)
    svc.store.update_fields(ns, mid, decay_rate=rate)
    previous = 1.0
    for days in steps:
        clock.advance(days=days)
        run_sleep(svc, ns, jobs=["decay"])
        once = _persisted(svc, ns, mid)
        run_sleep(svc, ns, jobs=["decay"])  # again at the same time: no extra decay
        assert _persisted(svc, ns, mid) == once
        assert once <= previous + 1e-9
        memory = svc.store.get(ns, mid)
        if memory.status == "archived":  # faded below the threshold: archived, and decay stops touching it
            assert once < svc.settings.sleep_archive_strength
            break
        assert math.isclose(once, effective_strength(memory, clock.now()), rel_tol=1e-5, abs_tol=1e-6)
        previous = once


def test_a_faded_memory_moves_to_the_archival_tier_and_is_still_found(svc, clock):
    mid = remember(svc, "Parked on level 3 of the airport garage")
    svc.store.update_fields("me", mid, decay_rate=0.2)
    keep = remember(svc, "Allergic to penicillin")
    svc.store.update_fields("me", keep, decay_rate=0.001)
    clock.advance(days=30)  # 0.9 * e^-6 = 0.002 < 0.1
    summary = run_sleep(svc, "me", jobs=["decay"])
    assert [c.memory_id for c in summary.jobs[0].changes if c.action == "archive"] == [mid]
    m = svc.store.get("me", mid)
    assert (m.status, m.tier) == ("archived", "archival")
    assert svc.store.get("me", keep).status == "active"
    reasons = [e.detail["reason"] for e in svc.store.audit_entries("me", memory_ids=[mid]) if e.action == "archive"]
    assert reasons and reasons[0].startswith("decayed")
    hidden = svc.recall(RecallRequest(namespace="me", query="airport garage", reinforce=False))
    assert mid not in [h.memory.id for h in hidden.results]
    shown = svc.recall(RecallRequest(namespace="me", query="airport garage", include_archived=True, reinforce=False))
    assert mid in [h.memory.id for h in shown.results]


def test_spaced_recalls_slow_the_decay_but_cramming_counts_once(svc, clock):
    spaced = remember(svc, "Mateo is learning Japanese on weekday evenings")
    crammed = remember(svc, "Priya bought hiking boots for the Alps trip")
    run_sleep(svc, "me", jobs=["decay"])
    base = {m: svc.store.get("me", m).decay_rate for m in (spaced, crammed)}
    for _ in range(3):
        clock.advance(days=1)
        svc.store.reinforce("me", [spaced], clock.now(), boost=0.05)
    for _ in range(3):
        svc.store.reinforce("me", [crammed], clock.now(), boost=0.05)
    summary = run_sleep(svc, "me", jobs=["decay"])
    assert math.isclose(svc.store.get("me", spaced).decay_rate, base[spaced] * 0.8**3, rel_tol=1e-6)
    assert math.isclose(svc.store.get("me", crammed).decay_rate, base[crammed] * 0.8**3, rel_tol=1e-6)  # 3 days since the last pass
    clock.advance(hours=2)
    for _ in range(5):
        svc.store.reinforce("me", [crammed], clock.now(), boost=0.05)
    run_sleep(svc, "me", jobs=["decay"])
    assert math.isclose(svc.store.get("me", crammed).decay_rate, base[crammed] * 0.8**4, rel_tol=1e-6)  # five in two hours: one
    assert any(c.action == "slow_decay" for c in summary.jobs[0].changes)
    assert any(e.action == "slow_decay" for e in svc.store.audit_entries("me", memory_ids=[spaced]))
