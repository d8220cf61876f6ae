"""Persistence of policies: version rows (append-only), proposals and outcomes, in the memory database.

Uses the store's connection and its write transactions (the tables come from
migration m005_policies), so a policy change and its audit entry commit together.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from server.clock import from_iso, to_iso
from server.policy.models import Policy


class PolicyStore:
    def __init__(self, store):
        self.store = store
        self.db = store.db

    def transaction(self):
        return self.store.transaction()

    # -- versions ---------------------------------------------------------------------------
    def add_version(self, policy: Policy, vector: np.ndarray | None) -> None:
        """Insert one version row (inside the caller's transaction or a new one); never updates a row."""
        with self.store.transaction():
            self.db.execute(
                "INSERT INTO policy_versions(policy_id, version, namespace, data, vector, status, reason, actor, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    policy.id, policy.version, policy.namespace, policy.model_dump_json(),
                    None if vector is None else np.asarray(vector, dtype=np.float32).tobytes(),
                    policy.status, policy.reason, policy.actor, to_iso(policy.created_at),
                ),
            )

    def current(self, namespace: str, statuses: tuple[str, ...] | None = None) -> list[tuple[Policy, np.ndarray | None]]:
        """The latest version of every policy in the namespace (optionally only some statuses), oldest policy first."""
        rows = self.db.execute(
            "SELECT v.data, v.vector FROM policy_versions v JOIN ("
            "  SELECT policy_id, MAX(version) AS version FROM policy_versions WHERE namespace = ? GROUP BY policy_id"
            ") last ON last.policy_id = v.policy_id AND last.version = v.version ORDER BY v.rowid",
            (namespace,),
        )
        out = []
        for data, blob in rows:
            policy = Policy.model_validate_json(data)
            if statuses is None or policy.status in statuses:
                out.append((policy, None if blob is None else np.frombuffer(blob, dtype=np.float32).copy()))
        # ORDER BY rowid of the latest version; present them in creation order of the policy instead
        out.sort(key=lambda pv: pv[0].id)
        return out

    def get(self, namespace: str, policy_id: str) -> tuple[Policy, np.ndarray | None] | None:
        row = self.db.one(
            "SELECT data, vector FROM policy_versions WHERE namespace = ? AND policy_id = ? ORDER BY version DESC LIMIT 1",
            (namespace, policy_id),
        )
        if row is None:
            return None
        return Policy.model_validate_json(row[0]), None if row[1] is None else np.frombuffer(row[1], dtype=np.float32).copy()

    def exists_anywhere(self, policy_id: str) -> bool:
        return self.db.one("SELECT 1 FROM policy_versions WHERE policy_id = ? LIMIT 1", (policy_id,)) is not None

    def versions(self, namespace: str, policy_id: str) -> list[Policy]:
        rows = self.db.execute(
            "SELECT data FROM policy_versions WHERE namespace = ? AND policy_id = ? ORDER BY version", (namespace, policy_id)
        )
        return [Policy.model_validate_json(r[0]) for r in rows]

    # -- proposals and outcomes ---------------------------------------------------------------
    def add_proposal(self, proposal_id: str, namespace: str, policy_id: str, version: int, situation: str, score: float, at: datetime) -> None:
        with self.store.transaction():
            self.db.execute(
                "INSERT INTO policy_proposals(id, namespace, policy_id, policy_version, situation, score, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (proposal_id, namespace, policy_id, version, situation, score, to_iso(at)),
            )

    def proposal(self, namespace: str, proposal_id: str) -> dict | None:
        row = self.db.one(
            "SELECT id, policy_id, policy_version, situation, score, at FROM policy_proposals WHERE namespace = ? AND id = ?",
            (namespace, proposal_id),
        )
        if row is None:
            return None
        return {"id": row[0], "policy_id": row[1], "policy_version": row[2], "situation": row[3], "score": row[4], "at": from_iso(row[5])}

    def proposals_of(self, namespace: str, policy_id: str, limit: int = 50) -> list[dict]:
        rows = self.db.execute(
            "SELECT id, policy_version, situation, score, at FROM policy_proposals WHERE namespace = ? AND policy_id = ? "
            "ORDER BY at DESC LIMIT ?",
            (namespace, policy_id, limit),
        )
        return [{"id": r[0], "policy_version": r[1], "situation": r[2], "score": r[3], "at": r[4]} for r in rows]

    def add_outcome(self, namespace: str, policy_id: str, proposal_id: str | None, outcome: str, note: str | None, memory_id: str | None, at: datetime) -> None:
        with self.store.transaction():
            self.db.execute(
                "INSERT INTO policy_outcomes(namespace, policy_id, proposal_id, outcome, note, memory_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (namespace, policy_id, proposal_id, outcome, note, memory_id, to_iso(at)),
            )

    def has_outcome(self, namespace: str, proposal_id: str) -> bool:
        return self.db.one("SELECT 1 FROM policy_outcomes WHERE namespace = ? AND proposal_id = ?", (namespace, proposal_id)) is not None

    def outcomes_of(self, namespace: str, policy_id: str, limit: int = 100) -> list[dict]:
        rows = self.db.execute(
            "SELECT proposal_id, outcome, note, memory_id, at FROM policy_outcomes WHERE namespace = ? AND policy_id = ? "
            "ORDER BY id DESC LIMIT ?",
            (namespace, policy_id, limit),
        )
        return [{"proposal_id": r[0], "outcome": r[1], "note": r[2], "memory_id": r[3], "at": r[4]} for r in rows]

    def namespaces(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT namespace FROM policy_versions ORDER BY namespace")]

