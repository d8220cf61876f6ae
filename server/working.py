"""Working memory: the state of the task in hand, kept per session until the task ends or its TTL runs out.

A task state survives client restarts (it is in the database) but is not long-term
memory: when the task ends, what is worth keeping (decisions, constraints, the
outcome) is offered to the long-term write path — through the same gate, secret
detectors and dedupe as any `remember` — with provenance to the task.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from server.clock import from_iso, to_iso
from server.errors import InvalidInput, NotFound
from server.governance.secrets import find_secrets, redact
from server.models import RememberRequest, RememberResult
from server.service import MemoryService, check_namespace, check_text

LIST_FIELDS = ("done", "next", "decisions", "constraints", "notes")
SCALAR_FIELDS = ("goal", "phase")
MAX_ITEMS = 200


class TaskState(BaseModel):
    namespace: str
    session_id: str
    goal: str | None = None
    phase: str | None = None
    done: list[str] = Field(default_factory=list)
    next: list[str] = Field(default_factory=list)
    decisions: list[str] = Field(default_factory=list)
    constraints: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    status: str = "open"
    outcome: str | None = None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    version: int = 1


class EndTaskResult(BaseModel):
    task: TaskState
    kept: list[RememberResult] = Field(description="What the task offered to long-term memory, with each decision.")


def _row_to_state(row) -> TaskState:
    return TaskState(**json.loads(row[0]))


class WorkingMemory:
    def __init__(self, service: MemoryService, ttl_hours: float = 24.0):
        self.service = service
        self.store = service.store
        self.ttl = timedelta(hours=ttl_hours)

    def _clean(self, text: str, what: str) -> str:
        text = check_text(text, what, self.service.settings.max_content_bytes)
        findings = find_secrets(text)  # task state is stored too: the same rule holds
        return redact(text, findings) if findings else text

    def _load(self, namespace: str, session_id: str) -> TaskState | None:
        row = self.store.db.one("SELECT state, expires_at FROM task_states WHERE namespace = ? AND session_id = ?", (namespace, session_id))
        if row is None:
            return None
        if from_iso(row[1]) <= self.service.clock.now():
            return None  # expired: invisible now, swept by `expire`
        return _row_to_state(row)

    def get(self, namespace: str, session_id: str) -> TaskState:
        """Raises:
        NotFound: no open or recently ended task state for this session (or it expired).
        """
        check_namespace(namespace)
        state = self._load(namespace, check_text(session_id, "session_id", 200))
        if state is None:
            raise NotFound(f"No task state for session {session_id!r} in namespace {namespace!r} (never created, or expired).")
        return state

    def update(self, namespace: str, session_id: str, *, clear: list[str] | None = None, **changes) -> TaskState:
        """Merge changes: scalars replace, lists append, fields named in `clear` are emptied first.

        Raises:
            InvalidInput: unknown field in `clear`, bad text, or a task that has ended.
        """
        check_namespace(namespace)
        session_id = check_text(session_id, "session_id", 200)
        now = self.service.clock.now()
        for name in clear or []:
            if name not in LIST_FIELDS + SCALAR_FIELDS:
                raise InvalidInput(f"Cannot clear {name!r}: fields are {', '.join(SCALAR_FIELDS + LIST_FIELDS)}.")
        with self.store.transaction():
            state = self._load(namespace, session_id) or TaskState(
                namespace=namespace, session_id=session_id, created_at=now, updated_at=now, expires_at=now + self.ttl, version=0
            )
            if state.status != "open":
                raise InvalidInput(f"The task of session {session_id!r} has ended; start a new session id.")
            for name in clear or []:
                setattr(state, name, [] if name in LIST_FIELDS else None)
            for name in SCALAR_FIELDS:
                if changes.get(name) is not None:
                    setattr(state, name, self._clean(changes[name], name))
            for name in LIST_FIELDS:
                items = changes.get(name) or []
                if isinstance(items, str):
                    items = [items]
                merged = getattr(state, name) + [self._clean(i, name) for i in items]
                if len(merged) > MAX_ITEMS:
                    raise InvalidInput(f"{name} would hold {len(merged)} items; the limit is {MAX_ITEMS}. Clear it first.")
                setattr(state, name, merged)
            state.updated_at, state.expires_at, state.version = now, now + self.ttl, state.version + 1
            self._save(state)
            self.store.audit(namespace, "task_update", None, "working", now, session_id=session_id, version=state.version)
        return state

    def end(self, namespace: str, session_id: str, outcome: str | None = None, actor: str = "tool") -> EndTaskResult:
        """Close the task and offer its decisions, constraints and outcome to long-term memory.

        Raises:
            NotFound: no task state for the session.
        """
        state = self.get(namespace, session_id)
        if state.status != "open":
            raise InvalidInput(f"The task of session {session_id!r} has already ended.")
        now = self.service.clock.now()
        if outcome:
            state.outcome = self._clean(outcome, "outcome")
        offers: list[RememberRequest] = []
        ref = f"task:{session_id}"
        for text in state.decisions:
            offers.append(RememberRequest(namespace=namespace, content=text, source_ref=ref, tags=["from-task"]))
        for text in state.constraints:
            offers.append(RememberRequest(namespace=namespace, content=text, kind="constraint", source_ref=ref, tags=["from-task"]))
        if state.outcome:
            summary = f"Outcome of {state.goal}: {state.outcome}" if state.goal else state.outcome
            offers.append(RememberRequest(namespace=namespace, content=summary, kind="outcome", source_ref=ref, tags=["from-task"]))
        kept = self.service.remember_many(offers, actor=actor) if offers else []
        state.status, state.updated_at = "ended", now
        with self.store.transaction():
            self._save(state)
            self.store.audit(namespace, "task_end", None, actor, now, session_id=session_id, kept=[r.memory_ids for r in kept])
        return EndTaskResult(task=state, kept=kept)

    def list(self, namespace: str, limit: int = 100) -> list[TaskState]:
        check_namespace(namespace)
        rows = self.store.db.execute(
            "SELECT state, expires_at FROM task_states WHERE namespace = ? AND expires_at > ? ORDER BY updated_at DESC LIMIT ?",
            (namespace, to_iso(self.service.clock.now()), limit),
        )
        return [_row_to_state(r) for r in rows]

    def expire(self) -> int:
        """Drop expired task states (a sleep job; reads already hide them). Returns how many."""
        now = to_iso(self.service.clock.now())
        with self.store.transaction():
            rows = self.store.db.execute("SELECT namespace, session_id FROM task_states WHERE expires_at <= ?", (now,))
            self.store.db.execute("DELETE FROM task_states WHERE expires_at <= ?", (now,))
            for namespace, session_id in rows:
                self.store.audit(namespace, "task_expired", None, "sleep", self.service.clock.now(), session_id=session_id)
        return len(rows)

    def _save(self, state: TaskState) -> None:
        self.store.db.execute(
            "INSERT INTO task_states(namespace, session_id, state, updated_at, expires_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(namespace, session_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, "
            "expires_at = excluded.expires_at",
            (state.namespace, state.session_id, state.model_dump_json(), to_iso(state.updated_at), to_iso(state.expires_at)),
        )


def expire_tasks_job(ctx) -> dict:
    """Sleep job: drop task states whose TTL has run out (reads already hide them)."""
    working = WorkingMemory(ctx.service)
    if ctx.dry_run:
        rows = ctx.store.db.execute("SELECT namespace, session_id FROM task_states WHERE expires_at <= ?", (to_iso(ctx.now),))
        for namespace, session_id in rows:
            ctx.record("task_expired", None, f"task state of session {session_id!r} in {namespace!r} expired")
        return {"expired": 0, "would_expire": len(rows)}
    return {"expired": working.expire()}


def register_working_job() -> None:
    """Add task-state expiry to every sleep run (a no-op without the sleep package)."""
    try:
        from server.sleep import register_job
    except ImportError:
        return
    register_job("expire_tasks", expire_tasks_job, "Drop working-memory task states past their TTL.", scope="global")
