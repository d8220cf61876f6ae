"""memory://stats and memory://namespaces: the store at a glance."""

from __future__ import annotations

from resources._common import to_json
from tools._common import request_principal


def register(server, holder) -> None:
    def stats() -> str:
        """Counts per namespace and status, the embedding model and the database."""
        app = holder.get()
        data = app.service.stats().model_dump()
        allowed = (request_principal() or app.principal).namespaces
        if allowed is not None:
            data["namespaces"] = {ns: c for ns, c in data["namespaces"].items() if ns in allowed}
            data["total_memories"] = sum(sum(c.values()) for c in data["namespaces"].values())
        return to_json(data)

    def namespaces() -> str:
        """Each namespace with the URIs of its resources."""
        app = holder.get()
        allowed = (request_principal() or app.principal).namespaces
        names = [ns for ns in app.store.namespaces() if allowed is None or ns in allowed]
        return to_json([{"namespace": ns, "memories": f"memory://{ns}/memories", "audit": f"memory://{ns}/audit"} for ns in names])

    server.resource("memory://stats", name="stats", mime_type="application/json")(stats)
    server.resource("memory://namespaces", name="namespaces", mime_type="application/json")(namespaces)
