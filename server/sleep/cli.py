"""`reverie sleep`: run the sleep jobs now (consolidation, decay, conflicts, refinement), with a progress bar."""

from __future__ import annotations

import argparse
import sys


def cmd_sleep(args: argparse.Namespace) -> int:
    from server.cli import _context, _print_json
    from server.sleep.runner import SleepRunner

    app = _context(args)
    runner = SleepRunner(app.service)
    if args.list:
        for job in runner.registry.jobs():
            print(f"{job.name:<14} {job.scope:<9} {job.description}")
        return 0
    bar = _Bar()
    try:
        summary = runner.run(args.namespace, args.job or None, dry_run=args.dry_run, trigger="cli", progress=bar.update,
                             log_fn=lambda m: bar.note(m) if args.verbose else None)
    finally:
        bar.close()
    if args.json:
        _print_json(summary.model_dump(mode="json") if args.dry_run else summary.brief(max_changes=50))
    else:
        for job in summary.jobs:
            counts = ", ".join(f"{k} {v}" for k, v in job.counts.items())
            print(f"{job.job:<14} {job.namespace:<20} {job.status:<8} {counts}{'  ' + job.error if job.error else ''}")
            if args.dry_run:
                for change in job.changes:
                    print(f"  would {change.action:<16} {change.memory_id or '-':<32} {change.reason}")
        print(f"{summary.status}: {summary.changes} change(s){' (dry run: nothing written)' if args.dry_run else ''}"
              f"{' — ' + summary.message if summary.message else ''}")
    return {"done": 0, "dry_run": 0, "busy": 3}.get(summary.status, 1)


class _Bar:
    """A rich progress bar on a terminal, one task per job step; silent otherwise."""

    def __init__(self):
        self.progress = None
        self.tasks: dict[str, int] = {}
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            self.progress = Progress(transient=True, console=Console(stderr=True))
            self.progress.start()

    def update(self, done: float, total: float | None, message: str) -> None:
        if self.progress is None:
            return
        if message not in self.tasks:
            self.tasks[message] = self.progress.add_task(message, total=total)
        self.progress.update(self.tasks[message], completed=done, total=total)

    def note(self, message: str) -> None:
        if self.progress is not None:
            self.progress.console.print(message)
        else:
            print(message, file=sys.stderr)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def add_commands(sub, add) -> None:
    p = add("sleep", cmd_sleep, "Run the sleep jobs now: consolidation, decay, conflicts and refinement (what the server schedules).")
    p.add_argument("--job", action="append", help="run only this job (repeatable; see --list)")
    p.add_argument("--dry-run", dest="dry_run", action="store_true", help="list the changes the jobs would make, write nothing")
    p.add_argument("--list", action="store_true", help="list the jobs and exit")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.add_argument("--verbose", "-v", action="store_true", help="print each step as it starts")
