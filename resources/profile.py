"""memory://{namespace}/profile and the `memory-context` prompt: the core profile a client loads first."""

from __future__ import annotations

from mcp.server.mcpserver import Context

from resources._common import app_of, scoped, to_json
from server.profile import build_profile, memory_context


def profile(namespace: str, ctx: Context) -> str:
    """The namespace's core profile: the most important active memories within the token budget, each line with
    the ids of the memories behind it."""
    app = app_of(ctx)
    ns = scoped(ctx, namespace)
    return to_json(build_profile(app.service, ns, app.settings.profile_budget_tokens).model_dump(mode="json"))


def register(server, holder) -> None:
    server.resource("memory://{namespace}/profile", name="profile", mime_type="application/json")(profile)

    @server.prompt(name="memory-context", title="Memory context", description=(
        "What Reverie remembers about the user, to put at the start of a conversation; pass the user's first "
        "message to add the memories most relevant to it (within the same token budget)."))
    def memory_context_prompt(ctx: Context, namespace: str | None = None, message: str | None = None) -> str:
        from resources._common import scoped as _scoped

        app = app_of(ctx)
        ns = _scoped(ctx, namespace or app.settings.namespace)
        return memory_context(app.service, ns, message, app.settings.profile_budget_tokens)
