"""Sleep: background jobs that consolidate, decay, reconcile and refine memory while nobody is asking.

    run_sleep(service, "me")                      # every job over one namespace, now
    run_sleep(service, "me", jobs=["decay"], dry_run=True).jobs[0].changes

Jobs (runner.default_registry): decay -> conflicts -> consolidate -> refine_model
(when the memops package can fine-tune) -> extras added with `register_job`.
The scheduler (scheduler.py) runs them inside `reverie serve`; `reverie sleep`,
the `sleep` tool and `run_sleep` run them on demand.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.sleep.base import Change, JobContext, JobRegistry, JobStopped
from server.sleep.runner import JobSummary, RunSummary, SleepRunner, default_registry, register_job


def run_sleep(service, namespace: str | None, jobs: Sequence[str] | None = None, dry_run: bool = False) -> RunSummary:
    """Run sleep jobs now, in this thread, over `namespace` (None: every namespace); returns the run summary.

    Raises:
        InvalidInput: an unknown job name or a bad namespace.
    """
    return SleepRunner(service).run(namespace, jobs, dry_run=dry_run, trigger="api")


__all__ = [
    "Change", "JobContext", "JobRegistry", "JobStopped", "JobSummary", "RunSummary", "SleepRunner", "default_registry",
    "register_job", "run_sleep",
]
