"""memory://{namespace}/sleep (the last sleep runs and each job's last run) and memory://{namespace}/conflicts."""

from __future__ import annotations

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError

from resources._common import app_of, page_args, scoped, to_json

STATUSES = ("open", "resolved", "closed")


def sleep_runs(namespace: str, ctx: Context, limit: str | None = None) -> str:
    """The last sleep runs over this namespace (or over all), newest first, and when each job last ran here."""
    ns = scoped(ctx, namespace)
    _, size = page_args(None, limit or "20")
    store = app_of(ctx).store
    from server.sleep.runner import default_registry

    jobs = {}
    for job in default_registry().jobs():
        key = ns if job.scope == "namespace" else "*"
        jobs[job.name] = {"scope": job.scope, "description": job.description, "last_run_at": store.sleep_state(key, job.name, "last_run_at")}
    settings = app_of(ctx).settings
    schedule = {"enabled": settings.sleep_enabled, "cron": settings.sleep_cron,
                "interval_minutes": None if settings.sleep_cron else settings.sleep_interval_minutes}
    return to_json({"namespace": ns, "schedule": schedule, "jobs": jobs, "runs": store.sleep_runs(namespace=ns, limit=size)})


def conflicts(namespace: str, ctx: Context, status: str | None = None, cursor: str | None = None, limit: str | None = None) -> str:
    """Conflicts between memories: open ones wait for a person (recall flags them); resolved and closed ones say why."""
    ns = scoped(ctx, namespace)
    if status is not None and status not in STATUSES:
        raise ResourceError(f"[invalid_input] status must be one of {', '.join(STATUSES)}.")
    before, size = page_args(cursor, limit)
    store = app_of(ctx).store
    rows = store.conflicts(ns, status=status, limit=size, before_id=before)
    ids = list(dict.fromkeys(mid for c in rows for mid in (c["a_id"], c["b_id"])))
    memories = store.get_by_ids(ns, ids)
    for c in rows:
        for side in ("a", "b"):
            m = memories.get(c[f"{side}_id"])
            c[side] = {"id": c[f"{side}_id"], "content": m.content, "status": m.status, "source": m.source,
                       "valid_from": m.valid_from, "recorded_at": m.recorded_at} if m else None
    next_cursor = str(rows[-1]["id"]) if len(rows) == size else None
    return to_json({"namespace": ns, "items": rows, "next_cursor": next_cursor})


def register(server, holder) -> None:
    server.resource("memory://{namespace}/sleep{?limit}", name="sleep", mime_type="application/json")(sleep_runs)
    server.resource("memory://{namespace}/conflicts{?status,cursor,limit}", name="conflicts", mime_type="application/json")(conflicts)
