"""Shared fixtures: real SQLite files in temp dirs, the real offline embedding model, a real MCP client.

The model is exported to ONNX once per test session (into .pytest_cache, so local
reruns skip it) and shared by every test that needs real vectors.

One switch runs the whole suite on PostgreSQL: `REVERIE_TEST_POSTGRES=1` (or
`--postgres`) starts a throwaway PostgreSQL with pgvector on a loopback port
(server/store/pg_embedded.py) and gives every test its own fresh database through
`REVERIE_DATABASE_URL`, which every `Settings` the test builds (and every
`reverie` subprocess it starts) reads. Tests of the SQLite file itself are
marked `sqlite_only` and skip there.
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


def pytest_addoption(parser):
    parser.addoption("--postgres", action="store_true", help="run the suite against PostgreSQL (as REVERIE_TEST_POSTGRES=1)")


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: tests the SQLite file itself; skipped on the PostgreSQL run")
    config.addinivalue_line("markers", "postgres_only: needs PostgreSQL (runs on the PostgreSQL run only)")
    if config.getoption("--postgres"):
        os.environ["REVERIE_TEST_POSTGRES"] = "1"


def on_postgres() -> bool:
    return os.environ.get("REVERIE_TEST_POSTGRES", "") not in ("", "0")


@pytest.fixture(scope="session")
def postgres_server():
    """The session's embedded PostgreSQL (started on first use, stopped and deleted at the end)."""
    from server.store.pg_embedded import EmbeddedPostgres

    with EmbeddedPostgres() as pg:
        yield pg


@pytest.fixture
def postgres_url(postgres_server, request):
    """A fresh, empty database on the session's PostgreSQL, dropped after the test."""
    import re
    import uuid

    name = re.sub(r"[^a-z0-9]", "_", request.node.name.lower())[:40] + "_" + uuid.uuid4().hex[:6]
    url = postgres_server.create_database(name)
    yield url
    postgres_server.drop_database(name)


@pytest.fixture(autouse=True)
def _backend(request, monkeypatch):
    """On the PostgreSQL run: point this test at its own database, or skip it if it tests the SQLite file."""
    if not on_postgres():
        if request.node.get_closest_marker("postgres_only"):
            pytest.skip("needs PostgreSQL: run with REVERIE_TEST_POSTGRES=1")
        monkeypatch.delenv("REVERIE_DATABASE_URL", raising=False)
        return
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("tests the SQLite file itself")
    monkeypatch.setenv("REVERIE_DATABASE_URL", request.getfixturevalue("postgres_url"))


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
