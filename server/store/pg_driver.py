"""A PostgreSQL connection pool that speaks the same small dialect as the SQLite `Database`.

Why a seam rather than a second copy of every query: most of Reverie's SQL is
standard SQL (`INSERT ... ON CONFLICT ... DO UPDATE`, `substr`, `LIKE`, `IN`
lists), so the stores and the subsystems that keep their own tables (working
memory, policies, tokens, leases, the dashboard) run the same statements on both
backends. This class translates the only differences in that shared text: `?`
placeholders become `%s`, SQLite planner hints (`+namespace`) are dropped, and an
empty `IN ()` list (legal in SQLite) becomes `IN (NULL)`.
Statements that differ in substance (vectors, full-text search, upserts that
ignore) are written per backend in the stores.

Driver: psycopg 3 with psycopg_pool. Reads run on any pooled connection in
autocommit; `write()` binds one connection to the calling thread for the
transaction (nested calls join it), like the SQLite driver's `BEGIN IMMEDIATE`.

Writers are serialised per database by a transaction-scoped advisory lock. Why:
the store's read-modify-write steps (leases, conflicts, token revocation,
decay) were written against SQLite's one-writer-at-a-time rule, and several
replicas must keep that rule to keep the same behaviour. Readers never wait.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from server.errors import ConfigError, StoreBusy

log = logging.getLogger("reverie")
WRITE_LOCK = 0x52455645  # "REVE": the advisory lock key every write transaction takes
_HINT = re.compile(r"(?<=[\s(])\+(?=[a-z_])")
_EMPTY_IN = re.compile(r"(?<!NOT )\bIN \(\)")
_translated: dict[tuple[str, bool], str] = {}


def translate(sql: str, with_params: bool = True) -> str:
    """SQLite-dialect statement text -> psycopg's (`+col` hints dropped; with parameters, `?` -> `%s` and
    literal `%` escaped: psycopg reads placeholders only when parameters are passed)."""
    out = _translated.get((sql, with_params))
    if out is None:
        out = _EMPTY_IN.sub("IN (NULL)", _HINT.sub("", sql))  # SQLite accepts `x IN ()` (false); PostgreSQL does not
        if with_params:
            out = out.replace("%", "%%").replace("?", "%s")
        if len(_translated) < 4096:
            _translated[(sql, with_params)] = out
    return out


def redact_url(url: str) -> str:
    """The URL without its password (for messages and `info()`)."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


class PgDatabase:
    """A pool of connections to one PostgreSQL database, with `execute`/`one`/`write`/`read` like `Database`."""

    dialect = "postgresql"

    def __init__(self, url: str, *, max_size: int = 8, timeout_s: float = 30.0):
        try:
            import psycopg  # noqa: F401
            from psycopg_pool import ConnectionPool
        except ImportError as exc:
            raise ConfigError(
                "REVERIE_DATABASE_URL names PostgreSQL but its driver is not installed: "
                "`pip install 'reverie-memory[postgres]'` (psycopg 3 and psycopg_pool)."
            ) from exc
        self.url = url
        self.path = redact_url(url)
        self.driver = "psycopg"
        self.timeout_s = timeout_s
        self._local = threading.local()
        self.pool = ConnectionPool(url, min_size=1, max_size=max_size, kwargs={"autocommit": True},
                                   configure=self._configure, open=False, timeout=timeout_s, num_workers=1,
                                   name="reverie")
        try:
            self.pool.open(wait=True, timeout=timeout_s)
        except Exception as exc:
            self.pool.close()
            raise ConfigError(f"Cannot connect to {self.path}: {exc}. Check REVERIE_DATABASE_URL and that the server is up.") from exc

    @staticmethod
    def _configure(conn) -> None:
        # HNSW with a WHERE filter (namespace, active): keep scanning the graph until enough rows pass the
        # filter (pgvector >= 0.8); without it a selective namespace gets fewer than k neighbours.
        conn.execute("SET hnsw.ef_search = 100")
        try:
            conn.execute("SET hnsw.iterative_scan = relaxed_order")
        except Exception as exc:  # pgvector < 0.8: still works, but a small namespace may get fewer than k
            log.warning("pgvector has no iterative index scans (%s); upgrade to pgvector >= 0.8", exc)

    # -- connections --------------------------------------------------------------------
    @contextmanager
    def _conn(self) -> Iterator[Any]:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        with self.pool.connection() as conn:
            yield conn

    # -- statements -----------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple]:
        with self._conn() as conn:
            cursor = conn.execute(translate(sql, bool(params)), params or None)
            return cursor.fetchall() if cursor.description else []

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> tuple | None:
        rows = self.execute(sql, params)
        return rows[0] if rows else None

    def executemany(self, sql: str, seq: Sequence[Sequence[Any]]) -> None:
        seq = list(seq)
        if not seq:
            return
        with self._conn() as conn, conn.cursor() as cursor:
            cursor.executemany(translate(sql), seq)

    def executescript(self, sql: str) -> None:
        """Several statements (no parameters) inside the current transaction."""
        with self._conn() as conn:
            conn.execute(sql)

    # -- transactions ---------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[PgDatabase]:
        """A write transaction holding the database's write lock; nested calls join the outer one."""
        if getattr(self._local, "conn", None) is not None:
            yield self
            return
        with self.pool.connection(timeout=self.timeout_s) as conn:
            self._local.conn = conn
            try:
                with conn.transaction():
                    try:
                        conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{int(self.timeout_s * 1000)}ms",))
                        conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                    except Exception as exc:
                        if type(exc).__name__ == "LockNotAvailable":
                            raise StoreBusy(f"Another writer held {self.path} for {self.timeout_s:.0f}s. Try again.") from exc
                        raise
                    yield self
            finally:
                self._local.conn = None

    @contextmanager
    def read(self) -> Iterator[PgDatabase]:
        """A consistent snapshot for several reads (joins an open write)."""
        if getattr(self._local, "conn", None) is not None:
            yield self
            return
        with self.pool.connection(timeout=self.timeout_s) as conn:
            self._local.conn = conn
            try:
                conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                try:
                    yield self
                finally:
                    conn.execute("COMMIT")
            finally:
                self._local.conn = None

    def on_rollback(self, fn) -> None:
        """Nothing in process memory mirrors PostgreSQL's tables, so a rollback needs no hooks."""

    def in_transaction(self) -> bool:
        return getattr(self._local, "conn", None) is not None

    def close(self) -> None:
        self.pool.close()
