"""feedback: whether a recalled memory helped; the utility signal that trains ranking."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations
from pydantic import Field

from server.models import FeedbackResult, Signal
from tools._common import Namespace, actor_of, app_of, guarded, run, scope


@guarded
async def feedback(
    recall_id: Annotated[str, Field(max_length=100, description="The recall_id a recall returned.")],
    memory_id: Annotated[str, Field(max_length=100, description="One of the memories that recall returned.")],
    signal: Annotated[Signal, Field(description="helpful | irrelevant | wrong")],
    ctx: Context,
    namespace: Namespace = None,
) -> FeedbackResult:
    """Say whether a recalled memory was helpful, irrelevant or wrong."""
    ns = scope(ctx, namespace, write=True)
    return await run(app_of(ctx).service.feedback, ns, recall_id, memory_id, signal, actor=actor_of(ctx))


def register(server) -> None:
    server.add_tool(feedback, title="Feedback", annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False))
