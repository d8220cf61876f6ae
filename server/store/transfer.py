"""`reverie migrate`: copy a SQLite store into an empty PostgreSQL database, table by table, and prove it.

Every row of every table moves with its keys (memory rowids included, so vectors,
recall logs and version links still point at the same rows), and the vectors move
bit for bit. The copy and its verification are one PostgreSQL transaction: before
it commits, each table's row count and a SHA-256 over its rows (an order-free
digest of per-row digests, so the two databases' collations cannot disagree) are
compared with the source's; any difference rolls the whole copy back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from server.errors import InvalidInput
from server.store.postgres import PostgresStore, parse_vector, vector_literal
from server.store.sqlite import SQLiteStore

# Parents before children (feedback -> recalls, memories_vec -> memories). `leases` are left behind: they belong to
# the processes running on the old database. `migrations` is the target's own (same numbers, checked).
TABLES = [
    "meta", "memories", "audit", "recalls", "feedback", "tokens", "sleep_runs", "sleep_state", "sleep_consolidated",
    "memory_decay", "conflicts", "task_states", "policy_versions", "policy_proposals", "policy_outcomes",
]
BATCH = 1000


class MigrationFailed(InvalidInput):
    """The copy did not verify; nothing was written."""


def _sqlite_columns(src: SQLiteStore, table: str) -> list[str]:
    return [r[1] for r in src.db.execute(f'PRAGMA table_info("{table}")')]


def _pg_columns(dst: PostgresStore, table: str) -> list[str]:
    rows = dst.db.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? "
        "AND is_generated = 'NEVER' ORDER BY ordinal_position",
        (table,),
    )
    return [r[0] for r in rows]


def _value(v) -> str:
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "b:" + bytes(v).hex()
    return repr(v)


class _Digest:
    def __init__(self):
        self.rows: list[bytes] = []

    def add(self, row) -> None:
        self.rows.append(hashlib.sha256("\x1f".join(map(_value, row)).encode()).digest())

    def hexdigest(self) -> str:
        return hashlib.sha256(b"".join(sorted(self.rows))).hexdigest()


def _columns(src: SQLiteStore, dst: PostgresStore, table: str) -> list[str]:
    theirs = _pg_columns(dst, table)
    mine = _sqlite_columns(src, table)
    if "rowid" in theirs and "rowid" not in mine:
        mine = ["rowid", *mine]  # SQLite's implicit rowid (sleep_runs orders by it)
    missing = [c for c in mine if c not in theirs]
    if missing:
        raise MigrationFailed(f"The PostgreSQL table {table} lacks columns {missing}; upgrade Reverie on both sides first.")
    return mine


def _digest(db, table: str, columns: list[str]) -> tuple[int, str]:
    digest = _Digest()
    for row in db.execute(f'SELECT {", ".join(columns)} FROM "{table}"'):
        digest.add(row)
    return len(digest.rows), digest.hexdigest()


def _vector_digest(rows) -> tuple[int, str]:
    digest = _Digest()
    for rowid, namespace, vector in rows:
        digest.add((rowid, namespace, np.asarray(vector, dtype=np.float32).tobytes()))
    return len(digest.rows), digest.hexdigest()


def migrate_sqlite_to_postgres(path: str | Path, url: str, progress: Callable[[str, int], None] = lambda t, n: None) -> dict:
    """Copy the SQLite store at `path` into the empty PostgreSQL database at `url`; returns per-table counts and hashes.

    Raises:
        InvalidInput: no such file, or the target already holds memories.
        MigrationFailed: a count or hash differed (the target is left as it was).
    """
    if not Path(path).is_file():
        raise InvalidInput(f"No SQLite database at {path}.")
    src, dst = SQLiteStore(path), PostgresStore(url)
    try:
        if src.schema_version != dst.schema_version:
            raise MigrationFailed(f"Schema versions differ (SQLite v{src.schema_version}, PostgreSQL v{dst.schema_version}).")
        if dst.db.one("SELECT COUNT(*) FROM memories")[0]:
            raise InvalidInput(f"{dst.path} already holds memories; migrate into an empty database.")
        report: dict = {"from": str(path), "to": dst.path, "tables": {}}
        with dst.db.write():
            for table in TABLES:
                columns = _columns(src, dst, table)
                dst.db.execute(f'DELETE FROM "{table}"')  # an empty store still has rows in meta
                # Every table here has SQLite's rowid (none is WITHOUT ROWID): page by it.
                select = ", ".join(columns) if "rowid" in columns else "rowid, " + ", ".join(columns)
                last = 0
                while True:
                    rows = src.db.execute(f'SELECT {select} FROM "{table}" WHERE rowid > ? ORDER BY rowid LIMIT ?', (last, BATCH))
                    if rows:
                        last = rows[-1][0]
                    if "rowid" not in columns:
                        rows = [r[1:] for r in rows]
                    if not rows:
                        break
                    marks = ", ".join("?" for _ in columns)
                    dst.db.executemany(f'INSERT INTO "{table}"({", ".join(columns)}) VALUES ({marks})', [tuple(r) for r in rows])
                    progress(table, len(rows))
                _reset_identity(dst, table)
                source = _digest(src.db, table, columns)
                target = _digest(dst.db, table, columns)
                if source != target:
                    raise MigrationFailed(f"{table}: SQLite has {source[0]} rows (sha256 {source[1][:12]}), "
                                          f"PostgreSQL got {target[0]} (sha256 {target[1][:12]}); nothing was written.")
                report["tables"][table] = {"rows": source[0], "sha256": source[1]}
            report["tables"]["memories_vec"] = _copy_vectors(src, dst, progress)
            report["tables"]["memory_passages"] = _copy_passages(src, dst, progress)
        report["verified"] = True
        return report
    finally:
        src.close()
        dst.close()


def _reset_identity(dst: PostgresStore, table: str) -> None:
    for (column,) in dst.db.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? "
        "AND is_identity = 'YES'", (table,)
    ):
        dst.db.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
            f'COALESCE((SELECT MAX("{column}") FROM "{table}"), 0) + 1, false)'
        )


def _copy_vectors(src: SQLiteStore, dst: PostgresStore, progress) -> dict:
    bound = src.embedding_binding()
    if bound is None:
        return {"rows": 0, "sha256": _Digest().hexdigest()}
    model, dim = bound
    dst.db.execute("DELETE FROM meta WHERE key IN ('embedding_model', 'embedding_dim')")
    dst._create_vector_table(dim)
    dst.db.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", [("embedding_model", model), ("embedding_dim", str(dim))])
    source_rows = []
    last = 0
    while True:
        rows = src.db.execute(
            "SELECT v.rowid, v.namespace, v.embedding, m.status = 'active' FROM memories_vec v JOIN memories m ON m.rowid = v.rowid "
            "WHERE v.rowid > ? ORDER BY v.rowid LIMIT ?", (last, BATCH))
        if not rows:
            break
        last = rows[-1][0]
        vectors = [(r[0], r[1], np.frombuffer(r[2], dtype=np.float32)) for r in rows]
        dst.db.executemany("INSERT INTO memories_vec(rowid, namespace, active, embedding) VALUES (?, ?, ?, ?::vector)",
                           [(rowid, ns, bool(r[3]), vector_literal(v)) for (rowid, ns, v), r in zip(vectors, rows)])
        source_rows.extend(vectors)
        progress("memories_vec", len(rows))
    return _verified("memories_vec", source_rows, ((r[0], r[1], parse_vector(r[2])) for r in dst.db.execute(
        "SELECT rowid, namespace, embedding::text FROM memories_vec")))


def _copy_passages(src: SQLiteStore, dst: PostgresStore, progress) -> dict:
    """Long memories' passage vectors (server/passages.py), with their memory's `active` flag; verified like memories_vec."""
    source_rows = []
    last = (0, -1)
    while True:
        rows = src.db.execute(
            "SELECT p.memory_rowid, p.seq, p.namespace, p.embedding, m.status = 'active' FROM memory_passages p "
            "JOIN memories m ON m.rowid = p.memory_rowid WHERE (p.memory_rowid, p.seq) > (?, ?) "
            "ORDER BY p.memory_rowid, p.seq LIMIT ?", (*last, BATCH))
        if not rows:
            break
        last = (rows[-1][0], rows[-1][1])
        dst.db.executemany(
            "INSERT INTO memory_passages(memory_rowid, seq, namespace, active, embedding) VALUES (?, ?, ?, ?, ?::vector)",
            [(r[0], r[1], r[2], bool(r[4]), vector_literal(np.frombuffer(r[3], dtype=np.float32))) for r in rows])
        source_rows.extend((f"{r[0]}.{r[1]}", r[2], np.frombuffer(r[3], dtype=np.float32)) for r in rows)
        progress("memory_passages", len(rows))
    return _verified("memory_passages", source_rows, ((f"{r[0]}.{r[1]}", r[2], parse_vector(r[3])) for r in dst.db.execute(
        "SELECT memory_rowid, seq, namespace, embedding::text FROM memory_passages")))


def _verified(table: str, source_rows, target_rows) -> dict:
    """Compare what was read from SQLite with what PostgreSQL holds now; raises MigrationFailed on any difference."""
    source, target = _vector_digest(source_rows), _vector_digest(target_rows)
    if source != target:
        raise MigrationFailed(f"{table}: SQLite has {source[0]} vectors, PostgreSQL got {target[0]} (hashes differ); nothing was written.")
    return {"rows": source[0], "sha256": source[1]}
