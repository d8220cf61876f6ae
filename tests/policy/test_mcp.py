"""End to end through a real MCP client: remember a rule, then check_action, propose_action, record_outcome,
and read the policy resources."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.anyio

FRIDAY = "2026-01-09T15:00:00+00:00"
THURSDAY = "2026-01-08T15:00:00+00:00"


async def call(client, tool, **args):
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content[0].text
    return result.structured_content


def code(result) -> str:
    text = result.content[0].text
    return text[text.index("[") + 1 : text.index("]")]


async def test_policy_tools_end_to_end(client, app):
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert {"propose_action", "record_outcome", "check_action"} <= set(tools)
    assert tools["check_action"].annotations.read_only_hint is True and tools["propose_action"].output_schema

    await call(client, "remember", content="Never deploy on Fridays", kind="constraint")
    blocked = await call(client, "check_action", action="deploy the billing service to production", now=FRIDAY)
    assert blocked["verdict"] == "blocked" and blocked["policies"][0]["enforcement"] == "hard"
    allowed = await call(client, "check_action", action="deploy the billing service to production", now=THURSDAY)
    assert allowed["verdict"] == "allowed"

    assert (await call(client, "propose_action", situation="It is lunch time", now=FRIDAY))["proposals"] == []
    proposed = await call(client, "propose_action", situation="We are about to deploy the billing service", now=FRIDAY)
    top = proposed["proposals"][0]
    assert top["action"] == "Never deploy on Fridays" and top["evidence"] and 0 < top["confidence"] <= 1

    outcome = await call(client, "record_outcome", proposal_id=top["proposal_id"], outcome="success", note="waited for Monday")
    assert outcome["policy"]["version"] == 2 and outcome["policy"]["confidence"] > top["confidence"]
    assert app.store.get("default", outcome["memory_id"]).kind == "outcome"

    again = await client.call_tool("record_outcome", {"proposal_id": top["proposal_id"], "outcome": "success"})
    assert again.is_error and code(again) == "invalid_input"
    missing = await client.call_tool("record_outcome", {"proposal_id": "prop_nope", "outcome": "failure"})
    assert missing.is_error and code(missing) == "not_found"

    listing = json.loads((await client.read_resource("memory://default/policies")).contents[0].text)
    pid = listing["items"][0]["id"]
    one = json.loads((await client.read_resource(f"memory://default/policies/{pid}")).contents[0].text)
    assert [v["version"] for v in one["versions"]] == [1, 2]
    assert one["outcomes"][0]["outcome"] == "success" and one["proposals"][0]["id"] == top["proposal_id"]
    assert one["evidence"][0]["content"] == "Never deploy on Fridays"
    assert {a["action"] for a in one["audit"]} == {"policy_create", "policy_outcome"}
