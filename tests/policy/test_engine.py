"""Explicit rules, proposals, outcomes and action checks on a real SQLite file (hash embedder)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from server.errors import InvalidInput, NotFound
from server.models import RememberRequest
from server.policy.rules import parse_rule

FRIDAY = datetime(2026, 1, 9, 15, 0, tzinfo=timezone.utc)
THURSDAY = datetime(2026, 1, 8, 15, 0, tzinfo=timezone.utc)


def constraint(engine, text, ns="me"):
    result = engine.service.remember(RememberRequest(namespace=ns, content=text, kind="constraint"))
    return next(p for p, _ in engine.policies(ns) if result.memory_ids[0] in p.evidence.memories)


@pytest.mark.parametrize(
    "text, enforcement, polarity",
    [
        ("Never deploy on Fridays", "hard", "forbid"),
        ("Don't force-push to main", "hard", "forbid"),
        ("Always run smoke tests before production", "hard", "require"),
        ("Prefer not to schedule meetings before 10am", "soft", "forbid"),
        ("Try to write the tests first", "soft", "require"),
        ("Usually answer in English", "soft", "require"),
    ],
)
def test_the_modal_decides_hard_or_soft(text, enforcement, polarity):
    parsed = parse_rule(text)
    assert (parsed.enforcement, parsed.rule.polarity) == (enforcement, polarity)


def test_a_remembered_constraint_becomes_an_active_hard_policy_with_provenance(engine):
    policy = constraint(engine, "Never deploy on Fridays")
    assert policy.status == "active" and policy.enforcement == "hard" and policy.origin == "explicit"
    assert policy.conditions.weekdays == ["fri"] and policy.confidence > 0.8
    audit = engine.service.store.audit_entries("me", memory_ids=[policy.id])
    assert [a.action for a in audit] == ["policy_create"]


def test_other_kinds_do_not_make_policies(engine):
    engine.service.remember(RememberRequest(namespace="me", content="Never liked olives", kind="preference"))
    assert engine.policies("me") == []


def test_deploy_is_blocked_on_friday_and_allowed_on_thursday(engine):
    policy = constraint(engine, "Never deploy on Fridays")
    blocked = engine.check("me", "deploy the api to production", now=FRIDAY)
    assert blocked.verdict == "blocked" and blocked.policies[0].policy_id == policy.id
    assert blocked.policies[0].match == "lexical"
    assert engine.check("me", "deploy the api to production", now=THURSDAY).verdict == "allowed"


def test_destructive_command_needs_approval(engine):
    constraint(engine, "Never run destructive commands without approval")
    assert engine.check("me", "rm -rf /var/lib/app/data").verdict == "blocked"
    assert engine.check("me", "rm -rf /var/lib/app/data", context="not approved yet").verdict == "blocked"
    assert engine.check("me", "rm -rf /var/lib/app/data", context="approved by Ana in the ticket").verdict == "allowed"
    assert engine.check("me", "list the files in /var/lib/app").verdict != "blocked"


def test_production_needs_smoke_tests_first(engine):
    constraint(engine, "Always run smoke tests before production")
    assert engine.check("me", "deploy release 4.2 to prod").verdict == "blocked"
    assert engine.check("me", "deploy release 4.2 to prod", context="smoke tests passed on staging").verdict == "allowed"
    assert engine.check("me", "deploy release 4.2 to staging").verdict == "allowed"


def test_soft_rules_warn_and_never_block(engine):
    constraint(engine, "Prefer not to schedule meetings before 10am")
    early = datetime(2026, 1, 7, 8, 30, tzinfo=timezone.utc)
    result = engine.check("me", "schedule a meeting with Ben", now=early)
    assert result.verdict == "warn" and result.policies[0].enforcement == "soft"


def test_a_restated_constraint_revises_the_same_policy(engine, fast_service):
    first = constraint(engine, "Never deploy on Fridays")
    memory_id = first.evidence.memories[0]
    # what the write path does on supersede: a new memory linked to the old one
    from server.models import Memory
    from server.service import new_id

    old = fast_service.store.get("me", memory_id)
    new = Memory(**{**old.model_dump(), "id": new_id("mem"), "content": "Never deploy on Fridays or weekends", "supersedes": memory_id})
    engine.on_memories_stored([(new, "supersede")])
    versions = engine.store.versions("me", first.id)
    assert [v.version for v in versions] == [1, 2] and versions[0].conditions.weekdays == ["fri"]
    assert versions[1].conditions.weekdays == ["fri", "sat", "sun"]
    assert len(engine.policies("me")) == 1


def test_nothing_is_proposed_without_a_fitting_policy(engine):
    assert engine.propose("me", "the build is green").proposals == []
    constraint(engine, "Never deploy on Fridays")
    assert engine.propose("me", "about to deploy the search service", now=THURSDAY).proposals == []
    found = engine.propose("me", "about to deploy the search service", now=FRIDAY).proposals
    assert len(found) == 1 and found[0].action == "Never deploy on Fridays" and found[0].evidence


def test_an_outcome_is_a_new_version_and_an_outcome_memory(engine, fast_service):
    policy = constraint(engine, "Never deploy on Fridays")
    proposal = engine.propose("me", "deploy the search service", now=FRIDAY).proposals[0]
    result = engine.record_outcome("me", "failure", proposal_id=proposal.proposal_id, note="we had to hotfix")
    assert result.policy["version"] == 2 and result.policy["confidence"] < policy.confidence
    memory = fast_service.store.get("me", result.memory_id)
    assert memory.kind == "outcome" and f"ref:policy:{policy.id}/{proposal.proposal_id}" in memory.provenance
    with pytest.raises(InvalidInput):
        engine.record_outcome("me", "success", proposal_id=proposal.proposal_id)
    with pytest.raises(NotFound):
        engine.record_outcome("me", "success", proposal_id="prop_missing")
    by_action = engine.record_outcome("me", "success", action="never deploy on fridays")
    assert by_action.policy["id"] == policy.id and by_action.policy["version"] == 3


def test_policies_are_per_namespace(engine):
    constraint(engine, "Never deploy on Fridays", ns="work")
    assert engine.policies("home") == []
    assert engine.check("home", "deploy the api", now=FRIDAY).verdict == "allowed"


def test_a_batch_of_constraints_becomes_policies_with_one_trigger_embedding(engine, monkeypatch):
    calls = []
    embed = engine.embed
    monkeypatch.setattr(engine, "embed", lambda texts: calls.append(list(texts)) or embed(texts))
    rules = ["Never deploy on Fridays", "Always run the tests before merging", "Don't schedule meetings before 10am"]
    results = engine.service.remember_many(
        [RememberRequest(namespace="me", content=text, kind="constraint") for text in rules]
        + [RememberRequest(namespace="me", content="I like green tea", kind="preference")]
    )
    assert len(calls) == 1 and len(calls[0]) == 3  # one model run for the batch's triggers, none for the preference
    by_memory = {m: p for p, _ in engine.policies("me") for m in p.evidence.memories}
    assert all(r.memory_ids[0] in by_memory for r in results[:3]) and results[3].memory_ids[0] not in by_memory
    # each policy's stored trigger vector is its own trigger's embedding
    for policy, vector in engine.policies("me"):
        assert vector is not None and float(vector @ embed([policy.trigger])[0]) > 0.999


def test_one_batch_reads_the_policies_once_and_sees_its_own_writes(engine, fast_service, monkeypatch):
    """A batch holding a constraint and its restatement revises the policy it created a moment before."""
    from server.models import Memory
    from server.service import new_id

    first = constraint(engine, "Never deploy on Fridays")
    old = fast_service.store.get("me", first.evidence.memories[0])
    again = Memory(**{**old.model_dump(), "id": new_id("mem"), "content": "Never deploy on Fridays or weekends", "supersedes": old.id})
    other = Memory(**{**old.model_dump(), "id": new_id("mem"), "content": "Always run the tests before merging", "supersedes": None})
    third = Memory(**{**old.model_dump(), "id": new_id("mem"), "content": "Never deploy on weekends", "supersedes": again.id})
    reads = []
    current = engine.store.current
    monkeypatch.setattr(engine.store, "current", lambda ns, statuses=None: reads.append(ns) or current(ns, statuses))
    engine.on_memories_stored([(again, "supersede"), (other, "add"), (third, "supersede")])
    assert reads == ["me"]
    assert [v.version for v in engine.store.versions("me", first.id)] == [1, 2, 3]
    assert engine.store.versions("me", first.id)[-1].evidence.memories == [old.id, again.id, third.id]
    assert len(engine.policies("me")) == 2
