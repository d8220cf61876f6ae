"""Bearer tokens over a real HTTP server: no token or a bad one gets 401; a token is bound to its namespaces."""

from __future__ import annotations

import httpx
import pytest
from mcp.shared.exceptions import MCPError

pytestmark = pytest.mark.anyio

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def code_of(result) -> str:
    text = result.content[0].text
    return text[text.index("[") + 1 : text.index("]")]


_http: list[httpx.Client] = []


def post(server, token: str | None = None, body=INIT, **headers) -> httpx.Response:
    """A raw MCP POST (one shared client: building one costs ~0.3 s here)."""
    if not _http:
        _http.append(httpx.Client(timeout=10))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return _http[0].post(server.url, json=body, headers={**MCP_HEADERS, **headers})


async def test_request_without_a_token_gets_401_before_any_mcp_handling(server):
    response = post(server)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "mcp-session-id" not in response.headers


async def test_wrong_and_malformed_tokens_get_401(server):
    good = server.token("alice")
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for bad in (tampered, "rvt_000000000000_" + "x" * 43, "not-a-token", good + "x"):
        assert post(server, bad).status_code == 401, bad
    assert post(server, None, Authorization=f"Basic {good}").status_code == 401


async def test_mcp_client_without_a_token_cannot_connect(server):
    with pytest.raises(BaseException):
        async with server.client(None) as client:
            await client.call_tool("recall", {"query": "anything"})


async def test_revoked_token_gets_401(server):
    token = server.token("alice")
    assert post(server, token).status_code == 200
    token_id = token.split("_")[1]
    server.app.tokens.revoke(token_id)
    assert post(server, token).status_code == 401


async def test_good_token_defaults_to_its_first_namespace(server):
    async with server.client(server.token("alice", "shared")) as client:
        added = await client.call_tool("remember", {"content": "Alice's bike is in the basement", "kind": "fact"})
        assert not added.is_error, added.content[0].text
        found = await client.call_tool("recall", {"query": "where is the bicycle?"})
        assert found.structured_content["results"][0]["memory"]["namespace"] == "alice"
        shared = await client.call_tool("remember", {"content": "The team offsite is in Porto", "namespace": "shared"})
        assert not shared.is_error
    assert set(server.app.context.store.counts()) == {"alice", "shared"}


async def test_call_for_a_namespace_the_token_lacks_is_denied_and_writes_nothing(server):
    store = server.app.context.store
    async with server.client(server.token("bob")) as bob:
        await bob.call_tool("remember", {"content": "Bob's locker code is in his notebook"})
    before = store.counts()
    audit_before = store.db.one("SELECT COUNT(*) FROM audit")[0]
    async with server.client(server.token("alice")) as alice:
        for tool, args in [
            ("remember", {"content": "Alice writes into Bob's memory", "namespace": "bob"}),
            ("recall", {"query": "locker", "namespace": "bob"}),
            ("forget", {"query": "locker", "confirm": True, "reason": "x", "namespace": "bob"}),
            ("correct", {"query": "locker", "correction": "changed", "namespace": "bob"}),
            ("feedback", {"recall_id": "rec_x", "memory_id": "mem_x", "signal": "helpful", "namespace": "bob"}),
        ]:
            result = await alice.call_tool(tool, args)
            assert result.is_error and code_of(result) == "permission_denied", (tool, result.content[0].text)
        with pytest.raises(MCPError) as denied:
            await alice.read_resource("memory://bob/memories")
        assert denied.value.error.message.startswith("[permission_denied]")
    assert store.counts() == before
    assert store.db.one("SELECT COUNT(*) FROM audit")[0] == audit_before


async def test_resources_show_only_the_tokens_namespaces(server):
    async with server.client(server.token("bob")) as bob:
        await bob.call_tool("remember", {"content": "Bob prefers tea"})
    async with server.client(server.token("alice")) as alice:
        await alice.call_tool("remember", {"content": "Alice prefers coffee"})
        stats = await alice.read_resource("memory://stats")
        namespaces = await alice.read_resource("memory://namespaces")
    assert '"bob"' not in stats.contents[0].text and '"alice"' in stats.contents[0].text
    assert "bob" not in namespaces.contents[0].text


async def test_read_only_token_recalls_but_cannot_write(server):
    writer = server.token("alice")
    async with server.client(writer) as client:
        added = await client.call_tool("remember", {"content": "Alice is allergic to peanuts"})
        memory_id = added.structured_content["memory_ids"][0]
    store = server.app.context.store
    before = store.counts()
    async with server.client(server.token("alice", read_only=True)) as reader:
        found = await reader.call_tool("recall", {"query": "food allergy"})
        assert not found.is_error and found.structured_content["results"]
        recall_id = found.structured_content["recall_id"]
        for tool, args in [
            ("remember", {"content": "Alice likes peanuts now"}),
            ("forget", {"id": memory_id, "reason": "x"}),
            ("correct", {"id": memory_id, "correction": "Alice is not allergic"}),
            ("feedback", {"recall_id": recall_id, "memory_id": memory_id, "signal": "wrong"}),
        ]:
            result = await reader.call_tool(tool, args)
            assert result.is_error and code_of(result) == "permission_denied", (tool, result.content[0].text)
        dry = await reader.call_tool("remember", {"content": "Alice likes peanuts now", "dry_run": True})
        assert not dry.is_error
    assert store.counts() == before
    assert store.get("alice", memory_id).status == "active"


async def test_session_opened_by_one_token_is_refused_to_another(server):
    first = post(server, server.token("alice"))
    session = first.headers["mcp-session-id"]
    other = post(server, server.token("bob"), body={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                 **{"mcp-session-id": session})
    assert other.status_code == 404


async def test_health_needs_no_token_and_reveals_no_secrets(server):
    response = httpx.get(f"{server.base}/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    text = response.text
    assert str(server.settings.db) not in text and "token" not in text.lower()
