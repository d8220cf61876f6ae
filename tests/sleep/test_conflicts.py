"""Conflicts: decisive evidence resolves (history kept), anything else is flagged and recall marks it."""

from __future__ import annotations

from datetime import timedelta

from server.memops.schema import OpsDecision
from server.models import RecallRequest
from server.sleep import run_sleep
from tests.sleep.conftest import START, remember

OLD, NEW = "The team standup is at 9:30 in room B", "The team standup is at 10:30 in room B"


def _flags(svc, query):
    return {h.memory.id: h.flags for h in svc.recall(RecallRequest(namespace="me", query=query, reinforce=False)).results}


def test_a_number_mismatch_without_decisive_evidence_is_flagged_and_recall_marks_both(svc):
    a, b = remember(svc, OLD), remember(svc, NEW)
    summary = run_sleep(svc, "me", jobs=["conflicts"])
    assert summary.jobs[0].counts["flagged"] == 1
    [conflict] = svc.store.conflicts("me", status="open")
    assert {conflict["a_id"], conflict["b_id"]} == {a, b} and conflict["signal"] == "mismatch"
    flags = _flags(svc, "when is the standup")
    assert "conflict" in flags[a] and "conflict" in flags[b]
    assert svc.store.get("me", a).status == svc.store.get("me", b).status == "active"
    assert any(e.action == "conflict" and "number differs" in e.detail["reason"] for e in svc.store.audit_entries("me"))


def test_clearly_newer_statement_from_a_source_trusted_as_much_wins(svc):
    a = remember(svc, OLD, valid_from=START - timedelta(days=20))
    b = remember(svc, NEW)
    run_sleep(svc, "me", jobs=["conflicts"])
    old = svc.store.get("me", a)
    assert old.status == "superseded" and old.superseded_by == b and old.valid_until is not None
    [conflict] = svc.store.conflicts("me")
    assert conflict["status"] == "resolved"
    assert any(e.action == "resolve_conflict" and e.memory_id == a for e in svc.store.audit_entries("me"))
    assert "conflict" not in _flags(svc, "when is the standup").get(b, [])


def test_a_newer_but_less_trusted_statement_is_only_flagged(svc):
    from server.models import Source

    a = remember(svc, OLD, valid_from=START - timedelta(days=20))
    b = remember(svc, NEW, source=Source.inferred)
    run_sleep(svc, "me", jobs=["conflicts"])
    assert svc.store.get("me", a).status == svc.store.get("me", b).status == "active"
    assert [c["status"] for c in svc.store.conflicts("me")] == ["open"]


def test_an_open_conflict_closes_once_a_side_is_corrected(svc, clock):
    a, b = remember(svc, OLD), remember(svc, NEW)
    run_sleep(svc, "me", jobs=["conflicts"])
    clock.advance(hours=1)
    svc.correct("me", "The team standup is at 10:30 in room C", memory_id=a)
    run_sleep(svc, "me", jobs=["conflicts"])
    statuses = {c["status"] for c in svc.store.conflicts("me") if {c["a_id"], c["b_id"]} == {a, b}}
    assert statuses == {"closed"}


class SupersedeOn:
    """Stands in for the memory-ops model: says a statement holding `word` supersedes its nearest neighbour."""

    def __init__(self, word: str):
        self.word = word

    def decide(self, text, vector, neighbors, kind_hint=None):
        if self.word in text and neighbors:
            return OpsDecision("supersede", 0, "fact", 1.0, 0.02, 0.95, f"contradicts #0 ({self.word!r})")
        return OpsDecision("add", None, kind_hint or "fact", 1.0, 0.02, 0.9, "test: add")


def test_the_memory_ops_model_supersede_signal_is_a_conflict(make_service):
    svc = make_service(ops=SupersedeOn("moved"))
    a = remember(svc, "Ana lives in Porto near the river")
    # Written without the model's look at neighbours (as an import would): both end up active.
    from tests.conftest import AddOps

    svc.ops = AddOps()
    b = remember(svc, "Ana moved and lives in Lisbon near the river now")
    svc.ops = SupersedeOn("moved")
    summary = run_sleep(svc, "me", jobs=["conflicts"])
    changes = summary.jobs[0].changes
    assert changes and changes[0].detail["signal"] == "model"
    assert {c["a_id"] for c in svc.store.conflicts("me")} | {c["b_id"] for c in svc.store.conflicts("me")} == {a, b}


def test_a_later_event_does_not_supersede_an_earlier_one_it_is_only_flagged(make_service):
    from tests.conftest import AddOps

    svc = make_service(ops=AddOps())
    a = remember(svc, "Ana moved the boxes to the garage", kind="event", valid_from=START - timedelta(days=20))
    b = remember(svc, "Ana moved the boxes to the attic", kind="event")
    svc.ops = SupersedeOn("moved")  # says "supersede", and b is 20 days newer from the same source: decisive for a fact
    summary = run_sleep(svc, "me", jobs=["conflicts"])
    assert summary.jobs[0].counts["resolved"] == 0 and summary.jobs[0].counts["flagged"] == 1
    assert svc.store.get("me", a).status == svc.store.get("me", b).status == "active"
    [conflict] = svc.store.conflicts("me")
    assert conflict["status"] == "open" and conflict["signal"] == "model"


def test_recency_does_not_back_a_model_saying_the_older_statement_replaces_the_newer(make_service):
    from tests.conftest import AddOps

    svc = make_service(ops=AddOps())
    a = remember(svc, "Ana lives in Porto near the river", valid_from=START - timedelta(days=20))
    b = remember(svc, "Ana lives in Lisbon near the river")
    svc.ops = SupersedeOn("Porto")  # the older statement, about Porto, is said to replace the newer
    summary = run_sleep(svc, "me", jobs=["conflicts"])
    assert summary.jobs[0].counts == {"checked": 2, "flagged": 1, "resolved": 0, "closed": 0}
    assert svc.store.get("me", a).status == svc.store.get("me", b).status == "active"
