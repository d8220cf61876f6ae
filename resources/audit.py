"""memory://{namespace}/audit: every write, recall, correction and deletion, newest first."""

from __future__ import annotations

from mcp.server.mcpserver import Context

from resources._common import app_of, page_args, scoped, to_json


def audit(namespace: str, ctx: Context, cursor: str | None = None, limit: str | None = None) -> str:
    """The audit trail of a namespace; entries hold ids and hashes, never erased text."""
    ns = scoped(ctx, namespace)
    before, size = page_args(cursor, limit)
    entries = app_of(ctx).store.audit_entries(ns, limit=size, before_id=before)
    next_cursor = str(entries[-1].id) if len(entries) == size else None
    return to_json({"namespace": ns, "items": [e.model_dump(mode="json") for e in entries], "next_cursor": next_cursor})


def register(server, holder) -> None:
    server.resource("memory://{namespace}/audit{?cursor,limit}", name="audit", mime_type="application/json")(audit)
