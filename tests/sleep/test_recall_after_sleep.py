"""Recall after a sleep run finds what it found before: a consolidated memory is dated by its sources, and a match
on any memory it replaced, directly or through an update, is credited to it.

Real SQLite file, real offline embedding model, real sleep run; the write path always adds (AddOps), so the
episodes are exactly the ones written.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from server.clock import FixedClock
from server.config import Settings
from server.models import RecallRequest, RememberRequest
from server.sleep import run_sleep
from tests.conftest import MODEL_CACHE, AddOps

APRIL, MAY, JANUARY = (datetime(2023, m, d, 18, 0, tzinfo=timezone.utc) for m, d in ((4, 12), (5, 20), (1, 15)))
NOW = datetime(2023, 5, 24, 9, 0, tzinfo=timezone.utc)
SNEAKERS = [("I cleaned my white Adidas sneakers with a soft brush and mild soap.", APRIL),
            ("I cleaned my white Adidas sneakers again with a soft brush and soap.", MAY)]


@pytest.fixture
def service(tmp_path, embedder):
    from server.service import MemoryService
    from server.store import open_store

    settings = Settings(db=tmp_path / "frames.db", embedding_model="offline", embedding_cache_dir=MODEL_CACHE)
    store = open_store(settings)
    yield MemoryService(store, embedder, AddOps(), settings, FixedClock(NOW))
    store.close()


def _write(service, items) -> list[str]:
    ids = []
    for text, when in items:
        result = service.remember(RememberRequest(namespace="me", content=text, valid_from=when))
        assert result.decision == "add", result
        ids.append(result.memory_ids[0])
    return ids


def _consolidated(service, sources: list[str]):
    run_sleep(service, "me", jobs=["consolidate"])
    [semantic] = [m for _, m in service.store.iter_memories("me") if m.tier == "semantic"]
    assert sorted(semantic.provenance) == sorted(sources)
    return semantic


def _recall(service, query: str, **kw):
    return service.recall(RecallRequest(namespace="me", query=query, k=5, reinforce=False, **kw)).results


def test_a_time_frame_holding_an_earlier_source_holds_the_consolidated_memory(service):
    ids = _write(service, SNEAKERS)
    semantic = _consolidated(service, ids)
    assert semantic.valid_from == MAY  # its own date is the latest source's; "last month" is April

    hits = _recall(service, "Which shoes did I clean last month?")
    assert hits[0].memory.id == semantic.id
    assert "in_time_frame" in hits[0].flags


def test_a_frame_between_the_sources_dates_does_not_hold_it(service):
    ids = _write(service, [(SNEAKERS[0][0], JANUARY), SNEAKERS[1]])
    semantic = _consolidated(service, ids)

    hits = _recall(service, "Which shoes did I clean in March?")  # January and May, nothing in March
    assert hits[0].memory.id == semantic.id
    assert "in_time_frame" not in hits[0].flags


def test_a_since_until_range_holding_a_source_returns_the_consolidated_memory(service):
    ids = _write(service, SNEAKERS)
    semantic = _consolidated(service, ids)  # both sources archived: only the summary can answer

    hits = _recall(service, "cleaning sneakers", until=datetime(2023, 4, 30, tzinfo=timezone.utc))
    assert [h.memory.id for h in hits] == [semantic.id]
    assert _recall(service, "cleaning sneakers", since=datetime(2023, 5, 21, tzinfo=timezone.utc)) == []


def test_a_match_on_an_old_version_reaches_the_summary_its_successor_was_folded_into(service):
    # An update's successor that sleep then consolidates: the chain old -> successor (archived) -> summary must be
    # followed to its end, or the old version's match is dropped with nothing to credit (what sleep cost LongMemEval).
    [old] = _write(service, [("Ana lives in Paris, near the Louvre museum.", JANUARY)])
    _write(service, [("Ben visited the Louvre museum in Paris last spring.", APRIL)])
    new = service.correct("me", "Ana lives in Lyon, near the old town.", memory_id=old).new
    [related] = _write(service, [("Ana lives in Lyon, near the old town and the river.", MAY)])
    semantic = _consolidated(service, [new.id, related])
    assert service.store.get("me", new.id).status == "archived"

    hits = _recall(service, "Does Ana live in Paris near the Louvre?")
    assert hits[0].memory.id == semantic.id
    assert old not in {h.memory.id for h in hits}
