"""Batch writes: `remember_many` decides exactly as one `remember` at a time would, and never waits on itself.

Real SQLite files, the real offline embedding model and the shipped memory-ops model.
"""

from __future__ import annotations

import re
import threading

from server.memops import load_ops
from server.models import RememberRequest
from server.service import MemoryService
from server.store import open_store

STATEMENTS = [
    "My rent is 900 dollars a month.",
    "I work as a nurse at the city hospital.",
    "my rent is 900 dollars a month.",  # an exact duplicate of the first, within the batch
    "Actually my rent went up to 1200 dollars a month.",  # changes the first
    "What time is it?",
    "I prefer window seats on long flights.",
    "My API key is sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c.",
    "I work as a nurse at the city hospital, in the children's ward.",
    "I prefer aisle seats on long flights, not window seats.",
    "Can you remind me what my rent is?",
]


def _outcome(service: MemoryService, namespace: str, results) -> list:
    """What was decided and what the audit trail says, without ids and times (which differ run to run)."""
    decisions = [(r.decision, r.kind, re.sub(r"mem_\w+", "mem", r.reason), len(r.memory_ids)) for r in results]
    audit = [(e.action, e.detail.get("kind"), e.detail.get("tier")) for e in reversed(service.store.audit_entries(namespace, limit=100))]
    contents = sorted((m.content, m.status) for _, m in service.store.iter_all(namespace))
    return [decisions, audit, contents]


def test_a_batch_decides_and_audits_like_one_statement_at_a_time(settings, embedder):
    store = open_store(settings)
    try:
        service = MemoryService(store, embedder, load_ops(), settings)
        one = [service.remember(RememberRequest(namespace="one", content=text)) for text in STATEMENTS]
        many = service.remember_many([RememberRequest(namespace="many", content=text) for text in STATEMENTS])
        assert _outcome(service, "many", many) == _outcome(service, "one", one)
    finally:
        store.close()
    decisions = [r.decision for r in many]
    assert decisions[2] == "noop" and decisions[6] == "redact"  # the within-batch duplicate was seen, the secret redacted


def test_the_first_batch_waits_for_a_memops_model_that_is_still_loading(settings, embedder):
    # The model's loader reads the database; a batch that took the write transaction first would wait on it forever.
    from server.app import build_context

    app = build_context(settings, embedder=embedder, warm=False)
    results: list = []
    worker = threading.Thread(
        target=lambda: results.extend(app.service.remember_many([RememberRequest(namespace="ns", content=t) for t in STATEMENTS[:3]])),
        daemon=True,
    )
    try:
        worker.start()
        worker.join(timeout=120)
        assert not worker.is_alive(), "remember_many deadlocked"
        assert [r.decision for r in results] == ["add", "add", "noop"]
    finally:
        if not worker.is_alive():
            app.store.close()
