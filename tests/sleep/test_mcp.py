"""Sleep through a real MCP client: the tool (with progress), the runs resource, the conflicts resource, recall flags."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings):
    # The rules baseline decides writes here: these tests are about sleep, not the memory-ops model's weights.
    return settings.model_copy(update={"memops": "rules"})


async def call(client, tool, progress=None, **args):
    result = await client.call_tool(tool, args, progress_callback=progress)
    assert not result.is_error, result.content[0].text
    return result.structured_content


async def read(client, uri):
    return json.loads((await client.read_resource(uri)).contents[0].text)


async def test_sleep_tool_runs_the_jobs_reports_progress_and_shows_up_in_the_resources(client, app):
    from tests.conftest import AddOps

    ops, app.service.ops = app.service.ops, AddOps()  # both kept as written (as an import would), contradiction and all
    await call(client, "remember", content="The weekly team standup is at 9:30 in room B", kind="fact")
    await call(client, "remember", content="The weekly team standup is at 10:30 in room B", kind="fact")
    app.service.ops = ops
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert "sleep" in tools and tools["sleep"].annotations.destructive_hint is False

    preview = await call(client, "sleep", dry_run=True, job="conflicts")
    assert preview["status"] == "dry_run" and preview["changes"] >= 1
    assert await read(client, "memory://default/conflicts") == {"namespace": "default", "items": [], "next_cursor": None}

    updates = []

    async def progress(done, total, message):
        updates.append((done, total, message))

    summary = await call(client, "sleep", progress=progress)
    assert summary["status"] == "done" and summary["run_id"]
    assert [j["job"] for j in summary["jobs"]][:3] == ["decay", "conflicts", "consolidate"]
    assert updates and any("conflicts" in (m or "") for _, _, m in updates)

    conflicts = await read(client, "memory://default/conflicts?status=open")
    [item] = conflicts["items"]
    assert {item["a"]["content"], item["b"]["content"]} >= {"The weekly team standup is at 9:30 in room B"}
    found = await call(client, "recall", query="when is the team standup?", k=3)
    assert all("conflict" in hit["flags"] for hit in found["results"][:2])

    runs = await read(client, "memory://default/sleep")
    assert runs["runs"][0]["id"] == summary["run_id"] and runs["jobs"]["decay"]["last_run_at"]
    assert runs["schedule"]["enabled"] is True


async def test_sleep_tool_rejects_an_unknown_job_with_invalid_input(client):
    result = await client.call_tool("sleep", {"job": "nap"})
    assert result.is_error and "[invalid_input]" in result.content[0].text
