"""Policy fixtures: the fast service (hash embedder, real SQLite) with a fixed clock and a policy engine."""

from __future__ import annotations

import pytest

from server.clock import FixedClock
from server.policy import PolicyEngine
from server.policy.sim import START


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def engine(fast_service, clock):
    fast_service.clock = clock
    eng = PolicyEngine(fast_service)
    fast_service.on_stored.append(eng.on_memories_stored)
    return eng
