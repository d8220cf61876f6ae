"""Exact nearest-neighbour search over a namespace's vectors, held in process memory.

Why not query vec0 directly: sqlite-vec's vec0 is a brute-force scan, and on
this project's 2-core reference machine it takes ~90 ms for 100k 384-d vectors
(chunked reads plus per-row work), while one numpy matrix-vector product over
the same float32 matrix takes ~10 ms. The recall budget is 25 ms in all, so the
file stays the source of truth (vec0 holds every vector) and each process keeps
an exact copy of the namespaces it searches.

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

# Up to this many new vectors (or a quarter of the partition) are fetched one by one; more, by one scan.
POINT_LOOKUPS = 256


@dataclass
class _Partition:
    dim: int
    rowids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    active: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    size: int = 0
    max_rowid: int = 0
    position: dict[int, int] = field(default_factory=dict)

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

    # -- keeping step with the file ------------------------------------------------------
    def _generations(self) -> tuple[int, int]:
        values = dict(self.db.execute("SELECT key, value FROM meta WHERE key IN ('vec_gen', 'vec_purge')"))
        return int(values.get("vec_gen", 0)), int(values.get("vec_purge", 0))

    def bump(self, purge: bool = False) -> None:
        """Call inside the write transaction that changed vectors or statuses."""
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
        rowids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), part.dim)
        active = np.fromiter((bool(r[2]) for r in rows), dtype=bool, count=len(rows))
        part.append(rowids, vectors, active)

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
    def added(self, namespace: str, rowid: int, vector: np.ndarray, active: bool) -> None:
        with self._lock:
            part = self._parts.get(namespace)
            # Trigger: another process committed vectors we have not loaded yet. Why: appending ours now
            # would move max_rowid past theirs and the next incremental load would skip them for good.
            # Outcome: we leave ours to that load too (the write lock we hold orders rowids by commit).
            in_step = self._seen_gen == self._generations()[0]
            if part is not None and in_step and rowid > part.max_rowid:
                part.append(np.array([rowid], dtype=np.int64), np.asarray(vector, dtype=np.float32)[None, :], np.array([active]))
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
                i = part.position[rowid]
                part.matrix[i] = 0.0
                part.active[i] = False

    # -- search ------------------------------------------------------------------------------
    def search(self, namespace: str, vector: np.ndarray, limit: int, active_only: bool) -> list[tuple[int, float]]:
        """Top `limit` (rowid, cosine) pairs; vectors are unit length, so cosine is a dot product."""
        query = np.asarray(vector, dtype=np.float32)
        # Lock order everywhere is database, then index: writers hold the database
        # lock when they call added()/status_changed().
        with self.db.read(), self._lock:
            self._sync()
            part = self._partition(namespace, len(query))
            n = part.size
            if n == 0 or limit <= 0:
                return []
            scores = part.matrix[:n] @ query
            if active_only:
                scores = np.where(part.active[:n], scores, -np.inf)
            take = min(limit, n)
            top = np.argpartition(-scores, take - 1)[:take] if take < n else np.arange(n)
            top = top[np.argsort(-scores[top])]
            return [(int(part.rowids[i]), float(scores[i])) for i in top if np.isfinite(scores[i])]
