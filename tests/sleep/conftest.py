"""Sleep tests: a service on a real SQLite file with a controllable clock (hash embedder: fast, not semantic)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from server.clock import FixedClock
from server.config import Settings
from server.embed import HashEmbedder
from server.models import RememberRequest
from tests.conftest import AddOps

START = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def make_service(tmp_path, clock):
    """make_service(ops=None, **settings) -> MemoryService; closed after the test."""
    from server.service import MemoryService
    from server.store import open_store

    made = []

    def make(ops=None, name: str = "sleep.db", **overrides):
        s = Settings(db=tmp_path / name, embedding_model="offline", sleep_lease_ttl_s=5, **overrides)
        store = open_store(s)
        svc = MemoryService(store, HashEmbedder(), ops or AddOps(), s, clock)
        made.append(store)
        return svc

    yield make
    for store in made:
        store.close()


@pytest.fixture
def svc(make_service):
    return make_service()


def remember(svc, content: str, namespace: str = "me", **kw) -> str:
    result = svc.remember(RememberRequest(namespace=namespace, content=content, **kw))
    assert result.decision == "add", result
    return result.memory_ids[0]
