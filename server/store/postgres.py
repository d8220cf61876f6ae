"""The server store: PostgreSQL with pgvector for vectors and a tsvector column for keywords.

Selected by `REVERIE_DATABASE_URL=postgresql://...`; several `reverie serve --http`
replicas can share one database. The record model, the tables and most statements
are the SQLite store's: this class inherits its portable SQL (run through
`PgDatabase`'s dialect translation) and overrides what differs in substance:
inserts that return their rowid, vectors (an HNSW index instead of the
in-process exact copy), keyword search (tsvector instead of FTS5), LEAST for
MIN, ON CONFLICT DO NOTHING for INSERT OR IGNORE, and housekeeping.

Why HNSW here when SQLite searches exactly: replicas share the vectors, so an
in-process copy per replica would have to follow every other replica's writes;
pgvector's index lives with the data. `bench/pg_vectors.py` measures what it
costs in recall against exact search.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from server import passages as _passages
from server.clock import to_iso
from server.errors import InvalidInput
from server.models import Memory
from server.store.pg_driver import PgDatabase
from server.store.pg_migrations import TS_CONFIG, migrate, schema_version
from server.store.sqlite import COLUMNS, SQLiteStore, memory_to_params

_TERM = re.compile(r'"([^"]+)"')


def vector_literal(vector: np.ndarray) -> str:
    """pgvector's text form; float32 values print exactly and read back bit for bit."""
    return "[" + ",".join(map(str, np.asarray(vector, dtype=np.float32).tolist())) + "]"


def parse_vector(text: str) -> np.ndarray:
    return np.array(text[1:-1].split(","), dtype=np.float32)


def tsquery(match: str) -> str:
    """The FTS5 MATCH expression of `server.search.fts_query` (quoted terms OR-ed) as a tsquery text."""
    terms = [t for t in _TERM.findall(match) if "'" not in t and "\\" not in t]
    return " | ".join(f"'{t}'" for t in terms)


class PgVectorIndex:
    """The `VectorIndex` hooks the SQLite store calls, for vectors that live in PostgreSQL.

    `active` is kept on the vector row so a recall's "active only" filter runs inside the HNSW scan.
    """

    def __init__(self, db: PgDatabase):
        self.db = db
        self._exists = False

    def exists(self) -> bool:
        """Whether the vector table exists yet (checked, not tried: a failed statement would abort the transaction)."""
        if not self._exists:
            self._exists = self.db.one("SELECT to_regclass('memories_vec') IS NOT NULL")[0]
        return self._exists

    def added(self, namespace: str, rowid: int, vector: np.ndarray, active: bool, passages: np.ndarray | None = None) -> None:
        """The vector rows were written with the memory row: nothing to mirror."""

    def status_changed(self, namespace: str, rowid: int, active: bool) -> None:
        if self.exists():
            self.db.execute("UPDATE memories_vec SET active = ? WHERE rowid = ?", (active, rowid))
        self.db.execute("UPDATE memory_passages SET active = ? WHERE memory_rowid = ?", (active, rowid))

    def removed(self, namespace: str, rowid: int) -> None:
        """The vector row is deleted by the caller's statement."""

    def bump(self, purge: bool = False) -> None:
        """No process holds a copy to invalidate."""

    def reset(self) -> None:
        """No process holds a copy to drop."""

    def search(self, namespace: str, vector: np.ndarray, limit: int, active_only: bool, passages: bool = False) -> list[tuple[int, float]]:
        """As `VectorIndex.search`; with `passages`, the best `limit` passages (an exact scan of the namespace's,
        server/passages.py) are merged in by the same rule, each memory's own cosine read for the formula."""
        if limit <= 0 or not self.exists():
            return []
        literal = vector_literal(vector)
        where = "namespace = ? AND active" if active_only else "namespace = ?"
        rows = self.db.execute(
            f"SELECT rowid, 1 - (embedding <=> ?::vector) AS sim FROM memories_vec WHERE {where} "
            "ORDER BY embedding <=> ?::vector LIMIT ?",
            (literal, namespace, literal, limit),
        )
        own = {int(r): float(s) for r, s in rows}
        if passages:
            best: dict[int, float] = {}
            for r, s in self.db.execute(
                f"SELECT memory_rowid, 1 - (embedding <=> ?::vector) FROM memory_passages WHERE {where} "
                "ORDER BY embedding <=> ?::vector LIMIT ?",
                (literal, namespace, literal, limit),
            ):
                best[int(r)] = max(best.get(int(r), -1.0), float(s))
            missing = [r for r in best if r not in own]
            if missing:
                own.update((int(r), float(s)) for r, s in self.db.execute(
                    "SELECT rowid, 1 - (embedding <=> ?::vector) FROM memories_vec WHERE rowid = ANY(?)", (literal, missing)))
            for r, b in best.items():
                if r in own:
                    own[r] += _passages.WEIGHT * max(b - own[r], 0.0)
        # relaxed_order iterative scans may return near-ties slightly out of order.
        return sorted(own.items(), key=lambda rs: -rs[1])[:limit]


class PostgresStore(SQLiteStore):
    """Storage for memories, their vectors, the audit trail, recall logs and feedback, in PostgreSQL."""

    backend = "postgresql"

    def __init__(self, url: str, *, pool_size: int = 8, timeout_s: float = 30.0):
        self.db = PgDatabase(url, max_size=pool_size, timeout_s=timeout_s)
        self.path = self.db.path
        self.url = url
        self.schema_version = migrate(self.db)
        self.vectors = PgVectorIndex(self.db)
        self._bind_lock = threading.Lock()

    # -- the embedding model and the vector table -------------------------------------------
    def _create_vector_table(self, dim: int) -> None:
        self.db.execute(
            f"CREATE TABLE memories_vec(rowid BIGINT PRIMARY KEY REFERENCES memories(rowid), namespace TEXT NOT NULL, "
            f"active BOOLEAN NOT NULL, embedding vector({int(dim)}) NOT NULL)"
        )
        self.db.execute("CREATE INDEX memories_vec_hnsw ON memories_vec USING hnsw (embedding vector_cosine_ops)")
        self.db.execute("CREATE INDEX memories_vec_ns ON memories_vec(namespace)")
        self.vectors._exists = False  # a rebind dropped the table this flag may have seen

    def _put_vector(self, rowid: int, namespace: str, vector: np.ndarray, active: bool | None = None) -> None:
        """The `active` flag lives on the vector row here (the HNSW scan filters on it): read from the memory when not given."""
        if active is None:
            self.db.execute(
                "INSERT INTO memories_vec(rowid, namespace, active, embedding) "
                "SELECT ?, ?, status = 'active', ?::vector FROM memories WHERE rowid = ?",
                (rowid, namespace, vector_literal(vector), rowid),
            )
        else:
            self.db.execute(
                "INSERT INTO memories_vec(rowid, namespace, active, embedding) VALUES (?, ?, ?, ?::vector)",
                (rowid, namespace, active, vector_literal(vector)),
            )

    def _put_passages(self, rowid: int, namespace: str, vectors: np.ndarray) -> None:
        """Passage vectors with the memory's `active` flag, as on memories_vec."""
        self.db.executemany(
            "INSERT INTO memory_passages(memory_rowid, seq, namespace, active, embedding) "
            "SELECT ?, ?, ?, status = 'active', ?::vector FROM memories WHERE rowid = ?",
            [(rowid, seq, namespace, vector_literal(v), rowid) for seq, v in enumerate(vectors)],
        )

    # -- memories ------------------------------------------------------------------------------
    def insert(self, memory: Memory, vector: np.ndarray | None, passages: np.ndarray | None = None) -> int:
        with self.db.write():
            placeholders = ", ".join("?" for _ in COLUMNS)
            # ON CONFLICT rather than catching the violation: a failed statement would abort the caller's transaction.
            row = self.db.one(
                f"INSERT INTO memories({', '.join(COLUMNS)}) VALUES ({placeholders}) ON CONFLICT (id) DO NOTHING RETURNING rowid",
                memory_to_params(memory),
            )
            if row is None:
                raise InvalidInput(f"A memory with id {memory.id!r} already exists.")
            rowid = row[0]
            if vector is not None:
                self._put_vector(rowid, memory.namespace, vector, memory.status == "active")
                if passages is not None and len(passages):
                    self._put_passages(rowid, memory.namespace, passages)
        return rowid

    def reinforce(self, namespace: str, ids: Sequence[str], at: datetime, boost: float) -> None:
        if not ids:
            return
        with self.db.write():
            self.db.execute(
                "UPDATE memories SET recall_count = recall_count + 1, last_recalled_at = ?, "
                "strength = LEAST(1.0, strength + ?) WHERE namespace = ? AND id = ANY(?)",
                (to_iso(at), boost, namespace, list(ids)),
            )

    def compact(self) -> None:
        """Make deleted text unrecoverable: VACUUM rewrites the pages that held dead row versions."""
        with self.db.pool.connection() as conn:
            conn.execute("VACUUM memories")
            conn.execute("VACUUM recalls")

    # -- search ------------------------------------------------------------------------------------
    def keyword_search(self, namespace: str, match: str, limit: int) -> list[tuple[int, float]]:
        """Full-text candidates as (rowid, score), higher = better: ts_rank over the stored tsvector (GIN index),
        length-normalised (flag 1) as BM25 is."""
        query = tsquery(match)
        if not query:
            return []
        rows = self.db.execute(
            f"SELECT rowid, ts_rank(content_tsv, q, 1) AS score FROM memories, to_tsquery('{TS_CONFIG}', ?) q "
            "WHERE namespace = ? AND content_tsv @@ q ORDER BY score DESC, rowid LIMIT ?",
            (query, namespace, limit),
        )
        return [(int(r), float(s)) for r, s in rows]

    # -- sleep ---------------------------------------------------------------------------------------
    def vectors_by_rowid(self, namespace: str, rowids: Sequence[int], batch: int = 500, dim: int | None = None) -> dict[int, np.ndarray]:
        if not rowids or not self.vectors.exists():
            return {}
        out: dict[int, np.ndarray] = {}
        for i in range(0, len(rowids), batch):
            rows = self.db.execute(
                "SELECT rowid, embedding::text FROM memories_vec WHERE namespace = ? AND rowid = ANY(?)",
                (namespace, [int(r) for r in rowids[i : i + batch]]),
            )
            for rowid, text in rows:
                out[rowid] = parse_vector(text)
        return out

    def mark_consolidated(self, namespace: str, memory_ids: Sequence[str], semantic_id: str | None, at: datetime) -> None:
        with self.db.write():
            self.db.executemany(
                "INSERT INTO sleep_consolidated(memory_id, namespace, semantic_id, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(mid, namespace, semantic_id, to_iso(at)) for mid in memory_ids],
            )

    # -- housekeeping, introspection ----------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        return {"database": self.path, "driver": self.driver, "schema_version": schema_version(self.db)}

    def health(self) -> str:
        version = self.db.one("SHOW server_version")[0]
        vector = self.db.one("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        return f"PostgreSQL {version}, pgvector {vector[0] if vector else 'missing'}"

    def tables(self, prefix: str = "") -> list[str]:
        rows = self.db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE ? ORDER BY 1",
            (prefix + "%",),
        )
        return [r[0] for r in rows]
