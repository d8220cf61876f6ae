"""The real thing: `reverie serve` as a subprocess, driven by the SDK's stdio client."""

from __future__ import annotations

import os
import sys

import pytest
from mcp import Client, StdioServerParameters

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
