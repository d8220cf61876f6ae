"""Pick a SQLite driver that can load sqlite-vec, and hide the differences between them.

Many Python builds ship a `sqlite3` that cannot load extensions (this project's
CI machine, macOS system Python, some pyenv builds). Order of preference:
the standard library when it can, then `pysqlite3` (wheels on Linux x86-64),
then `apsw` (wheels everywhere). All three bundle or link SQLite with FTS5.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlite_vec

from server.errors import SqliteExtensionUnavailable, StoreBusy

FIX = (
    "Install a SQLite driver that can load extensions into Reverie's environment: "
    "`pip install apsw` (any platform) or `pip install pysqlite3-binary` (Linux x86-64)."
)


def _stdlib_can_load() -> bool:
    import sqlite3

    return hasattr(sqlite3.Connection, "enable_load_extension")


def available_drivers() -> list[str]:
    """Drivers that are installed and able to load extensions, best first."""
    found = []
    if _stdlib_can_load():
        found.append("sqlite3")
    try:
        import pysqlite3.dbapi2  # noqa: F401

        found.append("pysqlite3")
    except ImportError:
        pass
    try:
        import apsw  # noqa: F401

        found.append("apsw")
    except ImportError:
        pass
    return found


def choose_driver(preference: str = "auto") -> str:
    """Raises:
    SqliteExtensionUnavailable: no usable driver, or the preferred one is unusable.
    """
    found = available_drivers()
    if preference == "auto":
        if not found:
            raise SqliteExtensionUnavailable("This Python's sqlite3 cannot load extensions. " + FIX)
        return found[0]
    if preference not in found:
        raise SqliteExtensionUnavailable(f"SQLite driver {preference!r} is not usable here. " + FIX)
    return preference


FAST_POLL_S = 0.5  # how long a writer polls for the write lock every millisecond before backing off


def _is_busy(exc: BaseException) -> bool:
    name = type(exc).__name__
    return name in ("BusyError", "LockedError") or "database is locked" in str(exc) or "database is busy" in str(exc)


class Database:
    """One connection, serialised by a lock (tools run in worker threads).

    `write()` is a short `BEGIN IMMEDIATE` transaction: it takes the write lock up
    front, so no statement inside it can fail with SQLITE_BUSY half-way; taking
    the lock is retried with backoff and jitter beyond SQLite's own busy timeout.
    """

    dialect = "sqlite"

    def __init__(self, path: str, driver: str = "auto", busy_timeout_ms: int = 5000, retry_seconds: float = 30.0):
        self.driver = choose_driver(driver)
        self.path = path
        self.retry_seconds = retry_seconds
        self._lock = threading.RLock()
        self._depth = 0
        self._owner: int | None = None  # thread of the open transaction
        self._writes = 0  # write transactions begun: names the open one (see write_serial)
        self._writing = False
        self._rollback_hooks: list = []
        if self.driver == "apsw":
            import apsw

            self._apsw = apsw
            self._conn = apsw.Connection(path)
            self._conn.enable_load_extension(True)
            self._conn.load_extension(sqlite_vec.loadable_path())
            self._conn.enable_load_extension(False)
        else:
            if self.driver == "pysqlite3":
                from pysqlite3 import dbapi2 as sqlite
            else:
                import sqlite3 as sqlite
            self._conn = sqlite.connect(path, isolation_level=None, check_same_thread=False)
            self._conn.enable_load_extension(True)
            sqlite_vec.load(self._conn)
            self._conn.enable_load_extension(False)
        self.busy_timeout_ms = int(busy_timeout_ms)
        self.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
        self.execute("PRAGMA foreign_keys = ON")
        self.execute("PRAGMA secure_delete = ON")
        if path != ":memory:":
            self._retrying(lambda: self.execute("PRAGMA journal_mode = WAL"))
        self.execute("PRAGMA synchronous = NORMAL")

    # -- statements -----------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple]:
        with self._lock:
            cursor = self._conn.execute(sql, params)
            rows = cursor.fetchall() if self.driver != "apsw" else list(cursor)
            return rows

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> tuple | None:
        rows = self.execute(sql, params)
        return rows[0] if rows else None

    def executemany(self, sql: str, seq: Sequence[Sequence[Any]]) -> None:
        with self._lock:
            self._conn.executemany(sql, seq)

    def executescript(self, sql: str) -> None:
        """Run several statements inside the current transaction.

        (The DB-API `executescript` would COMMIT first, breaking migrations' atomicity.)
        """
        with self._lock:
            if self.driver == "apsw":
                self._conn.execute(sql)
                return
            import sqlite3

            statement = ""
            for line in sql.splitlines(keepends=True):
                statement += line
                if sqlite3.complete_statement(statement):
                    self._conn.execute(statement)
                    statement = ""
            if statement.strip():
                self._conn.execute(statement)

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one INSERT and return its rowid (the cursor's, not a second `SELECT last_insert_rowid()`)."""
        with self._lock:
            cursor = self._conn.execute(sql, params)
            return self._conn.last_insert_rowid() if self.driver == "apsw" else cursor.lastrowid

    def last_rowid(self) -> int:
        with self._lock:
            if self.driver == "apsw":
                return self._conn.last_insert_rowid()
            return self._conn.execute("SELECT last_insert_rowid()").fetchone()[0]

    # -- transactions ---------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Database]:
        """A write transaction; nested calls join the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._begin_immediate()
            self._depth, self._owner = 1, threading.get_ident()
            self._writes += 1
            self._writing = True
            try:
                yield self
            except BaseException:
                self._depth, self._writing = 0, False
                self.execute("ROLLBACK")
                self._rolled_back()
                raise
            self._depth, self._writing = 0, False
            try:
                self._retrying(lambda: self.execute("COMMIT"))
            except BaseException:
                try:  # a failed COMMIT may already have rolled back
                    self.execute("ROLLBACK")
                except Exception:
                    pass
                self._rolled_back()
                raise
            self._rollback_hooks.clear()

    def _begin_immediate(self) -> None:
        """Take the write lock, polling every millisecond for the first FAST_POLL_S, then as `_retrying` does.

        Why not SQLite's busy handler alone: it sleeps 1, 2, 5, 10, 15, 20, 25 ms... between tries, so a tool
        call behind another process's 10 ms transaction (a sleep job commits every few ms) starts ~8 ms after the
        lock is free, and one behind a 40 ms one ~13 ms after.
        """
        self.execute("PRAGMA busy_timeout = 0")
        try:
            deadline = time.monotonic() + FAST_POLL_S
            while True:
                try:
                    self.execute("BEGIN IMMEDIATE")
                    return
                except Exception as exc:  # driver-specific busy errors
                    if not _is_busy(exc):
                        raise
                    if time.monotonic() > deadline:
                        break
                time.sleep(0.001)
        finally:
            self.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
        self._retrying(lambda: self.execute("BEGIN IMMEDIATE"))

    def in_transaction(self) -> bool:
        """Whether the calling thread has a transaction open on this connection."""
        return self._depth > 0 and self._owner == threading.get_ident()

    def write_serial(self) -> int | None:
        """A number naming the write transaction the calling thread has open (None outside one).

        While it is open no other connection can write, so what it read from the file stays true until it ends.
        """
        return self._writes if self._writing and self.in_transaction() else None

    def on_rollback(self, fn) -> None:
        """Call `fn` if the open write transaction rolls back (for in-memory copies of what it changed)."""
        with self._lock:
            if self._depth:
                self._rollback_hooks.append(fn)

    def _rolled_back(self) -> None:
        hooks, self._rollback_hooks = self._rollback_hooks, []
        for fn in hooks:
            fn()

    @contextmanager
    def read(self) -> Iterator[Database]:
        """A consistent snapshot for several reads (joins an open write)."""
        with self._lock:
            if self._depth:
                yield self
                return
            self._retrying(lambda: self.execute("BEGIN DEFERRED"))
            self._depth, self._owner = 1, threading.get_ident()
            try:
                yield self
            finally:
                self._depth = 0
                self.execute("COMMIT")

    def _retrying(self, fn):
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.005
        while True:
            try:
                return fn()
            except Exception as exc:  # driver-specific busy errors
                if not _is_busy(exc):
                    raise
                if time.monotonic() > deadline:
                    raise StoreBusy(
                        f"The database {self.path} stayed locked for {self.retry_seconds:.0f}s; "
                        "another process holds a long write. Try again."
                    ) from exc
                time.sleep(delay + random.uniform(0, delay))
                delay = min(delay * 2, 0.25)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
