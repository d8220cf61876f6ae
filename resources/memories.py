"""memory://{namespace}/memories (recent first, paginated) and memory://{namespace}/memories/{id}."""

from __future__ import annotations

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from resources._common import app_of, page_args, scoped, to_json


def memories(namespace: str, ctx: Context, cursor: str | None = None, limit: str | None = None) -> str:
    """Memories of a namespace, newest first; pass `cursor` from the previous page's `next_cursor`."""
    ns = scoped(ctx, namespace)
    before, size = page_args(cursor, limit)
    rows = app_of(ctx).store.list_memories(ns, limit=size, before_rowid=before)
    items = [m.model_dump(mode="json") for _, m in rows]
    next_cursor = str(rows[-1][0]) if len(rows) == size else None
    return to_json({"namespace": ns, "items": items, "next_cursor": next_cursor})


def memory(namespace: str, id: str, ctx: Context) -> str:
    """One memory with its versions, provenance, audit trail and recall history."""
    ns = scoped(ctx, namespace)
    store = app_of(ctx).store
    current = store.get(ns, id)
    if current is None:
        raise ResourceNotFoundError(f"[not_found] No memory {id!r} in namespace {ns!r}.")
    versions = store.versions(ns, id)
    sources = [p for p in current.provenance if not p.startswith("ref:")]
    return to_json(
        {
            "memory": current.model_dump(mode="json"),
            "versions": [v.model_dump(mode="json") for v in versions],
            "provenance": {
                "memories": [m.model_dump(mode="json") for m in store.get_many(ns, sources)],
                "external": [p[4:] for p in current.provenance if p.startswith("ref:")],
            },
            "audit": [e.model_dump(mode="json") for e in store.audit_entries(ns, memory_ids=[v.id for v in versions])],
            "recalls": store.recalls_of(ns, id),
        }
    )


def register(server, holder) -> None:
    server.resource("memory://{namespace}/memories{?cursor,limit}", name="memories", mime_type="application/json")(memories)
    server.resource("memory://{namespace}/memories/{id}", name="memory", mime_type="application/json")(memory)
