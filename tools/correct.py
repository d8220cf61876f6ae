"""correct: replace a memory with a corrected version; the old one is kept, closed and linked."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations
from pydantic import Field

from server.models import CorrectResult
from tools._common import Namespace, actor_of, app_of, guarded, notify_changed, run, scope


@guarded
async def correct(
    correction: Annotated[str, Field(description="The corrected statement, in full.")],
    ctx: Context,
    id: Annotated[str | None, Field(max_length=100, description="The memory being corrected.")] = None,
    query: Annotated[str | None, Field(max_length=2000, description="Or: the memory this clearly refers to.")] = None,
    reason: Annotated[str, Field(max_length=1000, description="Why it changed; kept in the audit trail.")] = "",
    namespace: Namespace = None,
) -> CorrectResult:
    """Correct a memory. The correction supersedes it at top confidence; both versions are returned and the
    history is kept."""
    ns = scope(ctx, namespace, write=True)
    result = await run(app_of(ctx).service.correct, ns, correction, memory_id=id, query=query, reason=reason, actor=actor_of(ctx))
    await notify_changed(ctx, ns)
    return result


def register(server) -> None:
    server.add_tool(correct, title="Correct", annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False))
