"""Policy tools: propose_action, record_outcome, check_action (server/policy/)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations
from pydantic import Field

from server.policy.models import CheckResult, OutcomeResult, ProposeResult
from tools._common import Namespace, actor_of, app_of, guarded, notify_changed, run, scope

Now = Annotated[
    datetime | None,
    Field(description="The time of the situation (ISO 8601; its own time zone is used for weekday/time conditions). Defaults to now."),
]


@guarded
async def propose_action(
    situation: Annotated[str, Field(description="What is happening now, e.g. 'the deploy of the search service failed'.")],
    ctx: Context,
    k: Annotated[int, Field(ge=1, le=20, description="At most this many proposals.")] = 3,
    now: Now = None,
    event_type: Annotated[str | None, Field(max_length=100, description="The situation's event type, for policies conditioned on one.")] = None,
    tags: Annotated[list[str] | None, Field(description="Tags of the situation, for policies conditioned on them.")] = None,
    namespace: Namespace = None,
) -> ProposeResult:
    """Propose actions from the user's learned and stated policies for this situation: each with its confidence,
    rationale, the memories it was learned from and a proposal_id for record_outcome. Empty when nothing fits
    confidently enough; that is a normal answer."""
    ns = scope(ctx, namespace, write=False)
    return await run(app_of(ctx).policies.propose, ns, situation, k=k, now=now, event_type=event_type, tags=tags, actor=actor_of(ctx))


@guarded
async def record_outcome(
    outcome: Annotated[Literal["success", "failure", "ignored"], Field(description="How the proposal or action went.")],
    ctx: Context,
    proposal_id: Annotated[str | None, Field(max_length=100, description="The proposal_id from propose_action.")] = None,
    action: Annotated[str | None, Field(description="Or: the action taken, matched to the policy that proposes it.")] = None,
    note: Annotated[str | None, Field(description="What happened, kept with the outcome memory.")] = None,
    namespace: Namespace = None,
) -> OutcomeResult:
    """Record how a proposal (or an action a policy proposes) turned out. Updates the policy's confidence (a new
    version) and stores an outcome memory linked to it. Pass exactly one of proposal_id or action."""
    ns = scope(ctx, namespace, write=True)
    result = await run(app_of(ctx).policies.record_outcome, ns, outcome, proposal_id=proposal_id, action=action, note=note, actor=actor_of(ctx))
    await notify_changed(ctx, ns)
    return result


@guarded
async def check_action(
    action: Annotated[str, Field(description="What you are about to do, e.g. 'deploy the api to production'.")],
    ctx: Context,
    context: Annotated[str | None, Field(description="What is already done or true, e.g. 'smoke tests passed; approved by Ana'.")] = None,
    now: Now = None,
    namespace: Namespace = None,
) -> CheckResult:
    """Check an action against the user's rules: allowed, warn (a soft rule, or a hard one that only resembles it)
    or blocked (a hard rule names this action and its conditions hold), with each policy that applies and why."""
    ns = scope(ctx, namespace, write=False)
    return await run(app_of(ctx).policies.check, ns, action, context=context, now=now)


def register(server) -> None:
    server.add_tool(propose_action, title="Propose action", annotations=ToolAnnotations(readOnlyHint=True))
    server.add_tool(record_outcome, title="Record outcome", annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False))
    server.add_tool(check_action, title="Check action", annotations=ToolAnnotations(readOnlyHint=True, idempotentHint=True))
