"""recall: hybrid (vector + keyword) retrieval ranked by relevance, strength, recency and confidence."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations
from pydantic import Field

from server.models import Kind, RecallRequest, RecallResult
from tools._common import Namespace, actor_of, app_of, guarded, run, scope


@guarded
async def recall(
    query: Annotated[str, Field(description="What to look for, in plain words.")],
    ctx: Context,
    k: Annotated[int, Field(ge=1, le=100, description="How many memories to return.")] = 10,
    kinds: Annotated[list[Kind] | None, Field(description="Only these kinds.")] = None,
    tags: Annotated[list[str] | None, Field(description="Only memories carrying all these tags.")] = None,
    since: Annotated[datetime | None, Field(description="Only memories valid from this time on (ISO 8601).")] = None,
    until: Annotated[datetime | None, Field(description="Only memories valid up to this time (ISO 8601).")] = None,
    as_of: Annotated[datetime | None, Field(description="Show memory as it stood at this time.")] = None,
    include_superseded: Annotated[bool, Field(description="Also return versions that were corrected or replaced.")] = False,
    include_archived: Annotated[bool, Field(description="Also return archived memories.")] = False,
    namespace: Namespace = None,
) -> RecallResult:
    """Recall memories relevant to a query. Each result carries its component scores; the recall id can be
    passed to `feedback`."""
    ns = scope(ctx, namespace, write=False)
    req = RecallRequest(
        namespace=ns, query=query, k=k, kinds=kinds, tags=tags, since=since, until=until, as_of=as_of,
        include_superseded=include_superseded, include_archived=include_archived,
    )
    return await run(app_of(ctx).service.recall, req, actor=actor_of(ctx))


def register(server) -> None:
    server.add_tool(recall, title="Recall", annotations=ToolAnnotations(readOnlyHint=True, openWorldHint=False))
