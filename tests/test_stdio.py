"""The real thing: `reverie serve` as a subprocess, driven by the SDK's stdio client."""

from __future__ import annotations

import os
import sys

import pytest
from mcp import Client, StdioServerParameters

from server import __version__
from tests.conftest import MODEL_CACHE

pytestmark = pytest.mark.anyio


async def test_stdio_server_remembers_and_recalls(tmp_path):
    env = {**os.environ, "REVERIE_DB": str(tmp_path / "stdio.db"), "REVERIE_EMBEDDING_MODEL": "offline",
           "REVERIE_EMBEDDING_CACHE_DIR": str(MODEL_CACHE), "REVERIE_NAMESPACE": "alice", "HF_HUB_OFFLINE": "1"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "server", "serve"], env=env)
    async with Client(params, cache=None) as client:
        assert client.server_info.name == "reverie"
        added = await client.call_tool("remember", {"content": "Alice keeps her bike in the basement", "kind": "fact"})
        assert not added.is_error, added.content[0].text
        found = await client.call_tool("recall", {"query": "where is the bicycle stored?"})
        assert found.structured_content["results"][0]["memory"]["content"] == "Alice keeps her bike in the basement"
        assert found.structured_content["results"][0]["memory"]["namespace"] == "alice"


# -- the early answer to the opening request (server/faststart.py) ----------------------------------------------------------
INIT = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}


def _env(tmp_path, cache):
    return {**os.environ, "REVERIE_DB": str(tmp_path / "stdio.db"), "REVERIE_EMBEDDING_MODEL": "offline",
            "REVERIE_EMBEDDING_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}


def _private_cache(tmp_path):
    """A cache directory of its own (so the record starts empty) that reuses the exported model."""
    cache = tmp_path / "cache"
    cache.mkdir()
    for model in MODEL_CACHE.glob("onnx-model-*"):
        (cache / model.name).symlink_to(model)
    return cache


def _raw_session(env, *lines):
    """Send `initialize`, read its answer, then send `lines` and read one answer per request among them."""
    import json
    import subprocess

    proc = subprocess.Popen([sys.executable, "-m", "server", "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    try:
        proc.stdin.write((json.dumps(INIT) + "\n").encode())
        proc.stdin.flush()
        first = json.loads(proc.stdout.readline())
        answers = []
        for line in lines:
            proc.stdin.write((json.dumps(line) + "\n").encode())
            proc.stdin.flush()
            if "id" in line:
                answers.append(json.loads(proc.stdout.readline()))
        return first, answers
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)


async def test_the_opening_request_is_answered_from_the_sdks_recorded_answer(tmp_path):
    import json

    cache = _private_cache(tmp_path)
    env = _env(tmp_path, cache)
    record = cache / "openings.json"
    params = StdioServerParameters(command=sys.executable, args=["-m", "server", "serve"], env=env)
    # The SDK's client opens with `server/discover`. First start: no record, the SDK answers and is recorded;
    # second start: answered from the record, which the SDK's own answer then confirms (the record is unchanged).
    for _ in range(2):
        async with Client(params, cache=None) as client:
            assert client.server_info.name == "reverie"
            assert "remember" in {t.name for t in (await client.list_tools()).tools}
        (key,) = json.loads(record.read_text())
        assert key.startswith(f"reverie {__version__} | mcp-") and key.endswith(" | server/discover 2026-07-28")

    # Clients of protocol versions up to 2025-11-25 open with `initialize`: the same, per version.
    first, _ = _raw_session(env)
    key = next(k for k in json.loads(record.read_text()) if "initialize 2025-11-25" in k)
    answer = json.loads(record.read_text())[key]
    assert answer["serverInfo"]["name"] == "reverie" and first["result"] == answer

    # A stale record is what the early answer sends (proof the early path answered) and the SDK's own answer
    # replaces it; the session behind it works as usual.
    record.write_text(json.dumps({key: {**answer, "instructions": "stale"}}))
    init, (tools,) = _raw_session(env, {"jsonrpc": "2.0", "method": "notifications/initialized"},
                                  {"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert init["id"] == 0 and init["result"]["instructions"] == "stale"
    assert tools["id"] == 1 and {"remember", "recall", "forget", "correct"} <= {t["name"] for t in tools["result"]["tools"]}
    assert json.loads(record.read_text())[key] == answer


def test_a_first_message_that_opens_nothing_goes_to_the_sdk(tmp_path):
    import json
    import subprocess

    env = _env(tmp_path, _private_cache(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "server", "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    try:
        proc.stdin.write(b'{"jsonrpc":"2.0","id":"p1","method":"ping"}\n')
        proc.stdin.flush()
        answer = json.loads(proc.stdout.readline())
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    assert answer["id"] == "p1" and "result" in answer
    assert not (tmp_path / "cache" / "openings.json").exists()
