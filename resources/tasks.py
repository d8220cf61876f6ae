"""memory://{namespace}/tasks and memory://{namespace}/tasks/{session_id}: working memory."""

from __future__ import annotations

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from resources._common import app_of, scoped, to_json
from server.errors import NotFound


def tasks(namespace: str, ctx: Context) -> str:
    """Live task states of a namespace, most recently updated first."""
    ns = scoped(ctx, namespace)
    return to_json({"namespace": ns, "items": [t.model_dump(mode="json") for t in app_of(ctx).working.list(ns)]})


def task(namespace: str, session_id: str, ctx: Context) -> str:
    """One session's task state."""
    ns = scoped(ctx, namespace)
    try:
        return to_json(app_of(ctx).working.get(ns, session_id).model_dump(mode="json"))
    except NotFound as exc:
        raise ResourceNotFoundError(str(exc)) from exc


def register(server, holder) -> None:
    server.resource("memory://{namespace}/tasks", name="tasks", mime_type="application/json")(tasks)
    server.resource("memory://{namespace}/tasks/{session_id}", name="task", mime_type="application/json")(task)
