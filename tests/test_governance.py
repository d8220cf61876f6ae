"""Forgetting for good, and properties that must hold for any input (hypothesis)."""

from __future__ import annotations

import io
import string
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from server.errors import ReverieError
from server.models import RecallRequest, RememberRequest
from server.portability import export_jsonl, import_jsonl

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
words = st.text(alphabet=string.ascii_letters + " ", min_size=3, max_size=40).filter(lambda s: s.strip())


def file_bytes(db: Path) -> bytes:
    data = b""
    for suffix in ("", "-wal", "-shm"):
        path = Path(str(db) + suffix)
        if path.exists():
            data += path.read_bytes()
    return data


def stored_bytes(store) -> bytes:
    """Everything the database holds: the SQLite file (with its WAL), or every row of every PostgreSQL table."""
    if store.backend == "sqlite":
        return file_bytes(Path(store.path))
    return "".join(r[0] for t in store.tables() for r in store.db.execute(f'SELECT t::text FROM "{t}" t')).encode()


def test_hard_delete_leaves_no_trace_of_the_text_in_the_database(fast_service):
    svc = fast_service
    secret_text = "Zanzibarquux visited the clinic about a herniated disc"
    kept = svc.remember(RememberRequest(namespace="u", content="Likes jazz on Sundays"))
    gone = svc.remember(RememberRequest(namespace="u", content=secret_text))
    svc.recall(RecallRequest(namespace="u", query="Zanzibarquux clinic"))
    svc.correct("u", secret_text + " in March", memory_id=gone.memory_ids[0])
    assert b"Zanzibarquux" in stored_bytes(svc.store)
    result = svc.forget("u", memory_id=gone.memory_ids[0], hard=True, reason="GDPR request")
    assert len(result.forgotten) == 2  # both versions
    assert b"Zanzibarquux" not in stored_bytes(svc.store)
    assert b"zanzibarquux" not in stored_bytes(svc.store)
    assert svc.store.get("u", kept.memory_ids[0]).content == "Likes jazz on Sundays"
    svc.store.health()  # raises if the database fails its integrity check
    audit = svc.store.audit_entries("u", memory_ids=result.forgotten)
    assert {a.action for a in audit} >= {"hard_delete"}


def test_forget_and_correct_by_query_log_no_recall_of_their_own(fast_service):
    svc = fast_service
    old = svc.remember(RememberRequest(namespace="u", content="Dana lives in Lisbon")).memory_ids[0]
    other = svc.remember(RememberRequest(namespace="u", content="Dana's cat is called Miso")).memory_ids[0]
    new = svc.correct("u", "Dana lives in Porto", query="Dana lives in Lisbon").new.id
    svc.forget("u", query="Dana's cat is called Miso", confirm=True, reason="asked")
    assert svc.store.recalls_of("u", old) == [] and svc.store.recalls_of("u", other) == []
    assert "recall" not in {a.action for a in svc.store.audit_entries("u", limit=50)}
    assert svc.store.get("u", new).status == "active"


@PROPERTY
@given(mine=st.lists(words, min_size=1, max_size=4), theirs=st.lists(words, min_size=1, max_size=4), query=words)
def test_no_recall_returns_another_namespaces_memories(fast_service, mine, theirs, query):
    svc = fast_service
    ns_a, ns_b = f"a{abs(hash(tuple(mine)))}", f"b{abs(hash(tuple(theirs)))}"
    for text in mine:
        svc.remember(RememberRequest(namespace=ns_a, content=text))
    for text in theirs:
        svc.remember(RememberRequest(namespace=ns_b, content=text))
    for strategy in ("hybrid", "vector", "keyword"):
        found = svc.recall(RecallRequest(namespace=ns_a, query=query, k=20, strategy=strategy, include_superseded=True))
        assert all(h.memory.namespace == ns_a for h in found.results)


@PROPERTY
@given(texts=st.lists(st.text(min_size=1, max_size=60).filter(lambda s: s.strip()), min_size=1, max_size=5), tags=st.lists(words, max_size=3))
def test_export_then_import_round_trips_every_field(fast_service, tmp_path_factory, texts, tags):
    from server.service import MemoryService
    from server.store import open_store
    from tests.conftest import AddOps

    svc = fast_service
    ns = f"rt{abs(hash(tuple(texts)))}"
    for text in texts:
        try:
            svc.remember(RememberRequest(namespace=ns, content=text, tags=tags))
        except ReverieError:
            pass
    out = io.StringIO()
    export_jsonl(svc.store, out, namespace=ns)
    fresh_settings = svc.settings.model_copy(update={"db": tmp_path_factory.mktemp("rt") / "x.db"})
    fresh_store = open_store(fresh_settings)
    fresh = MemoryService(fresh_store, svc.embedder, AddOps(), fresh_settings)
    summary = import_jsonl(fresh, out.getvalue().splitlines())
    again = io.StringIO()
    export_jsonl(fresh_store, again, namespace=ns)
    assert again.getvalue() == out.getvalue()
    assert import_jsonl(fresh, out.getvalue().splitlines())["imported"] == 0  # idempotent
    assert summary["errors"] == []
    fresh_store.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=5,
)


@PROPERTY
@given(content=json_values | st.text(max_size=200), kind=json_values, tags=json_values, query=json_values | st.text(max_size=100), k=json_values)
def test_fuzzed_arguments_never_crash_or_corrupt(fast_service, content, kind, tags, query, k):
    """Whatever arrives, the service either works or raises one ReverieError/validation error; the store stays sound."""
    from pydantic import ValidationError

    svc = fast_service
    before = svc.store.counts()
    try:
        svc.remember(RememberRequest(namespace="fz", content=content, kind=kind, tags=tags))
    except (ReverieError, ValidationError):
        assert svc.store.counts() == before
    try:
        svc.recall(RecallRequest(namespace="fz", query=query, k=k))
    except (ReverieError, ValidationError):
        pass
    svc.store.health()  # raises if the database fails its integrity check
