"""The in-process vector index's two-pass search (projected first pass, exact rescoring) on a real SQLite file.

The thresholds are lowered so a few thousand rows take the path a 100k namespace takes.
"""

from __future__ import annotations

import numpy as np
import pytest

from server import passages
from server.clock import SystemClock
from server.models import Memory
from server.service import content_hash
from server.store import vector_index
from server.store.driver import available_drivers
from server.store.sqlite import SQLiteStore

pytestmark = pytest.mark.sqlite_only
DIM = 64


@pytest.fixture
def two_pass(monkeypatch):
    monkeypatch.setattr(vector_index, "TWO_PASS_MIN_ROWS", 500)
    monkeypatch.setattr(vector_index, "RESCORE_MIN", 200)
    monkeypatch.setattr(vector_index, "RESCORE_PER_RESULT", 8)
    monkeypatch.setattr(vector_index, "SKETCH_DIMS", 16)  # a quarter of the dimensions, as 64 of 384


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(tmp_path / "v.db", driver=available_drivers()[0])
    s.bind_embedding("test/random", DIM)
    yield s
    s.close()


def clustered(n: int, seed: int) -> np.ndarray:
    """Unit vectors around 40 topics, with a shared offset like real sentence embeddings have."""
    rng = np.random.default_rng(seed)
    topics = rng.normal(size=(40, DIM))
    vectors = topics[rng.integers(0, 40, n)] + 0.6 * rng.normal(size=(n, DIM)) + 2.0
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def fill(store: SQLiteStore, namespace: str, vectors: np.ndarray, start: int = 0) -> list[int]:
    now = SystemClock().now()
    rowids = []
    with store.transaction():
        for i, vec in enumerate(vectors, start=start):
            text = f"{namespace} memory {i}"
            m = Memory(id=f"mem_{namespace}_{i}", namespace=namespace, content=text, recorded_at=now,
                       content_hash=content_hash(text), embedding_model="test/random")
            rowids.append(store.insert(m, vec))
    return rowids


def noisy(vector: np.ndarray, seed: int) -> np.ndarray:
    q = vector + 0.3 * np.random.default_rng(seed).normal(size=DIM).astype(np.float32) / np.sqrt(DIM)
    return q / np.linalg.norm(q)


def test_two_pass_scores_exactly_and_finds_the_full_scans_top_results(store, two_pass):
    vectors = clustered(3000, seed=1)
    fill(store, "a", vectors)
    matrix = {r: v for r, v in zip(range(1, 3001), vectors)}
    overlaps = []
    for seed in range(30):
        q = noisy(vectors[seed * 97], seed)
        fast = store.vectors.search("a", q, 10, active_only=False)
        exact = store.vectors.search("a", q, 10, active_only=False, exact=True)
        assert fast[0][0] == exact[0][0]  # the memory the query was made from
        for rowid, score in fast:
            assert score == pytest.approx(float(matrix[rowid] @ q), abs=1e-5)
        assert [s for _, s in fast] == sorted((s for _, s in fast), reverse=True)
        overlaps.append(len({r for r, _ in fast} & {r for r, _ in exact}) / 10)
    assert np.mean(overlaps) >= 0.95
    sketch = store.vectors._parts["a"].sketch
    assert sketch is not None and sketch.size == 3000  # the first pass did run


def test_two_pass_stays_in_its_namespace(store, two_pass):
    vectors = clustered(1200, seed=2)
    a_rows = set(fill(store, "a", vectors))
    b_rows = fill(store, "b", vectors)  # the same vectors, scoring exactly as high, in another namespace
    assert store.vectors_by_rowid("a", b_rows[:10]) == {}
    assert store.vectors_by_rowid("b", b_rows[:10]).keys() == set(b_rows[:10])
    for seed in range(5):
        hits = store.vectors.search("a", noisy(vectors[seed], seed), 20, active_only=True)
        assert len(hits) == 20 and {r for r, _ in hits} <= a_rows


def test_two_pass_follows_inserts_status_changes_and_hard_deletes(store, two_pass):
    vectors = clustered(1000, seed=3)
    fill(store, "a", vectors)
    store.vectors.search("a", vectors[0], 5, active_only=True)
    assert store.vectors._parts["a"].sketch.rows_at_fit == 1000

    fresh = clustered(1, seed=99)[0]
    (rowid,) = fill(store, "a", fresh[None, :], start=1000)
    assert store.vectors.search("a", fresh, 5, active_only=True)[0][0] == rowid

    store.update_fields("a", "mem_a_1000", status="forgotten")
    assert rowid not in {r for r, _ in store.vectors.search("a", fresh, 5, active_only=True)}
    assert store.vectors.search("a", fresh, 5, active_only=False)[0][0] == rowid

    part = store.vectors._parts["a"]
    i = part.position[rowid]
    store.purge("a", "mem_a_1000", content_hash("a memory 1000"))
    assert not part.matrix[i].any() and not part.sketch.rows[i].any()
    assert store.vectors_by_rowid("a", [rowid, 1]).keys() == {1}
    assert rowid not in {r for r, _ in store.vectors.search("a", fresh, 5, active_only=False)}

    fill(store, "a", clustered(1000, seed=4), start=1001)  # the partition doubles: the components are refitted
    hits = store.vectors.search("a", vectors[5], 5, active_only=True)
    assert hits[0][0] == 6 and part.sketch.rows_at_fit == 2001


def test_a_window_as_large_as_the_namespace_is_the_full_scan(store, two_pass, monkeypatch):
    vectors = clustered(800, seed=5)
    fill(store, "a", vectors)
    monkeypatch.setattr(vector_index, "RESCORE_MIN", 5000)
    q = noisy(vectors[3], 0)
    # 4 x the window exceeds the rows: the exact scan answers, as for a small namespace.
    assert store.vectors.search("a", q, 50, active_only=False) == store.vectors.search("a", q, 50, active_only=False, exact=True)
    assert store.vectors._parts["a"].sketch is None


def test_two_pass_over_passages_finds_a_memory_by_its_passage_and_scores_it_exactly(store, two_pass, monkeypatch):
    """Many passages take a first pass of their own; a memory found only through a passage still ranks by it."""
    monkeypatch.setattr(passages, "WEIGHT", 1.0)  # max-pooled: the memory of the passage the query was made from wins
    vectors = clustered(1000, seed=3)
    rowids = fill(store, "a", vectors)
    passage_vectors = clustered(3000, seed=4)
    owners = np.random.default_rng(5).choice(rowids, 3000)
    with store.transaction():
        for rowid in sorted(set(owners.tolist())):
            store._put_passages(rowid, "a", passage_vectors[owners == rowid])  # loaded with the index's copy below
    best = {}
    for owner, vec in zip(owners.tolist(), passage_vectors):
        best.setdefault(owner, []).append(vec)
    for seed in range(20):
        target = seed * 131
        q = noisy(passage_vectors[target], seed)
        fast = store.vectors.search("a", q, 10, active_only=False, passages=True)
        exact = store.vectors.search("a", q, 10, active_only=False, passages=True, exact=True)
        assert fast[0] == pytest.approx(exact[0])
        assert fast[0][0] == int(owners[target])  # its memory's own vector is about something else
        for rowid, score in fast:
            own = float(vectors[rowids.index(rowid)] @ q)
            top = max([own, *(float(v @ q) for v in best.get(rowid, []))])
            assert score == pytest.approx(own + passages.WEIGHT * (top - own), abs=1e-5)
    assert store.vectors._parts["a"].passage_sketch is not None  # the passages' first pass did run


def test_rescoring_block_by_block_gives_the_full_products_bit_for_bit():
    from server.store.vector_index import RESCORE_BLOCK, _dot_rows

    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(3000, 48)).astype(np.float32)
    query = rng.normal(size=48).astype(np.float32)
    rows = np.sort(rng.choice(3000, size=2 * RESCORE_BLOCK + 37, replace=False))
    assert np.array_equal(_dot_rows(matrix, rows, query), matrix[rows] @ query)
    assert _dot_rows(matrix, rows[:0], query).shape == (0,)
