"""A real `reverie serve --http` app (uvicorn in a thread, loopback port) with a few memories, for the dashboard tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.models import RememberRequest
from tests.http.conftest import http_settings, thread_server

FIXTURES = Path(__file__).parent / "fixtures"

SEED = [
    ("alice", "Alice prefers green tea over coffee in the morning", "preference"),
    ("alice", "Alice's team deploys the billing service every Tuesday", "fact"),
    ("alice", "Alice is training for the Berlin marathon in September", "goal"),
    ("alice", "The staging database runs PostgreSQL 16", "fact"),
    ("bob", "Bob's secret project is called Nightjar", "fact"),
]


@pytest.fixture
def dashboard(tmp_path, embedder):
    """(running server, {namespace: [memory ids]}); tokens come from `running.token(...)`."""
    with thread_server(http_settings(tmp_path, http_rate_limit=0), embedder) as running:
        service = running.app.context.service
        ids: dict[str, list[str]] = {}
        for ns, text, kind in SEED:
            result = service.remember(RememberRequest(namespace=ns, content=text, kind=kind, tags=["seed"]), actor="test")
            ids.setdefault(ns, []).append(result.memory_ids[0])
        yield running, ids
