"""Every tool through a real MCP client over streamable HTTP, with a bearer token."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio


async def call(client, tool, **args):
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content[0].text
    return result.structured_content


async def test_every_tool_works_over_http(server):
    store = server.app.context.store
    async with server.client(server.token("alice", name="laptop")) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert tools >= {"remember", "recall", "forget", "correct", "feedback"}

        added = await call(client, "remember", content="Maya plays the cello in the school orchestra", kind="fact")
        assert added["decision"] == "add"
        cello = added["memory_ids"][0]
        standup = (await call(client, "remember", content="The team standup is at 9:30"))["memory_ids"][0]

        found = await call(client, "recall", query="which instrument does the kid play?", k=3)
        assert found["results"][0]["memory"]["id"] == cello

        fb = await call(client, "feedback", recall_id=found["recall_id"], memory_id=cello, signal="helpful")
        assert fb["signal"] == "helpful"

        corrected = await call(client, "correct", id=standup, correction="The team standup is at 10:00", reason="moved")
        assert corrected["old"]["status"] == "superseded" and corrected["new"]["content"] == "The team standup is at 10:00"

        forgotten = await call(client, "forget", id=cello, reason="asked to", hard=True)
        assert cello in forgotten["forgotten"]
        after = await call(client, "recall", query="cello orchestra")
        assert cello not in [r["memory"]["id"] for r in after["results"]]

    actors = {e.actor for e in store.audit_entries("alice", limit=100)}
    assert actors == {"mcp:token:laptop"}
    assert store.get("alice", cello).content == ""
