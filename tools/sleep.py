"""sleep: run the background jobs now (consolidation, decay, conflicts, refinement) and return the run summary."""

from __future__ import annotations

import warnings
from typing import Annotated

import anyio.from_thread
from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations
from pydantic import Field

from server.sleep.runner import RunSummary, SleepRunner
from tools._common import Namespace, app_of, guarded, notify_changed, run, scope

MAX_CHANGES = 100


@guarded
async def sleep(
    ctx: Context,
    job: Annotated[str | None, Field(description="Run only this job: decay, conflicts, consolidate (or refine_model when available); all when omitted.")] = None,
    dry_run: Annotated[bool, Field(description="List the changes the jobs would make without making them.")] = False,
    namespace: Namespace = None,
) -> RunSummary:
    """Consolidate related episodes into semantic memories, apply decay, find contradictions and refine the model,
    now rather than at the next scheduled run. Returns the run summary (counts and changes per job, at most 100 each);
    status 'busy' means another process is running them on this database."""
    ns = scope(ctx, namespace, write=not dry_run)
    app = app_of(ctx)

    def progress(done: float, total: float | None, message: str) -> None:
        _from_loop(ctx.report_progress, done, total, message)

    def say(message: str) -> None:
        with warnings.catch_warnings():  # MCP logging is deprecated in the SDK but still what clients show
            warnings.simplefilter("ignore")
            _from_loop(ctx.info, message)

    runner = SleepRunner(app.service, isolated=True)
    summary: RunSummary = await run(runner.run, ns, [job] if job else None, dry_run=dry_run, trigger="tool", progress=progress, log_fn=say)
    if summary.changes and not dry_run:
        await notify_changed(ctx, ns)
    return summary.capped(MAX_CHANGES)


def _from_loop(fn, *args) -> None:
    try:
        anyio.from_thread.run(fn, *args)
    except Exception:  # a client that went away must not fail the run
        pass


def register(server) -> None:
    server.add_tool(sleep, title="Sleep (consolidate, decay, reconcile)",
                    annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True))
