"""forget: soft (default) or hard (GDPR erasure) forgetting of a memory and all its versions."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations
from pydantic import Field

from server.models import ForgetResult
from tools._common import Namespace, actor_of, app_of, guarded, notify_changed, run, scope


@guarded
async def forget(
    ctx: Context,
    id: Annotated[str | None, Field(max_length=100, description="The memory to forget.")] = None,
    query: Annotated[str | None, Field(max_length=2000, description="Forget what this clearly refers to (needs confirm).")] = None,
    confirm: Annotated[bool, Field(description="Required with query: without it the matches are listed and nothing changes.")] = False,
    reason: Annotated[str, Field(max_length=1000, description="Why; kept in the audit trail.")] = "",
    hard: Annotated[bool, Field(description="Erase the text everywhere (row, indexes, logs); cannot be undone.")] = False,
    namespace: Namespace = None,
) -> ForgetResult:
    """Forget a memory (by id, or by query with confirm=true). Soft by default: excluded from recall, kept for
    audit. hard=true purges the text for good."""
    ns = scope(ctx, namespace, write=True)
    result = await run(
        app_of(ctx).service.forget, ns, memory_id=id, query=query, confirm=confirm, reason=reason, hard=hard, actor=actor_of(ctx)
    )
    await notify_changed(ctx, ns)
    return result


def register(server) -> None:
    server.add_tool(forget, title="Forget", annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=True))
