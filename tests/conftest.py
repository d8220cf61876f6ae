"""Shared fixtures: real SQLite files in temp dirs, the real offline embedding model, a real MCP client.

The model is exported to ONNX once per test session (into .pytest_cache, so local
reruns skip it) and shared by every test that needs real vectors.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from server.config import Settings
from server.embed import FastEmbedEmbedder, HashEmbedder
from server.memops.schema import OpsDecision

ROOT = Path(__file__).resolve().parents[1]
MODEL_CACHE = ROOT / ".pytest_cache" / "reverie-models"
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="session")
def embedder() -> FastEmbedEmbedder:
    return FastEmbedEmbedder("offline", MODEL_CACHE)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(db=tmp_path / "reverie.db", embedding_model="offline", embedding_cache_dir=MODEL_CACHE)


@pytest.fixture
def app(settings, embedder):
    from server.app import build_context

    ctx = build_context(settings, embedder=embedder)
    yield ctx
    ctx.store.close()


@pytest.fixture
async def client(app):
    from mcp import Client

    from server.app import create_server

    async with Client(create_server(context=app), cache=None) as c:
        yield c


class AddOps:
    """A decision module that always adds (for tests of the service around it)."""

    def decide(self, text, vector, neighbors, kind_hint=None):
        return OpsDecision("add", None, kind_hint or "fact", 1.0, 0.02, 0.9, "test: add")


@pytest.fixture
def fast_service(tmp_path):
    """A service on a real SQLite file with the hash embedder: for property tests that run many examples."""
    from server.service import MemoryService
    from server.store import open_store

    s = Settings(db=tmp_path / "fast.db", embedding_model="offline")
    store = open_store(s)
    svc = MemoryService(store, HashEmbedder(), AddOps(), s)
    yield svc
    store.close()
