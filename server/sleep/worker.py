"""Run a sleep run in a child process, so the job's Python and numpy work never holds the server's GIL.

Why a process: a job in a server thread competes with tool calls for one GIL;
each of a tool call's many short releases (SQLite, numpy, ONNX) can then cost a
scheduler slice before it gets the GIL back, and a write transaction the job
holds is stretched while it waits too. A child process has its own interpreter,
runs at a lower CPU priority, and opens its own store connection; the server's
vector index picks up its commits the way it picks up another replica's
(`meta.vec_gen` and `memories_status_log`, see store/vector_index.py).

The child rebuilds the service from the server's settings (the composition root,
`build_context`) and the run's jobs from their import paths, takes the sleep
lease itself (one runner per database, as before), and streams progress, log
lines and the final summary back over a pipe. A stop request is passed on; a
parent that dies closes the pipe, and the child stops at its next step. Runs
that cannot be rebuilt in a child (an in-memory database, a controllable clock,
test doubles for the embedder or the memory-ops model, jobs that are closures)
run in the caller's process instead (`why_not`).
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from server.clock import SystemClock
from server.errors import ReverieError
from server.sleep.base import JobRegistry

NICENESS = 10  # on a busy machine tool calls come first (refinement fine-tunes with torch)
POLL_S = 0.25


def _path_of(fn: Callable) -> str | None:
    """'module:qualname' when `fn` can be imported back by that path (module-level functions), else None."""
    module, name = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if not module or "<" in name:
        return None
    try:
        found = _load(f"{module}:{name}")
    except (ImportError, AttributeError):
        return None
    return f"{module}:{name}" if found is fn else None


def _load(path: str) -> Callable:
    module, name = path.split(":", 1)
    found = importlib.import_module(module)
    for part in name.split("."):
        found = getattr(found, part)
    return found


def why_not(service, registry: JobRegistry) -> str | None:
    """Why this run cannot move to a child process (None: it can)."""
    from server.app import LazyOps
    from server.embed import resolve_model

    settings = service.settings
    if service.store.backend == "sqlite" and str(service.store.path) == ":memory:":
        return "in-memory database"
    if type(service.clock) is not SystemClock:
        return "controllable clock"
    if not isinstance(service.ops, LazyOps):
        return "memory-ops model not built from settings"
    try:
        if service.embedder.model_id != resolve_model(settings.embedding_model)[0]:
            return "embedder not built from settings"
    except Exception:
        return "embedder not built from settings"
    closures = [job.name for job in registry.jobs() if _path_of(job.fn) is None]
    return f"job(s) {', '.join(closures)} cannot be imported by path" if closures else None


def run_in_process(service, registry: JobRegistry, namespace: str | None, names: Sequence[str], *, dry_run: bool, trigger: str,
                   lease_ttl_s: float, stop: threading.Event, progress: Callable, log_fn: Callable):
    """Run the jobs in a child process and return its RunSummary (status "failed" if the child died)."""
    from server.sleep.runner import RunSummary

    settings = service.settings
    if service.store.backend == "sqlite":
        settings = settings.model_copy(update={"db": Path(service.store.path)})
    jobs = [(j.name, _path_of(j.fn), j.description, j.scope) for j in registry.jobs()]
    mp = multiprocessing.get_context("spawn")  # never fork a process with threads (anyio workers, ONNX, APScheduler)
    ours, theirs = mp.Pipe()
    child = mp.Process(target=_child, args=(theirs, settings, jobs, namespace, list(names), dry_run, trigger, lease_ttl_s),
                       name="reverie-sleep", daemon=True)
    started = service.clock.now()
    child.start()
    theirs.close()
    summary, asked_to_stop = None, False
    try:
        while summary is None:
            if stop.is_set() and not asked_to_stop:
                asked_to_stop = True
                try:
                    ours.send(("stop",))
                except OSError:  # the child is already gone; the loop notices below
                    pass
            if not ours.poll(POLL_S):
                if not child.is_alive() and not ours.poll():
                    break
                continue
            try:
                message = ours.recv()
            except EOFError:
                break
            kind = message[0]
            if kind == "progress":
                progress(*message[1:])
            elif kind == "log":
                log_fn(message[1])
            elif kind == "summary":
                summary = RunSummary.model_validate(message[1])
            elif kind == "error":
                raise message[1]
    finally:
        ours.close()
        child.join(timeout=30)
    if summary is None:
        return RunSummary(status="failed", trigger=trigger, dry_run=dry_run, started_at=started, finished_at=service.clock.now(),
                          message=f"the sleep worker process exited with code {child.exitcode} before finishing; "
                                  "the next run completes its work")
    _adopt_promoted_model(service, summary)
    return summary


def _adopt_promoted_model(service, summary) -> None:
    """The child promoted refined memory-ops weights: this process switches to them too (built from settings and
    the database, which now points at them, as at start-up)."""
    if any(c.action == "promote_model" for job in summary.jobs for c in job.changes):
        from server.app import LazyOps

        service.ops = LazyOps(service.settings, service.store).start()


def _child(conn, settings, jobs, namespace, names, dry_run, trigger, lease_ttl_s) -> None:
    os.dup2(2, 1)  # stdout may be the parent's MCP stdio channel: nothing printed here may reach it
    try:
        os.nice(NICENESS)
    except (OSError, AttributeError):  # not permitted, or not on this platform
        pass
    from server.app import build_context
    from server.sleep.runner import SleepRunner

    stop = threading.Event()
    send_lock = threading.Lock()

    def send(*message) -> None:
        with send_lock:
            try:
                conn.send(message)
            except (OSError, EOFError):
                stop.set()  # the parent is gone: stop at the next step

    def listen() -> None:
        try:
            while not stop.is_set():
                if conn.recv()[0] == "stop":
                    stop.set()
        except (OSError, EOFError):
            stop.set()

    threading.Thread(target=listen, name="reverie-sleep-parent", daemon=True).start()
    app = None
    try:
        registry = JobRegistry()
        for name, path, description, scope in jobs:
            registry.register(name, _load(path), description, scope=scope)
        app = build_context(settings, warm=False)
        runner = SleepRunner(app.service, registry=registry, lease_ttl_s=lease_ttl_s, stop=stop)
        summary = runner.run(namespace, names, dry_run=dry_run, trigger=trigger,
                             progress=lambda done, total, message: send("progress", done, total, message),
                             log_fn=lambda message: send("log", message))
        send("summary", summary.model_dump(mode="json"))
    except Exception as exc:  # re-raised in the parent: Reverie errors as themselves, anything else as a RuntimeError
        send("error", exc if isinstance(exc, ReverieError) else RuntimeError(f"{type(exc).__name__}: {exc}"))
    finally:
        if app is not None:
            app.store.close()
        conn.close()
