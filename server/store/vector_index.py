"""Nearest-neighbour search over a namespace's vectors, held in process memory (exact scores).

Why not query vec0 directly: sqlite-vec's vec0 is a brute-force scan, and on
this project's 2-core reference machine it takes ~90 ms for 100k 384-d vectors
(chunked reads plus per-row work), while one numpy matrix-vector product over
the same float32 matrix takes ~10 ms. The recall budget is 25 ms in all, so the
file stays the source of truth (vec0 holds every vector) and each process keeps
an exact copy of the namespaces it searches.

Large namespaces are searched in two passes (see `_Sketch`): a dot product over
64 principal components picks the few thousand rows that can be near the query,
then the full float32 dot product ranks those exactly. `bench/vector_check.py`
measures how often the two-pass top 10 differs from a full exact scan.

Long memories also have passage vectors (server/passages.py, the `memory_passages`
table, written in the memory's transaction): each partition keeps them beside its
matrix with the row of the memory they belong to, loads them with that memory's
vector, and a search can raise a memory's score towards its best passage's.

Staying in step across processes: every transaction that adds a vector or
changes a memory's status bumps `meta.vec_gen` (and `meta.vec_purge` for hard
deletes). Before a search the index compares them with what it has seen: its
own writes are already applied; anything else triggers an incremental load
(rowids only grow, since memory rows are never deleted) and a refresh of the
active flags of the memories in `memories_status_log` since the last look, and
a foreign purge drops the copy so deleted vectors leave memory.

Why incremental, both ways: a sleep job in another process commits every few
milliseconds, and each commit makes the next search here catch up. vec0 has no
range index on rowid, so "vectors after rowid N" scans the whole table (~60 ms of
CPU at 10k vectors) and re-reading every status is O(namespace); the new rowids
come from the memories table's primary key instead, each vector by a point
lookup, and only logged statuses are re-read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from server import blas
from server import passages as _passages

# Up to this many new vectors (or a quarter of the partition) are fetched one by one; more, by one scan.
POINT_LOOKUPS = 256

# Below this many rows a full float32 scan costs a few milliseconds: it stays the only pass.
TWO_PASS_MIN_ROWS = 20_000
# Rows the first pass keeps for exact rescoring: at least this many, and this many per wanted result.
RESCORE_MIN, RESCORE_PER_RESULT = 4096, 64
# Dimensions of the first pass (principal components of the namespace's vectors).
SKETCH_DIMS = 64
SKETCH_FIT_ROWS = 8192  # rows sampled to fit the components
# Rows gathered per product when rescoring the first pass's picks: a block this size stays in cache between its
# gather and its product, where gathering all 4096 at once wrote and re-read 6 MB (2.5 -> 1.5 ms CPU per search,
# bench/notes/recall-latency.md, Session 8; the scores are bit-identical).
RESCORE_BLOCK = 256


def _dot_rows(matrix: np.ndarray, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """matrix[rows] @ query, block by block."""
    out = np.empty(len(rows), dtype=np.float32)
    for start in range(0, len(rows), RESCORE_BLOCK):
        np.dot(matrix[rows[start : start + RESCORE_BLOCK]], query, out=out[start : start + RESCORE_BLOCK])
    return out


@dataclass
class _Sketch:
    """A partition's vectors projected on their top principal components: the first pass of a two-pass search.

    Why: the exact scan reads every float of every row (150 MB at 100k x 384) and is bound by memory
    bandwidth; 64 components are a sixth of that and keep most of what separates sentence embeddings,
    so the rows that can be in the top k are among the few thousand the projection ranks first
    (measured: `bench/vector_check.py`). The components are refitted, and every row re-projected,
    each time the partition doubles, at an amortised cost of one pass over the matrix.
    """

    center: np.ndarray
    basis: np.ndarray  # (dims, dim)
    rows_at_fit: int
    rows: np.ndarray  # (capacity, dims): row i = projection of row i
    size: int = 0

    @classmethod
    def fit(cls, matrix: np.ndarray, capacity: int) -> _Sketch:
        center = matrix.mean(axis=0)
        sample = matrix[:: max(1, len(matrix) // SKETCH_FIT_ROWS)] - center
        # Principal components = eigenvectors of the (dim x dim) covariance, largest eigenvalues first.
        _, vectors = np.linalg.eigh(sample.T @ sample)
        basis = np.ascontiguousarray(vectors[:, ::-1][:, :SKETCH_DIMS].T, dtype=np.float32)
        rows = np.zeros((capacity, len(basis)), dtype=np.float32)
        rows[: len(matrix)] = (matrix - center) @ basis.T
        return cls(center=center, basis=basis, rows_at_fit=len(matrix), rows=rows, size=len(matrix))

    def extend(self, matrix: np.ndarray, capacity: int) -> None:
        """Project the rows appended since the last search (matrix is the partition's first `size` rows)."""
        n = len(matrix)
        if capacity > len(self.rows):
            grown = np.zeros((capacity, self.rows.shape[1]), dtype=np.float32)
            grown[: self.size] = self.rows[: self.size]
            self.rows = grown
        self.rows[self.size : n] = (matrix[self.size : n] - self.center) @ self.basis.T
        self.size = n

    def nearest(self, query: np.ndarray, keep: int, mask: np.ndarray | None) -> np.ndarray:
        """Indices (ascending) of the `keep` rows whose projection scores highest against the query's.

        (q . x = q . center + q . (x - center): the first term is the same for every row.)
        """
        # The caller holds one BLAS thread (`search`): a single-threaded sgemv reads the rows at memory speed,
        # and OpenBLAS's thread hand-offs cost more than they save on a busy 2-core machine.
        scores = self.rows[: self.size] @ (self.basis @ query)
        if mask is not None:
            scores[~mask] = -np.inf
            keep = min(keep, int(mask.sum()))
        if keep <= 0:
            return np.zeros(0, dtype=np.int64)
        top = np.argpartition(-scores, keep - 1)[:keep] if keep < len(scores) else np.arange(len(scores))
        top.sort()  # gathering rows in memory order is faster
        return top


@dataclass
class _Partition:
    dim: int
    rowids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    active: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    size: int = 0
    max_rowid: int = 0
    position: dict[int, int] = field(default_factory=dict)
    sketch: _Sketch | None = None
    # Passage vectors of long memories (server/passages.py): row j belongs to the memory at row `owner[j]`.
    passages: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    owner: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    passage_count: int = 0
    passage_sketch: _Sketch | None = None  # the first pass over many passages, as `sketch` over many memories

    def candidates(self, query: np.ndarray, keep: int, active_only: bool) -> np.ndarray | None:
        """The first pass of a two-pass search; None when the partition is small enough to scan exactly."""
        n = self.size
        if n < TWO_PASS_MIN_ROWS or keep * 4 > n:
            return None
        if self.sketch is None or n >= 2 * self.sketch.rows_at_fit:
            self.sketch = _Sketch.fit(self.matrix[:n], len(self.rowids))
        elif self.sketch.size < n:
            self.sketch.extend(self.matrix[:n], len(self.rowids))
        return self.sketch.nearest(query, keep, self.active[:n] if active_only else None)

    def forget_row(self, i: int) -> None:
        """A hard delete: the vector and its projection leave memory."""
        self.matrix[i] = 0.0
        self.active[i] = False
        self.position.pop(int(self.rowids[i]), None)
        if self.sketch is not None and i < self.sketch.size:
            self.sketch.rows[i] = 0.0
        if self.passage_count:
            gone = np.flatnonzero(self.owner[: self.passage_count] == i)
            self.passages[gone] = 0.0
            if self.passage_sketch is not None:
                self.passage_sketch.rows[gone[gone < self.passage_sketch.size]] = 0.0

    def append_passages(self, owners: np.ndarray, vectors: np.ndarray) -> None:
        """Add passage vectors; `owners` are their memories' rowids (already appended: the memory comes first)."""
        rows = np.fromiter((self.position.get(int(r), -1) for r in owners), dtype=np.int64, count=len(owners))
        keep = rows >= 0
        rows, vectors = rows[keep], vectors[keep]
        need = self.passage_count + len(rows)
        if need > len(self.owner):
            capacity = max(need, 2 * len(self.owner), 256)
            grown = np.zeros((capacity, self.dim), dtype=np.float32)
            if self.passage_count:
                grown[: self.passage_count] = self.passages[: self.passage_count]
            self.passages = grown
            self.owner = np.resize(self.owner, capacity)
        self.passages[self.passage_count : need] = vectors
        self.owner[self.passage_count : need] = rows
        self.passage_count = need

    def best_passage(self, query: np.ndarray, keep: int | None, active_only: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(per memory row the best cosine of its passages, -inf without any; the passages scored: their memory
        rows, their cosines); None when there are no passages.

        Many passages are searched in two passes like the memories (`_Sketch`): only the `keep` passages the
        first pass ranks best are scored (all of them when `keep` is None).
        """
        m = self.passage_count
        if not m:
            return None
        if keep is None or m < TWO_PASS_MIN_ROWS or keep * 4 > m:
            owners, scores = self.owner[:m], self.passages[:m] @ query
        else:
            if self.passage_sketch is None or m >= 2 * self.passage_sketch.rows_at_fit:
                self.passage_sketch = _Sketch.fit(self.passages[:m], len(self.owner))
            elif self.passage_sketch.size < m:
                self.passage_sketch.extend(self.passages[:m], len(self.owner))
            rows = self.passage_sketch.nearest(query, keep, self.active[self.owner[:m]] if active_only else None)
            owners, scores = self.owner[rows], _dot_rows(self.passages, rows, query)
        best = np.full(self.size, -np.inf, dtype=np.float32)
        np.maximum.at(best, owners, scores)
        return best, owners, scores

    def append(self, rowids: np.ndarray, vectors: np.ndarray, active: np.ndarray) -> None:
        need = self.size + len(rowids)
        if need > len(self.rowids):
            capacity = max(need, 2 * len(self.rowids), 1024)
            self.rowids = np.resize(self.rowids, capacity)
            self.active = np.resize(self.active, capacity)
            grown = np.zeros((capacity, self.dim), dtype=np.float32)
            if self.size:
                grown[: self.size] = self.matrix[: self.size]
            self.matrix = grown
        end = self.size + len(rowids)
        self.rowids[self.size : end] = rowids
        self.matrix[self.size : end] = vectors
        self.active[self.size : end] = active
        for i, rowid in enumerate(rowids.tolist(), start=self.size):
            self.position[rowid] = i
        self.size = end
        if len(rowids):
            self.max_rowid = max(self.max_rowid, int(rowids.max()))


class VectorIndex:
    def __init__(self, db):
        self.db = db
        self._parts: dict[str, _Partition] = {}
        self._lock = threading.RLock()
        self._seen_gen: int | None = None
        self._seen_purge: int | None = None
        self._seen_log: int | None = None  # memories_status_log.seq applied up to (with _seen_gen)
        # Within one write transaction (named by Database.write_serial) nobody else can move the generations:
        # (serial, vec_gen, vec_purge) as this transaction last read or wrote them, and whether it bumped.
        self._txn: tuple[int, int, int] | None = None
        self._bumped: int | None = None

    # -- keeping step with the file ------------------------------------------------------
    def _generations(self) -> tuple[int, int]:
        serial = self.db.write_serial()
        if serial is not None and self._txn is not None and self._txn[0] == serial:
            return self._txn[1], self._txn[2]
        values = dict(self.db.execute("SELECT key, value FROM meta WHERE key IN ('vec_gen', 'vec_purge')"))
        gen, purge = int(values.get("vec_gen", 0)), int(values.get("vec_purge", 0))
        if serial is not None:
            self._txn = (serial, gen, purge)
        return gen, purge

    def bump(self, purge: bool = False) -> None:
        """Call inside the write transaction that changed vectors or statuses.

        Once per transaction is enough (a batch of writes shares one): other processes only need to see the
        generation move, and this process applied its own changes as it made them.
        """
        serial = self.db.write_serial()
        if not purge and serial is not None and self._bumped == serial:
            return
        gen, purge_gen = self._generations()
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES ('vec_gen', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (str(gen + 1),),
        )
        if purge:
            self.db.execute(
                "INSERT INTO meta(key, value) VALUES ('vec_purge', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(purge_gen + 1),),
            )
        if serial is not None:
            self._txn = (serial, gen + 1, purge_gen + (1 if purge else 0))
            self._bumped = serial
        with self._lock:
            # Only if we were in step before our own change are we in step after it (and our own status
            # changes, logged by the trigger before this call, are already applied).
            if self._seen_gen == gen:
                self._seen_gen = gen + 1
                self._seen_log = self._log_end()
            if purge and self._seen_purge == purge_gen:
                self._seen_purge = purge_gen + 1

    def reset(self) -> None:
        with self._lock:
            self._parts.clear()
            self._seen_gen = self._seen_purge = self._seen_log = None
            self._txn = self._bumped = None

    def _log_end(self) -> int:
        return self.db.one("SELECT COALESCE(MAX(seq), 0) FROM memories_status_log")[0]

    def _sync(self) -> None:
        gen, purge = self._generations()
        if purge != self._seen_purge:
            self._parts.clear()
            self._seen_purge = purge
        if gen != self._seen_gen:
            log_end = self._log_end()
            changed = self._status_changes(log_end)
            for namespace, part in self._parts.items():
                self._load(namespace, part)
                if changed is None:
                    self._refresh_active(namespace, part)
                else:
                    for rowid, active in changed.get(namespace, ()):
                        i = part.position.get(rowid)
                        if i is not None:
                            part.active[i] = active
            self._seen_gen, self._seen_log = gen, log_end

    def _status_changes(self, log_end: int) -> dict[str, list[tuple[int, bool]]] | None:
        """Current active flags of the memories whose status changed since we last looked, by namespace;
        None when we have not looked yet or the log no longer reaches back that far (refresh everything)."""
        if self._seen_log is None or not self._parts:
            return None
        if log_end == self._seen_log:
            return {}
        first = self.db.one("SELECT MIN(seq) FROM memories_status_log")[0]
        if first is None or first > self._seen_log + 1:
            return None
        out: dict[str, list[tuple[int, bool]]] = {}
        for rowid, namespace, active in self.db.execute(
            "SELECT l.memory_rowid, m.namespace, m.status = 'active' FROM memories_status_log l "
            "JOIN memories m ON m.rowid = l.memory_rowid WHERE l.seq > ? AND l.seq <= ? ORDER BY l.seq",
            (self._seen_log, log_end),
        ):
            out.setdefault(namespace, []).append((rowid, bool(active)))
        return out

    def _load(self, namespace: str, part: _Partition) -> None:
        """Append the namespace's vectors past part.max_rowid."""
        rows = None
        if part.size:
            # `+namespace`: walk the rowid range, not the namespace index.
            new = self.db.execute(
                "SELECT rowid, status = 'active' FROM memories WHERE rowid > ? AND +namespace = ? ORDER BY rowid",
                (part.max_rowid, namespace),
            )
            if len(new) <= max(POINT_LOOKUPS, part.size // 4):
                rows = []
                for rowid, active in new:
                    hit = self.db.one("SELECT embedding FROM memories_vec WHERE rowid = ?", (rowid,))
                    if hit is not None:
                        rows.append((rowid, hit[0], active))
        if rows is None:
            try:
                rows = self.db.execute(
                    "SELECT v.rowid, v.embedding, m.status = 'active' FROM memories_vec v JOIN memories m ON m.rowid = v.rowid "
                    "WHERE v.namespace = ? AND v.rowid > ? ORDER BY v.rowid",
                    (namespace, part.max_rowid),
                )
            except Exception as exc:
                if "no such table" in str(exc):
                    return
                raise
        if not rows:
            return
        after = part.max_rowid
        rowids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), part.dim)
        active = np.fromiter((bool(r[2]) for r in rows), dtype=bool, count=len(rows))
        part.append(rowids, vectors, active)
        self._load_passages(namespace, part, after)

    def _load_passages(self, namespace: str, part: _Partition, after: int) -> None:
        """Append the passage vectors of the namespace's memories past rowid `after` (written with their memory).

        `memory_passages` always exists here: SQLiteStore migrates (m007 creates it) before it builds this index,
        and nothing drops it. `memories_vec` may not (a store no embedder has bound yet): `_load` tolerates that."""
        rows = self.db.execute(
            "SELECT memory_rowid, embedding FROM memory_passages WHERE namespace = ? AND memory_rowid > ? "
            "ORDER BY memory_rowid, seq",
            (namespace, after),
        )
        if rows:
            owners = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            part.append_passages(owners, np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), part.dim))

    def _refresh_active(self, namespace: str, part: _Partition) -> None:
        rows = self.db.execute("SELECT rowid FROM memories WHERE namespace = ? AND status = 'active'", (namespace,))
        active = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        part.active[: part.size] = np.isin(part.rowids[: part.size], active)

    def _partition(self, namespace: str, dim: int) -> _Partition:
        part = self._parts.get(namespace)
        if part is None:
            part = self._parts[namespace] = _Partition(dim=dim)
            self._load(namespace, part)
        return part

    # -- changes made by this process -------------------------------------------------------
    def added(self, namespace: str, rowid: int, vector: np.ndarray, active: bool, passages: np.ndarray | None = None) -> None:
        with self._lock:
            part = self._parts.get(namespace)
            # Trigger: another process committed vectors we have not loaded yet. Why: appending ours now
            # would move max_rowid past theirs and the next incremental load would skip them for good.
            # Outcome: we leave ours to that load too (the write lock we hold orders rowids by commit).
            in_step = self._seen_gen == self._generations()[0]
            if part is not None and in_step and rowid > part.max_rowid:
                part.append(np.array([rowid], dtype=np.int64), np.asarray(vector, dtype=np.float32)[None, :], np.array([active]))
                if passages is not None and len(passages):
                    part.append_passages(np.full(len(passages), rowid, dtype=np.int64), np.asarray(passages, dtype=np.float32))
        self.bump()
        self.db.on_rollback(self.reset)

    def status_changed(self, namespace: str, rowid: int, active: bool) -> None:
        with self._lock:
            part = self._parts.get(namespace)
            if part is not None and rowid in part.position:
                part.active[part.position[rowid]] = active
        self.bump()
        self.db.on_rollback(self.reset)

    def removed(self, namespace: str, rowid: int) -> None:
        self.db.on_rollback(self.reset)
        with self._lock:
            part = self._parts.get(namespace)
            if part is not None and rowid in part.position:
                part.forget_row(part.position[rowid])

    # -- reads ---------------------------------------------------------------------------------
    def vectors(self, namespace: str, rowids, dim: int) -> dict[int, np.ndarray]:
        """Stored vectors of `rowids` in the namespace (copies), from memory.

        Why: vec0 answers `rowid IN (...)` by scanning the partition (~6 ms for 8 rows at 2k rows);
        remember reads its neighbours' vectors for every statement.
        """
        with self.db.read(), self._lock:
            self._sync()
            part = self._partition(namespace, dim)
            return {r: part.matrix[part.position[r]].copy() for r in map(int, rowids) if r in part.position}

    # -- search ------------------------------------------------------------------------------
    def search(
        self, namespace: str, vector: np.ndarray, limit: int, active_only: bool, exact: bool = False, passages: bool = False
    ) -> list[tuple[int, float]]:
        """Top `limit` (rowid, cosine) pairs; vectors are unit length, so cosine is a dot product.

        Scores are always exact float32 dot products; in a large namespace only the first pass's
        candidates are scored (see `_Sketch`) unless `exact` asks for a full scan. With `passages`, a long
        memory's cosine is raised towards its best passage's (`passages.WEIGHT`, server/passages.py); every memory
        with a passage among the best `limit` is scored, whatever the first pass kept.
        """
        query = np.asarray(vector, dtype=np.float32)
        # Lock order everywhere is database, then index: writers hold the database
        # lock when they call added()/status_changed().
        with self.db.read(), self._lock:
            self._sync()
            part = self._partition(namespace, len(query))
            n = part.size
            if n == 0 or limit <= 0:
                return []
            # Matrix-vector products are bound by memory bandwidth: a second BLAS thread adds hand-offs and
            # spinning, not speed, on a 2-core machine (bench/recall_stages.py measures the search's CPU).
            with blas.one_thread():
                keep = max(RESCORE_MIN, RESCORE_PER_RESULT * limit)
                rows = None if exact else part.candidates(query, keep, active_only)
                best = part.best_passage(query, None if exact else keep, active_only) if passages else None
                if rows is not None and best is not None:  # memories with a top passage are scored too
                    _, owners, top = best
                    rows = np.union1d(rows, owners[np.argpartition(-top, limit - 1)[:limit]] if limit < len(top) else owners)
                if rows is None:
                    rows = np.arange(n)
                    scores = part.matrix[:n] @ query
                else:
                    scores = _dot_rows(part.matrix, rows, query)
                if best is not None:  # own + WEIGHT x how much better the best passage matches (1: max-pooled)
                    scores = scores + _passages.WEIGHT * np.maximum(best[0][rows] - scores, 0.0)
            if active_only:
                scores = np.where(part.active[rows], scores, -np.inf)
            take = min(limit, len(rows))
            if take == 0:
                return []
            top = np.argpartition(-scores, take - 1)[:take] if take < len(rows) else np.arange(len(rows))
            top = top[np.argsort(-scores[top])]
            top = top[np.isfinite(scores[top])]
            return list(zip(part.rowids[rows[top]].tolist(), scores[top].tolist()))
