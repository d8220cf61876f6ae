"""Numbered schema migrations, recorded in the database they changed.

Each migration is a named function (`m001_...`); `migrate()` applies those not
yet in `migrations`, each inside its own write transaction. The vector table is
not here: its dimension comes from the embedding model, so the store creates it
when the model is first known (see `SQLiteStore.bind_embedding`).
"""

from __future__ import annotations

from collections.abc import Callable

from server.clock import SystemClock, to_iso
from server.store.driver import Database


def m001_core(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE memories(
            rowid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            namespace TEXT NOT NULL,
            content TEXT NOT NULL,
            kind TEXT NOT NULL,
            tier TEXT NOT NULL,
            status TEXT NOT NULL,
            confidence REAL NOT NULL,
            strength REAL NOT NULL,
            decay_rate REAL NOT NULL,
            recall_count INTEGER NOT NULL DEFAULT 0,
            last_recalled_at TEXT,
            recorded_at TEXT NOT NULL,
            valid_from TEXT,
            valid_until TEXT,
            ended_at TEXT,
            supersedes TEXT,
            superseded_by TEXT,
            source TEXT NOT NULL,
            provenance TEXT NOT NULL DEFAULT '[]',
            tags TEXT NOT NULL DEFAULT '[]',
            session_id TEXT,
            content_hash TEXT NOT NULL,
            embedding_model TEXT NOT NULL,
            purged INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX memories_ns_status ON memories(namespace, status, recorded_at);
        CREATE INDEX memories_ns_hash ON memories(namespace, content_hash);
        CREATE INDEX memories_supersedes ON memories(supersedes);

        -- External-content FTS5: the text lives once, in memories; the index holds terms.
        CREATE VIRTUAL TABLE memories_fts USING fts5(
            content, content='memories', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2'
        );
        -- secure-delete makes a hard delete remove the terms from the index pages too.
        INSERT INTO memories_fts(memories_fts, rank) VALUES('secure-delete', 1);
        CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
            INSERT INTO memories_fts(rowid, content) VALUES (new.rowid, new.content);
        END;
        CREATE TRIGGER memories_fts_update AFTER UPDATE OF content ON memories BEGIN
            INSERT INTO memories_fts(memories_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
            INSERT INTO memories_fts(rowid, content) VALUES (new.rowid, new.content);
        END;
        CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
            INSERT INTO memories_fts(memories_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
        END;

        CREATE TABLE audit(
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            namespace TEXT NOT NULL,
            action TEXT NOT NULL,
            memory_id TEXT,
            actor TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX audit_ns ON audit(namespace, id);
        CREATE INDEX audit_memory ON audit(memory_id);

        CREATE TABLE recalls(
            id TEXT PRIMARY KEY,
            at TEXT NOT NULL,
            namespace TEXT NOT NULL,
            query TEXT NOT NULL,
            query_hash TEXT NOT NULL,
            params TEXT NOT NULL,
            candidates TEXT NOT NULL,
            returned TEXT NOT NULL
        );
        CREATE INDEX recalls_ns ON recalls(namespace, at);

        CREATE TABLE feedback(
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            namespace TEXT NOT NULL,
            recall_id TEXT NOT NULL REFERENCES recalls(id),
            memory_id TEXT NOT NULL,
            signal TEXT NOT NULL
        );
        CREATE INDEX feedback_memory ON feedback(memory_id);
        """
    )


def m002_tokens_and_leases(db: Database) -> None:
    """HTTP bearer tokens (hashes only: the hashing secret lives in the OS keyring or a 0600 file, never here)
    and leases that keep background work to one process per database (server/lease.py)."""
    db.executescript(
        """
        CREATE TABLE tokens(
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            namespaces TEXT NOT NULL,
            read_only INTEGER NOT NULL DEFAULT 0,
            hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE TABLE leases(
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            acquired_at REAL NOT NULL,
            expires_at REAL NOT NULL
        );
        """
    )


def m003_sleep(db: Database) -> None:
    """Sleep (server/sleep/): runs and per-job state (last run, watermarks), which episodes were consolidated
    into which semantic memory (the idempotency key of consolidation), the decayed strength with the time it
    was computed, and conflicts between active memories."""
    db.executescript(
        """
        CREATE TABLE sleep_runs(
            id TEXT PRIMARY KEY,
            namespace TEXT,
            jobs TEXT NOT NULL,
            trigger TEXT NOT NULL,
            holder TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX sleep_runs_started ON sleep_runs(started_at);
        CREATE TABLE sleep_state(
            namespace TEXT NOT NULL,
            job TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY(namespace, job, key)
        );
        CREATE TABLE sleep_consolidated(
            memory_id TEXT PRIMARY KEY,
            namespace TEXT NOT NULL,
            semantic_id TEXT,
            at TEXT NOT NULL
        );
        CREATE INDEX sleep_consolidated_semantic ON sleep_consolidated(semantic_id);
        CREATE TABLE memory_decay(
            memory_id TEXT PRIMARY KEY,
            namespace TEXT NOT NULL,
            strength REAL NOT NULL,
            computed_at TEXT NOT NULL,
            recall_count INTEGER NOT NULL,
            decay_rate REAL NOT NULL
        );
        CREATE TABLE conflicts(
            id INTEGER PRIMARY KEY,
            namespace TEXT NOT NULL,
            a_id TEXT NOT NULL,
            b_id TEXT NOT NULL,
            signal TEXT NOT NULL,
            reason TEXT NOT NULL,
            status TEXT NOT NULL,
            detected_at TEXT NOT NULL,
            resolved_at TEXT,
            resolution TEXT,
            UNIQUE(namespace, a_id, b_id)
        );
        CREATE INDEX conflicts_open_a ON conflicts(namespace, status, a_id);
        CREATE INDEX conflicts_open_b ON conflicts(namespace, status, b_id);
        """
    )


def m004_working_memory(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE task_states(
            namespace TEXT NOT NULL,
            session_id TEXT NOT NULL,
            state TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            PRIMARY KEY (namespace, session_id)
        );
        CREATE INDEX task_states_expiry ON task_states(expires_at);
        """
    )


def m005_policies(db: Database) -> None:
    """Policy memory (server/policy/): every version of every policy (rows are only ever added), the proposals
    made from them (so an outcome can name one) and the outcomes recorded against them."""
    db.executescript(
        """
        CREATE TABLE policy_versions(
            rowid INTEGER PRIMARY KEY,
            policy_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            namespace TEXT NOT NULL,
            data TEXT NOT NULL,
            vector BLOB,
            status TEXT NOT NULL,
            reason TEXT NOT NULL,
            actor TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE(policy_id, version)
        );
        CREATE INDEX policy_versions_ns ON policy_versions(namespace, policy_id, version);
        CREATE TABLE policy_proposals(
            id TEXT PRIMARY KEY,
            namespace TEXT NOT NULL,
            policy_id TEXT NOT NULL,
            policy_version INTEGER NOT NULL,
            situation TEXT NOT NULL,
            score REAL NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX policy_proposals_policy ON policy_proposals(namespace, policy_id, at);
        CREATE TABLE policy_outcomes(
            id INTEGER PRIMARY KEY,
            namespace TEXT NOT NULL,
            policy_id TEXT NOT NULL,
            proposal_id TEXT,
            outcome TEXT NOT NULL,
            note TEXT,
            memory_id TEXT,
            at TEXT NOT NULL
        );
        CREATE INDEX policy_outcomes_policy ON policy_outcomes(namespace, policy_id, id);
        """
    )


STATUS_LOG_KEEP = 65536


def m006_status_log(db: Database) -> None:
    """Which memories changed status, in commit order, so another process's vector index refreshes only those
    (vector_index.py) instead of re-reading every status after each foreign write. The trigger keeps the last
    STATUS_LOG_KEEP entries; an index that fell further behind refreshes in full."""
    db.executescript(
        f"""
        CREATE TABLE memories_status_log(seq INTEGER PRIMARY KEY AUTOINCREMENT, memory_rowid INTEGER NOT NULL);
        CREATE TRIGGER memories_status_logged AFTER UPDATE OF status ON memories WHEN old.status IS NOT new.status BEGIN
            INSERT INTO memories_status_log(memory_rowid) VALUES (new.rowid);
            DELETE FROM memories_status_log WHERE seq <= (SELECT MAX(seq) FROM memories_status_log) - {STATUS_LOG_KEEP};
        END;
        """
    )


def m007_passages(db: Database) -> None:
    """Vectors of a long memory's passages (server/passages.py), written with the memory and loaded with its
    vector by each process's index (vector_index.py). A plain table, not vec0: searches run in process."""
    db.executescript(
        """
        CREATE TABLE memory_passages(
            memory_rowid INTEGER NOT NULL, seq INTEGER NOT NULL, namespace TEXT NOT NULL, embedding BLOB NOT NULL,
            PRIMARY KEY(memory_rowid, seq)
        ) WITHOUT ROWID;
        CREATE INDEX memory_passages_ns ON memory_passages(namespace, memory_rowid);
        """
    )


MIGRATIONS: list[Callable[[Database], None]] = [
    m001_core, m002_tokens_and_leases, m003_sleep, m004_working_memory, m005_policies, m006_status_log, m007_passages,
]


def schema_version(db: Database) -> int:
    if not db.one("SELECT name FROM sqlite_master WHERE name = 'migrations'"):
        return 0
    row = db.one("SELECT MAX(id) FROM migrations")
    return row[0] or 0


def migrate(db: Database) -> int:
    """Apply pending migrations; returns the schema version. Safe to race: each step re-checks under the lock."""
    with db.write():
        db.execute(
            "CREATE TABLE IF NOT EXISTS migrations(id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
    for number, step in enumerate(MIGRATIONS, start=1):
        with db.write():
            if db.one("SELECT 1 FROM migrations WHERE id = ?", (number,)):
                continue
            step(db)
            db.execute(
                "INSERT INTO migrations(id, name, applied_at) VALUES (?, ?, ?)",
                (number, step.__name__, to_iso(SystemClock().now())),
            )
    return schema_version(db)
