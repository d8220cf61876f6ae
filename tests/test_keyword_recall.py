"""Recall's keyword signal end to end (a real MCP client session, the real model), on either backend: on SQLite
it comes from the in-process index (server/store/keyword_index.py), on PostgreSQL from the tsvector."""

from __future__ import annotations

import pytest

from tests.test_tools import call

pytestmark = pytest.mark.anyio


async def test_keyword_recall_follows_writes_and_a_hard_forget(client, app):
    first = await call(client, "remember", content="Our boat is moored at the Kettlewell marina on weekends", kind="fact")
    await call(client, "remember", content="Prefers tea to coffee in the morning", kind="preference")
    found = await call(client, "recall", query="Kettlewell", k=5)
    scores = {h["memory"]["id"]: h["scores"]["keyword"] for h in found["results"]}
    assert scores[first["memory_ids"][0]] == pytest.approx(1.0)
    later = await call(client, "remember", content="Kettlewell library extended its opening hours for the exam season", kind="event")
    assert later["decision"] == "add"
    found = await call(client, "recall", query="Kettlewell library hours", k=5)
    assert found["results"][0]["memory"]["id"] == later["memory_ids"][0]
    assert found["results"][0]["scores"]["keyword"] == pytest.approx(1.0)
    await call(client, "forget", id=later["memory_ids"][0], reason="user asked", hard=True)
    found = await call(client, "recall", query="Kettlewell library hours", k=5)
    assert later["memory_ids"][0] not in {h["memory"]["id"] for h in found["results"]}
    assert {h["memory"]["id"]: h["scores"]["keyword"] for h in found["results"]}[first["memory_ids"][0]] == pytest.approx(1.0)
