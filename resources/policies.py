"""memory://{namespace}/policies and memory://{namespace}/policies/{id}: policy memory, inspectable."""

from __future__ import annotations

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from resources._common import app_of, scoped, to_json


def policies(namespace: str, ctx: Context) -> str:
    """Every policy of a namespace (its current version): status, enforcement, trigger, action, confidence."""
    ns = scoped(ctx, namespace)
    items = [p.summary() for p, _ in app_of(ctx).policies.store.current(ns)]
    return to_json({"namespace": ns, "items": items})


def policy(namespace: str, id: str, ctx: Context) -> str:
    """One policy with every version (and why it changed), its outcomes, proposals, evidence and audit trail."""
    ns = scoped(ctx, namespace)
    app = app_of(ctx)
    store = app.policies.store
    versions = store.versions(ns, id)
    if not versions:
        raise ResourceNotFoundError(f"[not_found] No policy {id!r} in namespace {ns!r}.")
    current = versions[-1]
    evidence = app.store.get_many(ns, current.evidence.memories)
    return to_json(
        {
            "policy": {**current.model_dump(mode="json"), "confidence": round(current.confidence, 4),
                       "posterior": {"alpha": current.alpha, "beta": current.beta}},
            "versions": [
                {"version": v.version, "status": v.status, "reason": v.reason, "actor": v.actor,
                 "created_at": v.created_at.isoformat(), "confidence": round(v.confidence, 4)}
                for v in versions
            ],
            "outcomes": store.outcomes_of(ns, id),
            "proposals": store.proposals_of(ns, id),
            "evidence": [m.model_dump(mode="json") for m in evidence],
            "audit": [e.model_dump(mode="json") for e in app.store.audit_entries(ns, memory_ids=[id])],
        }
    )


def register(server, holder) -> None:
    server.resource("memory://{namespace}/policies", name="policies", mime_type="application/json")(policies)
    server.resource("memory://{namespace}/policies/{id}", name="policy", mime_type="application/json")(policy)
