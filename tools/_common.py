"""What every tool shares: the app context, namespace scoping, and error conversion."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from server.app import AppContext
from server.errors import PermissionDenied, ReverieError

T = TypeVar("T")

Namespace = Annotated[
    str | None,
    Field(default=None, description="Namespace (a user or project). Defaults to the server's configured namespace."),
]


def app_of(ctx: Context) -> AppContext:
    return ctx.request_context.lifespan_context


def scope(ctx: Context, namespace: str | None, *, write: bool) -> str:
    """The namespace this call may touch.

    Raises:
        PermissionDenied: the caller's token does not cover the namespace, or is read-only and this is a write.
    """
    app = app_of(ctx)
    principal = principal_of(ctx, app)
    allowed = principal.namespaces
    if namespace is None:
        namespace = allowed[0] if allowed else app.settings.namespace
    if allowed is not None and namespace not in allowed:
        raise PermissionDenied(f"This token may not access namespace {namespace!r}.")
    if write and principal.read_only:
        raise PermissionDenied("This token is read-only; it cannot write or forget.")
    return namespace


def principal_of(ctx: Context, app: AppContext):
    """The HTTP layer puts the authenticated principal on the request (server/http/auth.py); stdio callers are the local user."""
    request = getattr(ctx.request_context, "request", None)
    scope_ = getattr(request, "scope", None) or {}
    principal = scope_.get("reverie.principal") if isinstance(scope_, dict) else None
    return principal or request_principal() or app.principal


def request_principal():
    """The HTTP caller's principal for code without a request context (static resources); None otherwise."""
    from server.http.auth import current_principal

    return current_principal.get()


def actor_of(ctx: Context) -> str:
    """Who the audit trail names for this call."""
    return f"mcp:{principal_of(ctx, app_of(ctx)).name}"


async def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking service code off the event loop; Reverie errors become MCP tool errors with their code."""
    try:
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))
    except ReverieError as exc:
        raise ToolError(str(exc)) from exc


def guarded(fn):
    """Turn ReverieErrors raised before `run` (validation, scoping) into tool errors too."""

    @functools.wraps(fn)
    async def wrapper(*args, **kwargs):
        try:
            return await fn(*args, **kwargs)
        except ReverieError as exc:
            raise ToolError(str(exc)) from exc

    return wrapper


async def notify_changed(ctx: Context, namespace: str) -> None:
    """Tell subscribed clients the namespace's memory listing changed (best effort)."""
    try:
        await ctx.notify_resource_updated(f"memory://{namespace}/memories")
    except Exception:  # a client without subscriptions must not fail the write
        pass
