"""What every sleep job shares: the context it runs in, the changes it reports, and the job registry.

A job is a function `fn(ctx: JobContext) -> dict` (its counts). It plans each
change, then either records it (`ctx.dry_run`) or applies it in one short
transaction and records it; so a dry run lists exactly what a real run would do,
and a run killed half-way leaves only whole steps behind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

# Trust order of sources, used when a conflict may be resolved on recency.
TRUST = {"explicit": 3, "imported": 2, "inferred": 1, "consolidated": 0}


class Change(BaseModel):
    """One change a job made (or, in a dry run, would make)."""

    action: str = Field(description="e.g. consolidate, archive, slow_decay, conflict, resolve_conflict, close_conflict, promote_model")
    memory_id: str | None = None
    reason: str
    detail: dict[str, Any] = Field(default_factory=dict)


class JobStopped(Exception):
    """The run was asked to stop (server shutting down) or lost its lease; finished steps stay done."""


@dataclass
class JobContext:
    service: Any  # server.service.MemoryService (on the job's own connection, in a child process, when run in the background)
    namespace: str
    now: datetime
    dry_run: bool = False
    progress: Callable[[float, float | None, str], None] = lambda done, total, message: None
    log: Callable[[str], None] = lambda message: None
    stop: threading.Event = field(default_factory=threading.Event)
    lease: Any = None
    actor: str = "sleep"
    namespaces: list[str] = field(default_factory=list)  # every namespace of the run (global jobs)
    live_service: Any = None  # the server's own service, when the job runs on a connection of its own
    changes: list[Change] = field(default_factory=list)

    @property
    def store(self):
        return self.service.store

    @property
    def settings(self):
        return self.service.settings

    def record(self, action: str, memory_id: str | None, reason: str, **detail: Any) -> None:
        self.changes.append(Change(action=action, memory_id=memory_id, reason=reason, detail=detail))

    def check(self) -> None:
        """Call between steps: stops the job cleanly when asked to or when another process took the lease."""
        if self.stop.is_set():
            raise JobStopped("stop requested")
        if self.lease is not None and self.lease.lost:
            raise JobStopped("lost the sleep lease to another process")


JobFn = Callable[[JobContext], dict]


@dataclass(frozen=True)
class Job:
    name: str
    fn: JobFn
    description: str = ""
    scope: str = "namespace"  # "namespace": once per namespace; "global": once per run (ctx.namespaces lists them)


class JobRegistry:
    """The jobs a sleep run can run, in order. Extra steps (policy learning, model refinement) plug in with `register`."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}

    def register(self, name: str, fn: JobFn, description: str = "", *, scope: str = "namespace") -> None:
        """Add (or replace) a job; it runs after the ones registered before it.

        Raises:
            ValueError: the name is empty or has characters other than letters, digits, '_' and '-'.
        """
        if not name or not all(c.isalnum() or c in "_-" for c in name):
            raise ValueError(f"job name {name!r}: use letters, digits, '_' and '-'")
        if scope not in ("namespace", "global"):
            raise ValueError(f"scope must be 'namespace' or 'global'; got {scope!r}")
        self._jobs[name] = Job(name, fn, description or (fn.__doc__ or "").strip().split("\n")[0], scope)

    def names(self) -> list[str]:
        return list(self._jobs)

    def get(self, name: str) -> Job | None:
        return self._jobs.get(name)

    def jobs(self) -> list[Job]:
        return list(self._jobs.values())
