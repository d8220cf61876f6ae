"""remember: store a statement through the write policy (gate, secrets, dedupe, supersede)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations
from pydantic import Field

from server.models import Kind, RememberRequest, RememberResult
from tools._common import Namespace, actor_of, app_of, guarded, notify_changed, run, scope


@guarded
async def remember(
    content: Annotated[str, Field(description="One self-contained statement to remember, e.g. 'Prefers dark mode in every editor'.")],
    ctx: Context,
    kind: Annotated[Kind | None, Field(description="fact | preference | event | outcome | constraint | goal; inferred when omitted.")] = None,
    tags: Annotated[list[str] | None, Field(description="Labels to filter recall by.")] = None,
    confidence: Annotated[float | None, Field(ge=0.0, le=1.0, description="How sure the statement is (0-1).")] = None,
    valid_from: Annotated[datetime | None, Field(description="When it became true (ISO 8601); defaults to now.")] = None,
    valid_until: Annotated[datetime | None, Field(description="When it stops being true (ISO 8601).")] = None,
    session_id: Annotated[str | None, Field(max_length=200, description="Conversation or task id; transient statements with one go to working memory.")] = None,
    source_ref: Annotated[str | None, Field(max_length=512, description="External reference kept as provenance, e.g. a message id.")] = None,
    context: Annotated[str | None, Field(description="The message this statement answers or continues (e.g. the question a terse 'yes, last Tuesday' replies to); helps recall find it, is not stored as its content.")] = None,
    dry_run: Annotated[bool, Field(description="Return the decision without writing anything.")] = False,
    namespace: Namespace = None,
) -> RememberResult:
    """Remember a statement. Returns the decision (add | noop | update | supersede | skip | block | redact),
    the memory ids affected and a one-line reason. Secrets are never stored."""
    ns = scope(ctx, namespace, write=not dry_run)
    req = RememberRequest(
        namespace=ns, content=content, kind=kind, tags=tags or [], confidence=confidence, valid_from=valid_from,
        valid_until=valid_until, session_id=session_id, source_ref=source_ref, context=context, dry_run=dry_run,
    )
    result = await run(app_of(ctx).service.remember, req, actor=actor_of(ctx))
    if result.memory_ids and not dry_run:
        await notify_changed(ctx, ns)
    return result


def register(server) -> None:
    server.add_tool(remember, title="Remember", annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True))
