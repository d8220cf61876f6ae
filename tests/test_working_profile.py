"""Working memory and the core profile, through a real MCP client on a real SQLite file."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from mcp import Client

from server.app import build_context, create_server
from server.clock import FixedClock
from server.profile import estimate_tokens

pytestmark = pytest.mark.anyio
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


async def call(client, tool, **args):
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content[0].text
    return result.structured_content


def context(settings, embedder, clock):
    app = build_context(settings, embedder=embedder, clock=clock)
    app.working.service.clock = clock
    return app


async def test_task_state_merges_and_survives_a_server_restart(settings, embedder):
    clock = FixedClock(START)
    app = context(settings, embedder, clock)
    async with Client(create_server(context=app), cache=None) as client:
        await call(client, "update_task_state", session_id="s1", goal="Migrate billing to Postgres", phase="planning", next=["dump schema"])
        state = await call(client, "update_task_state", session_id="s1", done=["dump schema"], next=["write migration"], clear=["next"])
        assert state["next"] == ["write migration"] and state["done"] == ["dump schema"] and state["version"] == 2
    app.store.close()
    app = context(settings, embedder, clock)  # a new server process on the same file
    async with Client(create_server(context=app), cache=None) as client:
        state = await call(client, "task_state", session_id="s1")
        assert state["goal"] == "Migrate billing to Postgres" and state["phase"] == "planning"
        listing = json.loads((await client.read_resource("memory://default/tasks")).contents[0].text)
        assert [t["session_id"] for t in listing["items"]] == ["s1"]
    app.store.close()


async def test_task_state_expires_after_its_ttl(settings, embedder):
    clock = FixedClock(START)
    app = context(settings, embedder, clock)
    async with Client(create_server(context=app), cache=None) as client:
        await call(client, "update_task_state", session_id="s2", goal="Write the quarterly report")
        clock.advance(hours=23)
        await call(client, "update_task_state", session_id="s2", notes=["draft sent"])  # use extends the TTL
        clock.advance(hours=23)
        assert (await call(client, "task_state", session_id="s2"))["notes"] == ["draft sent"]
        clock.advance(hours=2)
        result = await client.call_tool("task_state", {"session_id": "s2"})
        assert result.is_error and "[not_found]" in result.content[0].text
        from server.sleep import run_sleep

        summary = run_sleep(app.service, None, jobs=["expire_tasks"])  # the scheduler's job drops it
        assert "expire_tasks" in str(summary.model_dump() if hasattr(summary, "model_dump") else summary)
        assert app.store.db.one("SELECT COUNT(*) FROM task_states")[0] == 0
    app.store.close()


async def test_ending_a_task_sends_its_decisions_to_long_term_memory(client, app):
    await call(client, "update_task_state", session_id="s3", goal="Pick a CI provider",
               decisions=["We chose GitHub Actions for CI because runners are free for public repos"],
               constraints=["Never store deploy keys in the repository"])
    ended = await call(client, "end_task", session_id="s3", outcome="CI runs on every pull request")
    assert ended["task"]["status"] == "ended"
    kept = [r for r in ended["kept"] if r["memory_ids"]]
    assert len(kept) == 3
    found = await call(client, "recall", query="which CI provider did we choose?", k=3)
    decision = next(h["memory"] for h in found["results"] if "GitHub Actions" in h["memory"]["content"])
    assert "ref:task:s3" in decision["provenance"]
    constraint = app.store.get("default", kept[1]["memory_ids"][0])
    assert constraint.kind == "constraint"
    again = await client.call_tool("end_task", {"session_id": "s3"})
    assert again.is_error


async def test_profile_stays_in_budget_and_tracks_corrections(client, app):
    app.settings.profile_budget_tokens = 60
    pref = await call(client, "remember", content="Prefers concise answers without bullet points", kind="preference")
    await call(client, "remember", content="Never schedule meetings before 10am", kind="constraint")
    gone = await call(client, "remember", content="My goal this year is to finish the Berlin marathon in under four hours", kind="goal")
    assert gone["memory_ids"], gone
    for i in range(12):
        await call(client, "remember", content=f"Maintains the open-source library number {i} written in Go", kind="fact")
    await call(client, "forget", id=gone["memory_ids"][0])
    profile = json.loads((await client.read_resource("memory://default/profile")).contents[0].text)
    assert profile["tokens"] <= 60 and estimate_tokens(profile["text"]) <= 60
    texts = [line["text"] for line in profile["lines"]]
    assert "Never schedule meetings before 10am" in texts and "Prefers concise answers without bullet points" in texts
    assert not any("Berlin marathon" in t for t in texts)
    assert all(line["memory_ids"] for line in profile["lines"])
    await call(client, "correct", id=pref["memory_ids"][0], correction="Prefers detailed answers with examples")
    profile = json.loads((await client.read_resource("memory://default/profile")).contents[0].text)
    texts = [line["text"] for line in profile["lines"]]
    assert "Prefers detailed answers with examples" in texts and "Prefers concise answers without bullet points" not in texts


async def test_memory_context_prompt_adds_relevant_memories(client):
    await call(client, "remember", content="Prefers Python for data scripts", kind="preference")
    await call(client, "remember", content="The user's dog is called Biscuit", kind="event")
    prompts = {p.name for p in (await client.list_prompts()).prompts}
    assert "memory-context" in prompts
    result = await client.get_prompt("memory-context", {"message": "Any name ideas for a second dog, to go with Biscuit?"})
    text = result.messages[0].content.text
    assert "Prefers Python for data scripts" in text and "Biscuit" in text
