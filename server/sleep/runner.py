"""Run sleep jobs on demand: one process at a time per database (the lease), every run recorded, dry runs too.

A run takes the "sleep" lease (server/lease.py), renewed in the background; a
process that cannot take it gets a "busy" summary instead of waiting. It marks
runs left "running" by a dead holder as interrupted, then runs each selected job
over each namespace (global jobs once), records every change in the audit log
(the jobs do, with reasons) and each job's last-run time, and stores a summary
of the run. A dry run takes no lease and writes nothing at all.

In the server (`isolated=True`) the run goes to a child process (worker.py), so
tool calls share neither the GIL nor a connection with it, only SQLite's short
write transactions; a run that cannot be rebuilt there (tests with a
controllable clock or test doubles) runs here, on a connection of its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from server.clock import from_iso, to_iso
from server.errors import InvalidInput
from server.lease import Lease
from server.service import MemoryService, check_namespace, new_id
from server.sleep.base import Change, JobContext, JobRegistry, JobStopped
from server.sleep.conflicts import conflicts
from server.sleep.consolidate import consolidate
from server.sleep.decay import decay

log = logging.getLogger("reverie.sleep")
LEASE_NAME = "sleep"
GLOBAL = "*"
_EXTRA: list[tuple[str, Callable, str, str]] = []


def register_job(name: str, fn: Callable[[JobContext], dict], description: str = "", *, scope: str = "namespace") -> None:
    """Plug an extra step (policy learning, model refinement, ...) into every sleep run from now on.

    Raises:
        ValueError: a bad name or scope.
    """
    JobRegistry().register(name, fn, description, scope=scope)  # validates
    _EXTRA[:] = [e for e in _EXTRA if e[0] != name] + [(name, fn, description, scope)]


def default_registry() -> JobRegistry:
    """decay -> conflicts -> consolidate (weak memories archived first; contradicting episodes are not merged),
    then model refinement when the memops package can fine-tune, then registered extras."""
    from server.sleep import refine

    registry = JobRegistry()
    registry.register("decay", decay)
    registry.register("conflicts", conflicts)
    registry.register("consolidate", consolidate)
    if refine.available():
        registry.register(refine.JOB, refine.refine_model, scope="global")
    for name, fn, description, scope in _EXTRA:
        registry.register(name, fn, description, scope=scope)
    return registry


class JobSummary(BaseModel):
    job: str
    namespace: str
    status: Literal["done", "failed", "stopped"]
    counts: dict = Field(default_factory=dict)
    changes: list[Change] = Field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    changes_omitted: int = Field(default=0, description="Changes left out of this summary to keep it short (all are in the audit log).")


class RunSummary(BaseModel):
    run_id: str | None = Field(default=None, description="None for dry runs and runs that did not start.")
    status: Literal["done", "failed", "stopped", "busy", "dry_run"]
    trigger: str
    dry_run: bool = False
    namespaces: list[str] = Field(default_factory=list)
    jobs: list[JobSummary] = Field(default_factory=list)
    started_at: datetime
    finished_at: datetime | None = None
    changes: int = 0
    message: str = ""

    def capped(self, max_changes: int) -> RunSummary:
        """The same summary with at most `max_changes` changes per job (the tool returns this)."""
        jobs = [j.model_copy(update={"changes": j.changes[:max_changes], "changes_omitted": j.changes_omitted + max(0, len(j.changes) - max_changes)})
                for j in self.jobs]
        return self.model_copy(update={"jobs": jobs})

    def brief(self, max_changes: int = 0) -> dict:
        """A compact JSON form (stored with the run): counts, and at most `max_changes` changes per job."""
        return self.capped(max_changes).model_dump(mode="json")


class SleepRunner:
    def __init__(self, service: MemoryService, *, registry: JobRegistry | None = None, isolated: bool = False,
                 lease_ttl_s: float | None = None, stop: threading.Event | None = None):
        self.service = service
        self.registry = registry or default_registry()
        self.isolated = isolated
        self.lease_ttl_s = lease_ttl_s or service.settings.sleep_lease_ttl_s
        self.stop = stop or threading.Event()

    def run(self, namespace: str | None = None, jobs: Sequence[str] | None = None, *, dry_run: bool = False, trigger: str = "manual",
            progress: Callable[[float, float | None, str], None] | None = None, log_fn: Callable[[str], None] | None = None) -> RunSummary:
        """Run `jobs` (default: all) over `namespace` (default: every namespace).

        Raises:
            InvalidInput: an unknown job name or a bad namespace.
        """
        names = list(jobs) if jobs else self.registry.names()
        unknown = [n for n in names if self.registry.get(n) is None]
        if unknown:
            raise InvalidInput(f"Unknown sleep job {', '.join(map(repr, unknown))}; jobs are {', '.join(self.registry.names())}.")
        if namespace is not None:
            check_namespace(namespace)
        progress, log_fn = progress or (lambda *a: None), log_fn or (lambda m: None)
        if self.isolated:
            from server.sleep import worker

            why = worker.why_not(self.service, self.registry)
            if why is None:
                return worker.run_in_process(self.service, self.registry, namespace, names, dry_run=dry_run, trigger=trigger,
                                             lease_ttl_s=self.lease_ttl_s, stop=self.stop, progress=progress, log_fn=log_fn)
            log.debug("sleep run stays in this process: %s", why)
        service = self._job_service()
        try:
            return self._run(service, namespace, names, dry_run, trigger, progress, log_fn)
        finally:
            if service is not self.service:
                service.store.close()

    def _job_service(self) -> MemoryService:
        parent = self.service
        if not self.isolated or parent.store.path == ":memory:":
            return parent
        from server.store import open_store

        update = {"db": Path(parent.store.path)} if parent.store.backend == "sqlite" else {}
        store = open_store(parent.settings.model_copy(update=update))
        return MemoryService(store, parent.embedder, parent.ops, parent.settings, parent.clock)

    def _run(self, service, namespace, names, dry_run, trigger, progress, log_fn) -> RunSummary:
        store = service.store
        started = service.clock.now()
        summary = RunSummary(status="dry_run" if dry_run else "done", trigger=trigger, dry_run=dry_run, started_at=started)
        lease = None
        if not dry_run:
            lease = Lease(store, LEASE_NAME, self.lease_ttl_s, auto_renew=True)
            if not lease.acquire():
                holder = lease.holder_now()
                summary.status, summary.finished_at = "busy", service.clock.now()
                summary.message = f"another process ({holder[0] if holder else '?'}) is running sleep jobs on this database"
                return summary
        try:
            if lease is not None:
                stale = store.sleep_runs_interrupted(lease.holder, started)
                if stale:
                    log_fn(f"{stale} earlier run(s) were interrupted; this run completes their work")
                summary.run_id = new_id("slp")
                store.sleep_run_started(summary.run_id, namespace, names, trigger, lease.holder, started)
            namespaces = [namespace] if namespace else store.namespaces()
            summary.namespaces = namespaces
            try:
                for name in names:
                    job = self.registry.get(name)
                    for ns in (namespaces if job.scope == "namespace" else [GLOBAL]):
                        if self.stop.is_set():
                            raise JobStopped("stop requested")
                        result = self._one(service, job, ns, namespaces, dry_run, lease, progress, log_fn)
                        summary.jobs.append(result)
                        if result.status == "stopped":
                            raise JobStopped(result.error or "stopped")
            except JobStopped as exc:
                summary.status, summary.message = "stopped", str(exc)
            if summary.status != "stopped" and any(j.status == "failed" for j in summary.jobs):
                summary.status = "failed"
            summary.changes = sum(len(j.changes) for j in summary.jobs)
            summary.finished_at = service.clock.now()
            if lease is not None:
                if summary.status == "done" and namespace is None and set(names) == set(self.registry.names()):
                    store.set_sleep_state(GLOBAL, "run", "last_run_at", to_iso(started))
                store.sleep_run_finished(summary.run_id, summary.status, summary.brief(), summary.finished_at)
            return summary
        finally:
            if lease is not None:
                lease.release()

    def _one(self, service, job, ns, namespaces, dry_run, lease, progress, log_fn) -> JobSummary:
        now = service.clock.now()
        ctx = JobContext(service=service, namespace=ns, now=now, dry_run=dry_run, progress=progress, log=log_fn, stop=self.stop,
                         lease=lease, namespaces=namespaces, live_service=self.service)
        t0 = time.perf_counter()
        status, error, counts = "done", None, {}
        log_fn(f"{job.name} {ns}{' (dry run)' if dry_run else ''}")
        try:
            counts = job.fn(ctx) or {}
        except JobStopped as exc:
            status, error = "stopped", str(exc)
        except Exception as exc:  # one failing job must not stop the others; the run is marked failed
            log.exception("sleep job %s failed on %s", job.name, ns)
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        if status == "done" and not dry_run:
            service.store.set_sleep_state(ns, job.name, "last_run_at", to_iso(now))
        return JobSummary(job=job.name, namespace=ns, status=status, counts=counts, changes=ctx.changes,
                          seconds=round(time.perf_counter() - t0, 3), error=error)


def last_run_at(store) -> datetime | None:
    """When the last complete scheduled-style run (all jobs, all namespaces) started."""
    value = store.sleep_state(GLOBAL, "run", "last_run_at")
    return from_iso(value) if value else None
