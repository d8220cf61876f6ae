"""The default store: one SQLite file with FTS5 for keywords and sqlite-vec for vectors.

Vectors are persisted in a `vec0` table partitioned by namespace. Searching them
goes through `VectorIndex`, an exact in-process copy of each namespace's vectors
(see vector_index.py for why), kept in step with the file across processes. Keyword search
ranks with `KeywordIndex`, BM25 from in-process postings of FTS5's own terms (keyword_index.py), and
falls back to FTS5's bm25() for what the index leaves to it (or with REVERIE_KEYWORD_INDEX=fts5).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from server.clock import from_iso, to_iso
from server.errors import EmbeddingMismatch, InvalidInput
from server.models import AuditEntry, Memory
from server.store import MemoryFacts, Neighbour
from server.store.driver import Database
from server.store.keyword_index import KeywordIndex
from server.store.migrations import migrate, schema_version
from server.store.vector_index import VectorIndex

COLUMNS = (
    "id namespace content kind tier status confidence strength decay_rate recall_count last_recalled_at "
    "recorded_at valid_from valid_until ended_at supersedes superseded_by source provenance tags session_id "
    "content_hash embedding_model"
).split()
_DATES = {"last_recalled_at", "recorded_at", "valid_from", "valid_until", "ended_at"}
_JSON = {"provenance", "tags"}
SELECT = "SELECT rowid, " + ", ".join(COLUMNS) + " FROM memories"
_EVERY_FIELD = list(COLUMNS) == list(Memory.model_fields)  # see row_to_memory


def row_to_memory(row: Sequence[Any]) -> Memory:
    data = {}
    for name, value in zip(COLUMNS, row[1:]):
        if value is None:
            pass
        elif name in _DATES:
            value = datetime.fromisoformat(value)
            if value.tzinfo is not timezone.utc:  # stored as UTC; anything else gets from_iso's treatment
                value = from_iso(value.isoformat())
        elif name in _JSON:
            value = [] if value == "[]" else json.loads(value)  # most tag and provenance lists are empty
        data[name] = value
    # Rows were validated when written; skipping re-validation keeps recall's candidate fetch cheap.
    if not _EVERY_FIELD:
        return Memory.model_construct(**data)
    # What model_construct ends with, without its per-field default and alias handling (~45 -> ~8 us a
    # row; a recall at 100k memories reads ~100 rows). Valid because a row sets every field.
    memory = Memory.__new__(Memory)
    object.__setattr__(memory, "__dict__", data)
    object.__setattr__(memory, "__pydantic_fields_set__", set(data))
    object.__setattr__(memory, "__pydantic_extra__", None)
    object.__setattr__(memory, "__pydantic_private__", None)
    return memory


FACT_COLUMNS = (
    "rowid id status kind tags confidence strength decay_rate last_recalled_at recorded_at valid_from ended_at superseded_by session_id"
).split()
SELECT_FACTS = "SELECT " + ", ".join(FACT_COLUMNS) + ", content != '' FROM memories"
_FACT_DATES = [i for i, name in enumerate(FACT_COLUMNS) if name in _DATES]
_FACT_TAGS = FACT_COLUMNS.index("tags")


def row_to_facts(row: Sequence[Any]) -> MemoryFacts:
    values = list(row)
    for i in _FACT_DATES:
        if values[i] is not None:
            value = datetime.fromisoformat(values[i])
            values[i] = value if value.tzinfo is timezone.utc else from_iso(value.isoformat())
    values[_FACT_TAGS] = [] if values[_FACT_TAGS] == "[]" else json.loads(values[_FACT_TAGS])
    values[-1] = bool(values[-1])
    return MemoryFacts._make(values)


def memory_to_params(memory: Memory) -> list[Any]:
    data = memory.model_dump()
    out = []
    for name in COLUMNS:
        value = data[name]
        if name in _DATES:
            value = to_iso(value)
        elif name in _JSON:
            value = json.dumps(value)
        out.append(value)
    return out


class SQLiteStore:
    """Storage for memories, their vectors, the audit trail, recall logs and feedback."""

    backend = "sqlite"
    _reader: Database | None = None  # see _keyword_db
    keywords: KeywordIndex | None = None  # None: FTS5 ranks (and on PostgreSQL, which inherits this class)

    def __init__(self, path: str | Path, driver: str = "auto", busy_timeout_ms: int = 5000, keyword_index: str = "memory"):
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path = str(path)
        self.db = Database(self.path, driver=driver, busy_timeout_ms=busy_timeout_ms)
        self.schema_version = migrate(self.db)
        self.vectors = VectorIndex(self.db)
        # BM25 from in-process postings ("memory", keyword_index.py) or from FTS5's bm25() ("fts5").
        self.keywords = KeywordIndex(self.db.driver) if keyword_index == "memory" else None
        self._bind_lock = threading.Lock()
        self._reader_lock = threading.Lock()

    @property
    def driver(self) -> str:
        return self.db.driver

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        if self.keywords is not None:
            self.keywords.close()
        self.db.close()

    def _keyword_db(self) -> Database:
        """A second connection for keyword search.

        Why: keyword search runs in a worker thread beside the query embedding and the vector scan (FTS5's
        BM25 ranking was the longest step of a recall at 100k memories); one connection runs one statement at
        a time, so on the main connection its reads (the index's catch-up, FTS5's fallback) would also hold up
        the vector search's sync read. On its own connection it runs next to the query
        embedding and the vector scan. A caller with a transaction open reads through it instead (it may
        hold writes not yet committed), and so does an in-memory database (it cannot be shared).
        """
        if self.path == ":memory:" or self.db.in_transaction():
            return self.db
        with self._reader_lock:
            if self._reader is None:
                self._reader = Database(self.path, driver=self.db.driver)
            return self._reader

    def transaction(self):
        """One write transaction for several store calls (they join it)."""
        return self.db.write()

    # -- metadata and the embedding model ---------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.db.one("SELECT value FROM meta WHERE key = ?", (key,))
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.db.write():
            self.db.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def delete_meta(self, key: str) -> None:
        with self.db.write():
            self.db.execute("DELETE FROM meta WHERE key = ?", (key,))

    def embedding_binding(self) -> tuple[str, int] | None:
        model, dim = self.get_meta("embedding_model"), self.get_meta("embedding_dim")
        return (model, int(dim)) if model and dim else None

    def check_embedding(self, model_id: str) -> None:
        """Raises:
        EmbeddingMismatch: the database was built with another model.
        """
        bound = self.embedding_binding()
        if bound and bound[0] != model_id:
            raise EmbeddingMismatch(
                f"{self.path} holds vectors from {bound[0]!r} ({bound[1]} dims) but the configured model is "
                f"{model_id!r}. Run `reverie reembed --db {self.path}` to migrate it, or set "
                f"REVERIE_EMBEDDING_MODEL={bound[0]}."
            )

    def _create_vector_table(self, dim: int) -> None:
        """The backend's vector table at the model's dimension (a PostgreSQL store overrides this)."""
        self.db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS memories_vec USING vec0("
            f"namespace text partition key, embedding float[{int(dim)}] distance_metric=cosine)"
        )

    def bind_embedding(self, model_id: str, dim: int) -> None:
        """Record the model and create the vector table at its dimension (first use only)."""
        with self._bind_lock:
            self.check_embedding(model_id)
            if self.embedding_binding():
                return
            with self.db.write():
                if self.db.one("SELECT value FROM meta WHERE key = 'embedding_model'"):
                    return  # another process (or replica) got here first
                self._create_vector_table(dim)
                self.db.executemany(
                    "INSERT INTO meta(key, value) VALUES (?, ?)",
                    [("embedding_model", model_id), ("embedding_dim", str(dim))],
                )

    def rebind_embedding(
        self, model_id: str, dim: int, vectors: Iterable[tuple[int, str, np.ndarray]],
        passages: Iterable[tuple[int, str, np.ndarray]] = (),
    ) -> int:
        """Replace every vector (reembed): drop and rebuild the vector table in one transaction.

        `passages` are (memory rowid, namespace, passage vectors) of the long memories; the old ones all go.
        """
        count = 0
        with self.db.write():
            self.db.execute("DROP TABLE IF EXISTS memories_vec")
            self._create_vector_table(dim)
            for rowid, namespace, vector in vectors:
                self._put_vector(rowid, namespace, vector)
                count += 1
            self.db.execute("DELETE FROM memory_passages")
            for rowid, namespace, rows in passages:
                self._put_passages(rowid, namespace, rows)
            self.db.execute("UPDATE memories SET embedding_model = ?", (model_id,))
            for key, value in (("embedding_model", model_id), ("embedding_dim", str(dim))):
                self.db.execute(
                    "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )
            self.vectors.bump(purge=True)
        self.vectors.reset()
        return count

    def _put_vector(self, rowid: int, namespace: str, vector: np.ndarray, active: bool | None = None) -> None:
        """Write one vector row (`active`: the memory's status, when the caller has it; SQLite keeps it in the index)."""
        self.db.execute(
            "INSERT INTO memories_vec(rowid, namespace, embedding) VALUES (?, ?, ?)",
            (rowid, namespace, np.asarray(vector, dtype=np.float32).tobytes()),
        )

    def _put_passages(self, rowid: int, namespace: str, vectors: np.ndarray) -> None:
        """Write a long memory's passage vectors (server/passages.py), numbered in text order."""
        self.db.executemany(
            "INSERT INTO memory_passages(memory_rowid, seq, namespace, embedding) VALUES (?, ?, ?, ?)",
            [(rowid, seq, namespace, np.asarray(v, dtype=np.float32).tobytes()) for seq, v in enumerate(vectors)],
        )

    # -- memories ------------------------------------------------------------------------
    def insert(self, memory: Memory, vector: np.ndarray | None, passages: np.ndarray | None = None) -> int:
        """Insert one memory version (and its vector, and its passages' vectors if it is long) inside the
        caller's or a new transaction."""
        with self.db.write():
            placeholders = ", ".join("?" for _ in COLUMNS)
            try:
                rowid = self.db.insert(f"INSERT INTO memories({', '.join(COLUMNS)}) VALUES ({placeholders})", memory_to_params(memory))
            except Exception as exc:
                if "UNIQUE" in str(exc):
                    raise InvalidInput(f"A memory with id {memory.id!r} already exists.") from exc
                raise
            if vector is not None:
                self._put_vector(rowid, memory.namespace, vector, memory.status == "active")
                if passages is not None and len(passages):
                    self._put_passages(rowid, memory.namespace, passages)
                self.vectors.added(memory.namespace, rowid, vector, memory.status == "active", passages)
        return rowid

    def get(self, namespace: str, memory_id: str) -> Memory | None:
        row = self.db.one(SELECT + " WHERE +namespace = ? AND id = ?", (namespace, memory_id))
        return row_to_memory(row) if row else None

    def get_many(self, namespace: str, ids: Sequence[str]) -> list[Memory]:
        by_id = self.get_by_ids(namespace, ids)
        return [by_id[i] for i in ids if i in by_id]

    def _rows_in(self, select: str, column: str, namespace: str, keys: Sequence) -> list:
        """`select` for the rows of `namespace` whose `column` (rowid or id) is one of `keys`, in one query.

        `+namespace` keeps the planner on the rowid / unique id index (the namespace index would scan the
        whole namespace for an IN list).
        """
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        return list(self.db.execute(select + f" WHERE +namespace = ? AND {column} IN ({marks})", (namespace, *keys)))

    def by_rowids(self, namespace: str, rowids: Sequence[int]) -> dict[int, Memory]:
        return {row[0]: row_to_memory(row) for row in self._rows_in(SELECT, "rowid", namespace, rowids)}

    def texts_by_rowids(self, namespace: str, rowids: Sequence[int]) -> dict[int, Neighbour]:
        """(id, content, kind) by rowid: what a write decision compares its neighbours on. Each carries its whole
        row, decoded only for the one the decision acts on (`Neighbour.memory`): decoding every neighbour's
        Memory cost more than the decision's arithmetic, and reading the target again cost a query."""
        return {row[0]: Neighbour(row[1], row[3], row[4], row) for row in self._rows_in(SELECT, "rowid", namespace, rowids)}

    def facts_by_rowids(self, namespace: str, rowids: Sequence[int]) -> dict[int, MemoryFacts]:
        """What recall ranks on, for many candidates: no text, provenance or hashes to decode (see MemoryFacts)."""
        return {row[0]: row_to_facts(row) for row in self._rows_in(SELECT_FACTS, "rowid", namespace, rowids)}

    def facts_by_ids(self, namespace: str, ids: Sequence[str]) -> dict[str, MemoryFacts]:
        """`facts_by_rowids` by memory id."""
        return {row[1]: row_to_facts(row) for row in self._rows_in(SELECT_FACTS, "id", namespace, ids)}

    def rowid_of(self, namespace: str, memory_id: str) -> int | None:
        row = self.db.one("SELECT rowid FROM memories WHERE +namespace = ? AND id = ?", (namespace, memory_id))
        return row[0] if row else None

    def find_active_by_hash(self, namespace: str, content_hash: str) -> Memory | None:
        row = self.db.one(
            SELECT + " WHERE namespace = ? AND content_hash = ? AND status = 'active' ORDER BY rowid DESC LIMIT 1",
            (namespace, content_hash),
        )
        return row_to_memory(row) if row else None

    def update_fields(self, namespace: str, memory_id: str, *, rowid: int | None = None, **fields: Any) -> None:
        """Change lifecycle fields of a version (status, links, counters): never its content. `rowid`: the
        version's, when the caller has it (a status change tells the vector index, which keys by rowid)."""
        if not fields:
            return
        assert "content" not in fields, "content is immutable; write a new version"
        sets, params = [], []
        for name, value in fields.items():
            if name not in COLUMNS:
                raise ValueError(name)
            if name in _DATES:
                value = to_iso(value)
            elif name in _JSON:
                value = json.dumps(value)
            sets.append(f"{name} = ?")
            params.append(value)
        with self.db.write():
            self.db.execute(f"UPDATE memories SET {', '.join(sets)} WHERE +namespace = ? AND id = ?", (*params, namespace, memory_id))
            if "status" in fields:
                rowid = rowid if rowid is not None else self.rowid_of(namespace, memory_id)
                if rowid is not None:
                    self.vectors.status_changed(namespace, rowid, fields["status"] == "active")

    def reinforce(self, namespace: str, ids: Sequence[str], at: datetime, boost: float) -> None:
        """Recall and confirmation strengthen a memory (capped at 1) and count the recall."""
        if not ids:
            return
        marks = ",".join("?" for _ in ids)
        with self.db.write():
            self.db.execute(
                f"UPDATE memories SET recall_count = recall_count + 1, last_recalled_at = ?, "
                f"strength = MIN(1.0, strength + ?) WHERE +namespace = ? AND id IN ({marks})",
                (to_iso(at), boost, namespace, *ids),
            )

    def purge(self, namespace: str, memory_id: str, content_hash: str) -> None:
        """Hard delete: the text leaves the row, the FTS index, the vector table and the logs."""
        with self.db.write():
            row = self.db.one("SELECT rowid, content FROM memories WHERE +namespace = ? AND id = ?", (namespace, memory_id))
            if row is None:
                return
            rowid, text = row
            # The FTS trigger removes the old terms (secure-delete is on for the index).
            self.db.execute(
                "UPDATE memories SET content = '', tags = '[]', purged = 1, session_id = NULL WHERE rowid = ?",
                (rowid,),
            )
            self.db.execute("DELETE FROM memories_vec WHERE rowid = ?", (rowid,))
            self.db.execute("DELETE FROM memory_passages WHERE memory_rowid = ?", (rowid,))
            # Recall logs that surfaced it keep ids and a hash of the query, not its text.
            for recall_id, query, query_hash in self.db.execute(
                "SELECT id, query, query_hash FROM recalls WHERE namespace = ? AND "
                "(candidates LIKE ? OR returned LIKE ?)",
                (namespace, f'%"{memory_id}"%', f'%"{memory_id}"%'),
            ):
                self.db.execute("UPDATE recalls SET query = ? WHERE id = ?", (f"[purged sha256:{query_hash}]", recall_id))
            self.vectors.bump(purge=True)
            self.vectors.removed(namespace, rowid)
            if self.keywords is not None:
                self.keywords.purged(self.db, namespace, rowid, text, int(self.get_meta("vec_purge") or 0))

    def compact(self) -> None:
        """Make deleted text unrecoverable from the file: rewrite FTS segments, checkpoint and truncate the WAL."""
        with self.db.write():
            self.db.execute("INSERT INTO memories_fts(memories_fts) VALUES('optimize')")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- search ----------------------------------------------------------------------------
    def keyword_search(self, namespace: str, match: str, limit: int) -> list[tuple[int, float]]:
        """BM25 candidates as (rowid, score) with higher = better: from the in-process index when it can
        answer (keyword_index.py), else from FTS5."""
        if self.keywords is not None:
            hits = self.keywords.search(self._keyword_db(), namespace, match, limit)
            if hits is not None:
                return hits
        return self.fts5_search(namespace, match, limit)

    def catch_up_keywords(self, namespace: str) -> None:
        """Bring the in-process keyword index up to the file for `namespace` (no-op without one)."""
        if self.keywords is not None:
            self.keywords.catch_up(self._keyword_db(), namespace)

    def fts5_search(self, namespace: str, match: str, limit: int) -> list[tuple[int, float]]:
        """FTS5 BM25 candidates as (rowid, score) with higher = better.

        The index is shared by all namespaces. Fast path: the best `4 * limit` hits overall, then keep this
        namespace's (~5 ms at 100k memories). When other namespaces crowd this one out of that window, the
        exact path materialises every hit and joins on the namespace (~30 ms at 100k for common terms).
        """
        db = self._keyword_db()
        window = 4 * limit
        top = db.execute(
            "SELECT rowid, bm25(memories_fts) AS score FROM memories_fts WHERE memories_fts MATCH ? ORDER BY score LIMIT ?",
            (match, window),
        )
        if not top:
            return []
        marks = ",".join("?" * len(top))
        mine = {r[0] for r in db.execute(f"SELECT rowid FROM memories WHERE rowid IN ({marks}) AND +namespace = ?", (*[r[0] for r in top], namespace))}
        hits = [(rowid, -score) for rowid, score in top if rowid in mine][:limit]
        if len(hits) == limit or len(top) < window:
            return hits
        # Materialise the FTS hits first: joined directly, SQLite's planner walks the namespace
        # index and re-runs the MATCH for every row.
        rows = db.execute(
            "WITH hits AS MATERIALIZED (SELECT rowid, bm25(memories_fts) AS score FROM memories_fts WHERE memories_fts MATCH ?) "
            "SELECT h.rowid, h.score FROM hits h JOIN memories m ON m.rowid = h.rowid "
            "WHERE m.namespace = ? ORDER BY h.score LIMIT ?",
            (match, namespace, limit),
        )
        return [(rowid, -score) for rowid, score in rows]

    def vector_search(self, namespace: str, vector: np.ndarray, limit: int, active_only: bool, passages: bool = False) -> list[tuple[int, float]]:
        """(rowid, cosine) best first; with `passages`, a long memory's cosine is raised towards its best passage's."""
        return self.vectors.search(namespace, vector, limit, active_only, passages=passages)

    # -- listing, history, stats --------------------------------------------------------------
    def list_memories(
        self, namespace: str, *, limit: int = 50, before_rowid: int | None = None, statuses: Sequence[str] | None = None
    ) -> list[tuple[int, Memory]]:
        where, params = ["namespace = ?"], [namespace]
        if before_rowid is not None:
            where.append("rowid < ?")
            params.append(before_rowid)
        if statuses:
            where.append(f"status IN ({','.join('?' for _ in statuses)})")
            params.extend(statuses)
        rows = self.db.execute(SELECT + f" WHERE {' AND '.join(where)} ORDER BY rowid DESC LIMIT ?", (*params, limit))
        return [(row[0], row_to_memory(row)) for row in rows]

    def iter_all(self, namespace: str | None = None, batch: int = 500) -> Iterator[tuple[int, Memory]]:
        last = 0
        while True:
            if namespace is None:
                rows = self.db.execute(SELECT + " WHERE rowid > ? ORDER BY rowid LIMIT ?", (last, batch))
            else:
                rows = self.db.execute(SELECT + " WHERE namespace = ? AND rowid > ? ORDER BY rowid LIMIT ?", (namespace, last, batch))
            if not rows:
                return
            for row in rows:
                yield row[0], row_to_memory(row)
            last = rows[-1][0]

    def versions(self, namespace: str, memory_id: str) -> list[Memory]:
        """Every version in the chain that holds `memory_id`, oldest first."""
        current = self.get(namespace, memory_id)
        if current is None:
            return []
        chain = [current]
        seen = {current.id}
        node = current
        while node.supersedes and node.supersedes not in seen:
            node = self.get(namespace, node.supersedes)
            if node is None:
                break
            seen.add(node.id)
            chain.insert(0, node)
        node = current
        while node.superseded_by and node.superseded_by not in seen:
            node = self.get(namespace, node.superseded_by)
            if node is None:
                break
            seen.add(node.id)
            chain.append(node)
        return chain

    def namespaces(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT namespace FROM memories ORDER BY namespace")]

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for namespace, status, n in self.db.execute("SELECT namespace, status, COUNT(*) FROM memories GROUP BY 1, 2"):
            out.setdefault(namespace, {})[status] = n
        return out

    # -- audit, recall log, feedback -----------------------------------------------------------
    def audit(self, namespace: str, action: str, memory_id: str | None, actor: str, at: datetime, **detail: Any) -> None:
        with self.db.write():
            self.db.execute(
                "INSERT INTO audit(at, namespace, action, memory_id, actor, detail) VALUES (?, ?, ?, ?, ?, ?)",
                (to_iso(at), namespace, action, memory_id, actor, json.dumps(detail, default=str)),
            )

    def audit_entries(
        self, namespace: str, *, memory_ids: Sequence[str] | None = None, limit: int = 100, before_id: int | None = None
    ) -> list[AuditEntry]:
        where, params = ["namespace = ?"], [namespace]
        if memory_ids is not None:
            where.append(f"memory_id IN ({','.join('?' for _ in memory_ids)})")
            params.extend(memory_ids)
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        rows = self.db.execute(
            f"SELECT id, at, namespace, action, memory_id, actor, detail FROM audit WHERE {' AND '.join(where)} "
            "ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        return [
            AuditEntry(id=r[0], at=from_iso(r[1]), namespace=r[2], action=r[3], memory_id=r[4], actor=r[5], detail=json.loads(r[6]))
            for r in rows
        ]

    def log_recall(
        self, recall_id: str, namespace: str, at: datetime, query: str, query_hash: str, params: dict, candidates: list, returned: list
    ) -> None:
        with self.db.write():
            self.db.execute(
                "INSERT INTO recalls(id, at, namespace, query, query_hash, params, candidates, returned) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (recall_id, to_iso(at), namespace, query, query_hash, json.dumps(params, default=str), json.dumps(candidates), json.dumps(returned)),
            )

    def get_recall(self, namespace: str, recall_id: str) -> dict | None:
        row = self.db.one("SELECT id, at, query, returned FROM recalls WHERE namespace = ? AND id = ?", (namespace, recall_id))
        if not row:
            return None
        return {"id": row[0], "at": from_iso(row[1]), "query": row[2], "returned": json.loads(row[3])}

    def recalls_of(self, namespace: str, memory_id: str, limit: int = 20) -> list[dict]:
        rows = self.db.execute(
            "SELECT id, at, query FROM recalls WHERE namespace = ? AND returned LIKE ? ORDER BY at DESC LIMIT ?",
            (namespace, f'%"{memory_id}"%', limit),
        )
        return [{"recall_id": r[0], "at": r[1], "query": r[2]} for r in rows]

    def add_feedback(self, namespace: str, recall_id: str, memory_id: str, signal: str, at: datetime) -> None:
        with self.db.write():
            self.db.execute(
                "INSERT INTO feedback(at, namespace, recall_id, memory_id, signal) VALUES (?, ?, ?, ?, ?)",
                (to_iso(at), namespace, recall_id, memory_id, signal),
            )

    def feedback_for(self, namespace: str) -> list[tuple[str, str, str]]:
        return [tuple(r) for r in self.db.execute("SELECT recall_id, memory_id, signal FROM feedback WHERE namespace = ?", (namespace,))]

    def info(self) -> dict[str, Any]:
        return {"database": self.path, "driver": self.driver, "schema_version": schema_version(self.db)}

    def health(self) -> str:
        """What `reverie doctor` reports. Raises: RuntimeError if the file fails its integrity check."""
        integrity = self.db.one("PRAGMA integrity_check")[0]
        if integrity != "ok":
            raise RuntimeError(f"integrity_check: {integrity}")
        fts = self.db.one("SELECT sqlite_compileoption_used('ENABLE_FTS5')")[0]
        vec = self.db.one("SELECT vec_version()")[0]
        return f"sqlite-vec {vec}, fts5={'yes' if fts else 'built-in'}"

    def tables(self, prefix: str = "") -> list[str]:
        rows = self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ORDER BY name", (prefix + "%",))
        return [r[0] for r in rows]

    # -- sleep (server/sleep/): runs, job state, consolidation keys, decay, conflicts ----------------
    def iter_memories(
        self, namespace: str, *, statuses: Sequence[str] = ("active",), tiers: Sequence[str] | None = None,
        after_rowid: int = 0, batch: int = 500,
    ) -> Iterator[tuple[int, Memory]]:
        """Memories in rowid order, in small batches (each batch one short read: jobs never hold the connection long)."""
        where = ["namespace = ?", "rowid > ?", f"status IN ({','.join('?' for _ in statuses)})"]
        params: list[Any] = [namespace, after_rowid, *statuses]
        if tiers:
            where.append(f"tier IN ({','.join('?' for _ in tiers)})")
            params.extend(tiers)
        last = after_rowid
        while True:
            params[1] = last
            rows = self.db.execute(SELECT + f" WHERE {' AND '.join(where)} ORDER BY rowid LIMIT ?", (*params, batch))
            if not rows:
                return
            for row in rows:
                yield row[0], row_to_memory(row)
            last = rows[-1][0]

    def vectors_by_rowid(self, namespace: str, rowids: Sequence[int], batch: int = 500, dim: int | None = None) -> dict[int, np.ndarray]:
        """Stored vectors by rowid, read from the in-process index (which loads the namespace on first use).

        `dim`: the bound dimension when the caller knows it (a write decision does: its own vector's), which
        saves reading the binding from the database for every statement of a batch."""
        if not rowids:
            return {}
        if dim is None:
            bound = self.embedding_binding()
            if bound is None:
                return {}
            dim = bound[1]
        return self.vectors.vectors(namespace, rowids, dim)

    def get_by_ids(self, namespace: str, ids: Sequence[str]) -> dict[str, Memory]:
        """Memories by id, in one query (see `_rows_in`)."""
        return {m.id: m for m in map(row_to_memory, self._rows_in(SELECT, "id", namespace, ids))}

    def consolidated(self, namespace: str) -> set[str]:
        """Ids of episodes already folded into a semantic memory (so a rerun never folds them twice)."""
        return {r[0] for r in self.db.execute("SELECT memory_id FROM sleep_consolidated WHERE namespace = ?", (namespace,))}

    def consolidated_into(self, namespace: str, memory_ids: Sequence[str]) -> dict[str, str]:
        """For episodes among `memory_ids` that sleep folded into a semantic memory: episode id -> semantic id."""
        if not memory_ids:
            return {}
        marks = ",".join("?" for _ in memory_ids)
        rows = self.db.execute(
            f"SELECT memory_id, semantic_id FROM sleep_consolidated WHERE namespace = ? AND semantic_id IS NOT NULL AND memory_id IN ({marks})",
            (namespace, *memory_ids),
        )
        return {r[0]: r[1] for r in rows}

    def source_dates(self, namespace: str, memory_ids: Sequence[str]) -> dict[str, list[datetime]]:
        """For semantic memories among `memory_ids` that sleep consolidated: id -> the dates (valid_from, else
        recorded_at) of the episodes it came from, oldest first. Recall dates a summary by these (server/timeframe.py)."""
        if not memory_ids:
            return {}
        marks = ",".join("?" for _ in memory_ids)
        rows = self.db.execute(
            "SELECT c.semantic_id, COALESCE(m.valid_from, m.recorded_at) FROM sleep_consolidated c JOIN memories m ON m.id = c.memory_id"
            f" WHERE c.namespace = ? AND c.semantic_id IN ({marks})",
            (namespace, *memory_ids),
        )
        out: dict[str, set[datetime]] = {}
        for semantic_id, when in rows:
            out.setdefault(semantic_id, set()).add(from_iso(when))
        return {k: sorted(v) for k, v in out.items()}

    def mark_consolidated(self, namespace: str, memory_ids: Sequence[str], semantic_id: str | None, at: datetime) -> None:
        with self.db.write():
            self.db.executemany(
                "INSERT OR IGNORE INTO sleep_consolidated(memory_id, namespace, semantic_id, at) VALUES (?, ?, ?, ?)",
                [(mid, namespace, semantic_id, to_iso(at)) for mid in memory_ids],
            )

    def sleep_state(self, namespace: str, job: str, key: str) -> str | None:
        row = self.db.one("SELECT value FROM sleep_state WHERE namespace = ? AND job = ? AND key = ?", (namespace, job, key))
        return row[0] if row else None

    def set_sleep_state(self, namespace: str, job: str, key: str, value: str) -> None:
        with self.db.write():
            self.db.execute(
                "INSERT INTO sleep_state(namespace, job, key, value) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(namespace, job, key) DO UPDATE SET value = excluded.value",
                (namespace, job, key, value),
            )

    def sleep_run_started(self, run_id: str, namespace: str | None, jobs: Sequence[str], trigger: str, holder: str, at: datetime) -> None:
        with self.db.write():
            self.db.execute(
                "INSERT INTO sleep_runs(id, namespace, jobs, trigger, holder, started_at, status) VALUES (?, ?, ?, ?, ?, ?, 'running')",
                (run_id, namespace, json.dumps(list(jobs)), trigger, holder, to_iso(at)),
            )

    def sleep_run_finished(self, run_id: str, status: str, summary: dict, at: datetime) -> None:
        with self.db.write():
            self.db.execute(
                "UPDATE sleep_runs SET status = ?, summary = ?, finished_at = ? WHERE id = ?",
                (status, json.dumps(summary, default=str), to_iso(at), run_id),
            )

    def sleep_runs_interrupted(self, holder: str, at: datetime) -> int:
        """Runs left 'running' by another holder (it died: we hold the lease now) become 'interrupted'."""
        with self.db.write():
            rows = self.db.execute("SELECT id FROM sleep_runs WHERE status = 'running' AND holder != ?", (holder,))
            self.db.execute(
                "UPDATE sleep_runs SET status = 'interrupted', finished_at = ? WHERE status = 'running' AND holder != ?",
                (to_iso(at), holder),
            )
        return len(rows)

    def sleep_runs(self, *, namespace: str | None = None, limit: int = 20) -> list[dict]:
        """Recent runs, newest first; with `namespace`, the runs over that namespace or over all of them."""
        where, params = "", []
        if namespace is not None:
            where, params = "WHERE namespace = ? OR namespace IS NULL", [namespace]
        rows = self.db.execute(
            f"SELECT id, namespace, jobs, trigger, holder, started_at, finished_at, status, summary FROM sleep_runs {where} "
            "ORDER BY started_at DESC, rowid DESC LIMIT ?",
            (*params, limit),
        )
        return [
            {"id": r[0], "namespace": r[1], "jobs": json.loads(r[2]), "trigger": r[3], "holder": r[4], "started_at": r[5],
             "finished_at": r[6], "status": r[7], "summary": json.loads(r[8])}
            for r in rows
        ]

    def decay_states(self, namespace: str) -> dict[str, tuple[float, datetime, int, float]]:
        """memory id -> (strength, computed_at, recall_count seen, decay_rate) from the last decay pass."""
        rows = self.db.execute(
            "SELECT memory_id, strength, computed_at, recall_count, decay_rate FROM memory_decay WHERE namespace = ?", (namespace,)
        )
        return {r[0]: (r[1], from_iso(r[2]), r[3], r[4]) for r in rows}

    def save_decay(self, namespace: str, rows: Sequence[tuple[str, float, datetime, int, float]]) -> None:
        """Persist (memory id, decayed strength, computed at, recall_count seen, decay rate) in one short transaction."""
        with self.db.write():
            self.db.executemany(
                "INSERT INTO memory_decay(memory_id, namespace, strength, computed_at, recall_count, decay_rate) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(memory_id) DO UPDATE SET strength = excluded.strength, "
                "computed_at = excluded.computed_at, recall_count = excluded.recall_count, decay_rate = excluded.decay_rate",
                [(mid, namespace, s, to_iso(at), n, r) for mid, s, at, n, r in rows],
            )

    def slow_decay(self, namespace: str, memory_id: str, reinforcements: int, factor: float = 0.8, floor: float = 0.001) -> float | None:
        """Spaced repetition: each reinforcement multiplies the decay rate by `factor` (never below `floor`).

        Returns the new rate (None if there is no such memory)."""
        with self.db.write():
            row = self.db.one("SELECT decay_rate FROM memories WHERE namespace = ? AND id = ?", (namespace, memory_id))
            if row is None:
                return None
            rate = max(floor, min(row[0], row[0] * factor ** max(0, reinforcements)))
            self.db.execute("UPDATE memories SET decay_rate = ? WHERE namespace = ? AND id = ?", (rate, namespace, memory_id))
        return rate

    def add_conflict(
        self, namespace: str, a_id: str, b_id: str, signal: str, reason: str, at: datetime, *, status: str = "open", resolution: str | None = None
    ) -> bool:
        """Record a conflict between two memories (the pair in id order), open or already resolved; False if already recorded."""
        a_id, b_id = sorted((a_id, b_id))
        with self.db.write():
            row = self.db.one("SELECT id, status FROM conflicts WHERE namespace = ? AND a_id = ? AND b_id = ?", (namespace, a_id, b_id))
            if row is not None:
                if status != "open" and row[1] == "open":
                    self.db.execute("UPDATE conflicts SET status = ?, resolution = ?, resolved_at = ? WHERE id = ?", (status, resolution, to_iso(at), row[0]))
                return False
            self.db.execute(
                "INSERT INTO conflicts(namespace, a_id, b_id, signal, reason, status, detected_at, resolved_at, resolution) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (namespace, a_id, b_id, signal, reason, status, to_iso(at), to_iso(at) if status != "open" else None, resolution),
            )
        return True

    def close_conflict(self, namespace: str, conflict_id: int, status: str, resolution: str, at: datetime) -> None:
        with self.db.write():
            self.db.execute(
                "UPDATE conflicts SET status = ?, resolution = ?, resolved_at = ? WHERE namespace = ? AND id = ?",
                (status, resolution, to_iso(at), namespace, conflict_id),
            )

    def conflicts(self, namespace: str, *, status: str | None = None, limit: int = 100, before_id: int | None = None) -> list[dict]:
        where, params = ["namespace = ?"], [namespace]
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        rows = self.db.execute(
            "SELECT id, a_id, b_id, signal, reason, status, detected_at, resolved_at, resolution FROM conflicts "
            f"WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        keys = ("id", "a_id", "b_id", "signal", "reason", "status", "detected_at", "resolved_at", "resolution")
        return [dict(zip(keys, r)) for r in rows]

    def conflicted(self, namespace: str, ids: Sequence[str]) -> set[str]:
        """Which of `ids` are in an open conflict (one query; recall flags them)."""
        if not ids:
            return set()
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT a_id, b_id FROM conflicts WHERE namespace = ? AND status = 'open' AND (a_id IN ({marks}) OR b_id IN ({marks}))",
            (namespace, *ids, *ids),
        )
        wanted = set(ids)
        return {m for pair in rows for m in pair if m in wanted}
