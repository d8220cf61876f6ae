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


def _one_and_many(settings, embedder, texts: list[str]) -> tuple[list, list]:
    """`texts` remembered one at a time in namespace "one" and as one batch in "many": their outcomes, and the batch's results."""
    store = open_store(settings)
    try:
        service = MemoryService(store, embedder, load_ops(), settings)
        one = [service.remember(RememberRequest(namespace="one", content=text)) for text in texts]
        many = service.remember_many([RememberRequest(namespace="many", content=text) for text in texts])
        return [_outcome(service, "one", one), _outcome(service, "many", many)], many
    finally:
        store.close()


def test_a_batch_decides_and_audits_like_one_statement_at_a_time(settings, embedder):
    (one, batch), many = _one_and_many(settings, embedder, STATEMENTS)
    assert batch == one
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


def test_a_batch_of_several_embedding_chunks_decides_like_one_statement_at_a_time(settings, embedder):
    # Chunks are embedded by whichever thread gets there first; neither vectors nor decisions may depend on it.
    from server.service import EMBED_CHUNK

    notes = [f"{who} {verb} {what} on {day}." for who, verb, what, day in zip(
        ["Ana", "Ben", "Chloe", "Dev", "Elif", "Farid"] * 8, ["bought", "visited", "prefers", "fixed"] * 12,
        ["a red kayak", "Lisbon", "green tea", "the staging server", "oat milk", "a chess opening", "tax forms"] * 7,
        ["Monday", "Tuesday", "Friday", "Sunday", "Saturday"] * 10)]
    texts = STATEMENTS + notes
    assert len(texts) > 3 * EMBED_CHUNK
    (one, batch), many = _one_and_many(settings, embedder, texts)
    assert batch == one
    assert {r.decision for r in many} >= {"add", "noop", "skip"}


class _Idle:
    """A pool that never runs what it is given: the calling thread must embed every chunk itself."""

    def submit(self, fn, *args):
        return None


class _Counting:
    def __init__(self, fail_on: str | None = None):
        self.calls: list[list[str]] = []
        self.fail_on = fail_on

    def embed(self, texts):
        import numpy as np

        self.calls.append(list(texts))
        if self.fail_on in texts:
            raise RuntimeError("the model failed")
        return np.array([[float(len(t)), 1.0] for t in texts], np.float32)


def test_the_calling_thread_embeds_what_the_background_thread_has_not_begun():
    from server.service import EMBED_CHUNK, _Vectors

    texts = [f"text {i}" + "x" * i for i in range(3 * EMBED_CHUNK + 5)]
    embedder = _Counting()
    vectors = _Vectors(texts, list(range(len(texts))))
    vectors.start(embedder, _Idle())
    assert not vectors.ready(len(texts) - 1)
    got = [vectors.get(i) for i in reversed(range(len(texts)))][::-1]  # out of order: chunks are claimed by need
    assert [float(v[0]) for v in got] == [float(len(t)) for t in texts]
    assert sorted(t for call in embedder.calls for t in call) == sorted(texts)  # each text embedded once
    assert vectors.ready(0) and vectors.ready(len(texts) - 1)


def test_an_embedding_failure_reaches_the_statement_that_needs_the_chunk():
    from concurrent.futures import ThreadPoolExecutor

    import pytest

    from server.service import EMBED_CHUNK, _Vectors

    texts = [f"statement number {i}" for i in range(2 * EMBED_CHUNK)]
    with ThreadPoolExecutor(1) as pool:
        vectors = _Vectors(texts, list(range(len(texts))))
        vectors.start(_Counting(fail_on=texts[EMBED_CHUNK + 1]), pool)
        assert vectors.get(0) is not None
        with pytest.raises(RuntimeError, match="the model failed"):
            vectors.get(EMBED_CHUNK + 3)
