"""End to end through a real MCP client session, a real SQLite file and the real embedding model."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.anyio


async def call(client, tool, **args):
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content[0].text
    return result.structured_content


async def error_code(client, tool, **args) -> str:
    result = await client.call_tool(tool, args)
    assert result.is_error
    text = result.content[0].text
    return text[text.index("[") + 1 : text.index("]")] if "[" in text else text


async def test_tools_are_listed_with_annotations(client):
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) >= {"remember", "recall", "forget", "correct", "feedback"}
    assert tools["recall"].annotations.read_only_hint is True
    assert tools["forget"].annotations.destructive_hint is True
    assert tools["remember"].output_schema is not None


async def test_remembered_fact_is_recalled_by_meaning(client):
    added = await call(client, "remember", content="The user's daughter Maya plays the cello in the school orchestra", kind="fact")
    assert added["decision"] == "add"
    await call(client, "remember", content="Prefers TypeScript over JavaScript for new projects", kind="preference")
    found = await call(client, "recall", query="which instrument does my kid play?", k=3)
    assert found["results"][0]["memory"]["id"] == added["memory_ids"][0]
    scores = found["results"][0]["scores"]
    assert scores["vector"] > 0 and scores["final"] > 0
    assert found["recall_id"].startswith("rec_")


async def test_exact_duplicate_is_a_noop_that_reinforces(client):
    first = await call(client, "remember", content="Works from Lisbon on Mondays")
    again = await call(client, "remember", content="works from   lisbon on mondays")
    assert again["decision"] == "noop" and again["memory_ids"] == first["memory_ids"]


async def test_secret_is_redacted_and_never_stored(client, app):
    result = await call(client, "remember", content="The staging API key is sk-live-abcdefghijklmnop1234567890 for billing")
    assert result["decision"] == "redact"
    stored = app.store.get("default", result["memory_ids"][0])
    assert "sk-live-abcdefghijklmnop" not in stored.content and "[REDACTED:api_key]" in stored.content


async def test_secret_is_blocked_when_configured(client, app):
    app.settings.secrets = "block"
    result = await call(client, "remember", content="my password is Tr0ub4dor&3")
    assert result["decision"] == "block" and result["memory_ids"] == []
    assert app.store.counts() == {}


async def test_transient_statement_is_skipped_without_session(client):
    result = await call(client, "remember", content="Just for now, answer in French")
    assert result["decision"] == "skip"
    kept = await call(client, "remember", content="Just for now, answer in French", session_id="s1")
    assert kept["decision"] in ("add", "redact")


async def test_dry_run_writes_nothing(client, app):
    result = await call(client, "remember", content="Lives in Porto", dry_run=True)
    assert result["dry_run"] and result["decision"] == "add"
    assert app.store.counts() == {}


async def test_correct_supersedes_and_keeps_history(client, app):
    old = await call(client, "remember", content="The team standup is at 9:30")
    result = await call(client, "correct", id=old["memory_ids"][0], correction="The team standup is at 10:00", reason="moved")
    assert result["old"]["status"] == "superseded" and result["old"]["superseded_by"] == result["new"]["id"]
    assert result["new"]["supersedes"] == result["old"]["id"] and result["new"]["confidence"] == 1.0
    assert result["old"]["valid_until"] is not None
    found = await call(client, "recall", query="when is standup?", k=5)
    ids = [h["memory"]["id"] for h in found["results"]]
    assert result["new"]["id"] in ids and result["old"]["id"] not in ids
    history = await call(client, "recall", query="when is standup?", k=5, include_superseded=True)
    assert result["old"]["id"] in [h["memory"]["id"] for h in history["results"]]


async def test_as_of_shows_memory_as_it_stood(client, app):
    old = await call(client, "remember", content="Drives a red Volvo")
    before = app.store.get("default", old["memory_ids"][0]).recorded_at
    await call(client, "correct", id=old["memory_ids"][0], correction="Drives a blue Tesla")
    past = await call(client, "recall", query="what car", as_of=before.isoformat())
    assert [h["memory"]["content"] for h in past["results"]] == ["Drives a red Volvo"]


async def test_soft_forget_hides_but_keeps_for_audit(client, app):
    mem = await call(client, "remember", content="Allergic to peanuts")
    result = await call(client, "forget", id=mem["memory_ids"][0], reason="user asked")
    assert result["forgotten"] == mem["memory_ids"] and not result["hard"]
    found = await call(client, "recall", query="allergies")
    assert all(h["memory"]["id"] != mem["memory_ids"][0] for h in found["results"])
    assert app.store.get("default", mem["memory_ids"][0]).content == "Allergic to peanuts"


async def test_forget_by_query_needs_confirmation(client, app):
    await call(client, "remember", content="Has a cat called Miso")
    assert await error_code(client, "forget", query="cat called Miso") == "invalid_input"
    assert app.store.counts()["default"] == {"active": 1}
    result = await call(client, "forget", query="cat called Miso", confirm=True)
    assert len(result["forgotten"]) == 1


async def test_feedback_is_recorded_for_returned_memories_only(client, app):
    mem = await call(client, "remember", content="Uses Neovim with a Lua config")
    found = await call(client, "recall", query="editor")
    ok = await call(client, "feedback", recall_id=found["recall_id"], memory_id=mem["memory_ids"][0], signal="helpful")
    assert ok["recorded"]
    assert await error_code(client, "feedback", recall_id=found["recall_id"], memory_id="mem_nope", signal="helpful") == "not_found"
    assert await error_code(client, "feedback", recall_id="rec_nope", memory_id=mem["memory_ids"][0], signal="wrong") == "not_found"


async def test_namespaces_are_isolated(client):
    await call(client, "remember", content="Project Falcon ships on March 3rd", namespace="work")
    await call(client, "remember", content="Anniversary dinner on March 3rd", namespace="home")
    work = await call(client, "recall", query="March 3rd", namespace="work")
    assert {h["memory"]["namespace"] for h in work["results"]} == {"work"}
    assert len(work["results"]) == 1


@pytest.mark.parametrize(
    "args, code",
    [
        ({"content": ""}, "invalid_input"),
        ({"content": "   \n\t "}, "invalid_input"),
        ({"content": "x" * 40000}, "invalid_input"),
        ({"content": "null byte \x00 here"}, "invalid_input"),
        ({"content": "ok", "namespace": "../etc"}, "invalid_input"),
        ({"content": "ok", "namespace": "a b"}, "invalid_input"),
        ({"content": "ok", "valid_from": "2026-02-01", "valid_until": "2026-01-01"}, "invalid_input"),
        ({"content": "ok", "tags": [""]}, "invalid_input"),
    ],
)
async def test_bad_remember_input_gets_one_clear_error_and_writes_nothing(client, app, args, code):
    assert await error_code(client, "remember", **args) == code
    assert app.store.counts() == {}


@pytest.mark.parametrize(
    "args",
    [
        {"content": "ok", "confidence": 7},
        {"content": "ok", "kind": "rumour"},
        {"content": "ok", "valid_from": "last tuesday"},
        {"content": 42},
    ],
)
async def test_schema_violations_are_rejected_before_the_service(client, app, args):
    result = await client.call_tool("remember", args)
    assert result.is_error
    assert app.store.counts() == {}


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "NEAR(a b", "a OR OR b", "col:value", "'; DROP TABLE memories; --", "*", "^start", "(((", "AND"],
)
async def test_queries_with_fts_syntax_or_sql_are_plain_text(client, app, query):
    await call(client, "remember", content="Remember to DROP the table of contents from the report")
    result = await client.call_tool("recall", {"query": query})
    assert not result.is_error, result.content[0].text
    assert app.store.counts()["default"] == {"active": 1}


async def test_unknown_ids_are_not_found(client):
    assert await error_code(client, "forget", id="mem_missing") == "not_found"
    assert await error_code(client, "correct", id="mem_missing", correction="x") == "not_found"


async def test_resources_list_and_read(client):
    mem = await call(client, "remember", content="Speaks Portuguese and Spanish", kind="fact")
    mid = mem["memory_ids"][0]
    uris = {str(r.uri) for r in (await client.list_resources()).resources}
    assert {"memory://stats", "memory://namespaces"} <= uris
    templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
    assert "memory://{namespace}/memories/{id}" in templates
    stats = json.loads((await client.read_resource("memory://stats")).contents[0].text)
    assert stats["namespaces"]["default"]["active"] == 1
    one = json.loads((await client.read_resource(f"memory://default/memories/{mid}")).contents[0].text)
    assert one["memory"]["content"] == "Speaks Portuguese and Spanish"
    assert [a["action"] for a in one["audit"]] == ["add"]
    page = json.loads((await client.read_resource("memory://default/memories?limit=1")).contents[0].text)
    assert [m["id"] for m in page["items"]] == [mid] and page["next_cursor"]
    audit = json.loads((await client.read_resource("memory://default/audit")).contents[0].text)
    assert audit["items"][0]["memory_id"] == mid


async def test_memories_listing_is_paginated_newest_first(client):
    ids = []
    for i, text in enumerate(["Owns a kayak", "Runs marathons", "Collects vinyl records"]):
        ids.append((await call(client, "remember", content=text))["memory_ids"][0])
    first = json.loads((await client.read_resource("memory://default/memories?limit=2")).contents[0].text)
    rest = json.loads((await client.read_resource(f"memory://default/memories?limit=2&cursor={first['next_cursor']}")).contents[0].text)
    assert [m["id"] for m in first["items"] + rest["items"]] == ids[::-1]
