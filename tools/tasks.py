"""Working memory tools: read, merge into and end the task state of a session."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations
from pydantic import Field

from server.working import EndTaskResult, TaskState
from tools._common import Namespace, actor_of, app_of, guarded, run, scope

SessionId = Annotated[str, Field(max_length=200, description="The conversation or task this state belongs to.")]
Items = Annotated[list[str] | None, Field(description="Appended to what is there.")]


@guarded
async def task_state(session_id: SessionId, ctx: Context, namespace: Namespace = None) -> TaskState:
    """The current state of a session's task: goal, phase, steps done, next actions, decisions, constraints, notes."""
    ns = scope(ctx, namespace, write=False)
    return await run(app_of(ctx).working.get, ns, session_id)


@guarded
async def update_task_state(
    session_id: SessionId,
    ctx: Context,
    goal: Annotated[str | None, Field(description="Replaces the goal.")] = None,
    phase: Annotated[str | None, Field(description="Replaces the phase, e.g. 'planning', 'implementing', 'verifying'.")] = None,
    done: Items = None,
    next: Items = None,
    decisions: Items = None,
    constraints: Items = None,
    notes: Items = None,
    clear: Annotated[list[str] | None, Field(description="Fields to empty before merging, e.g. ['next'].")] = None,
    namespace: Namespace = None,
) -> TaskState:
    """Merge changes into a session's task state (created on first use). Lists append; scalars replace; `clear`
    empties fields. Each use extends the state's time to live."""
    ns = scope(ctx, namespace, write=True)
    return await run(
        app_of(ctx).working.update, ns, session_id, clear=clear, goal=goal, phase=phase, done=done, next=next,
        decisions=decisions, constraints=constraints, notes=notes,
    )


@guarded
async def end_task(
    session_id: SessionId,
    ctx: Context,
    outcome: Annotated[str | None, Field(description="How the task ended, e.g. 'shipped v2; users happy'.")] = None,
    namespace: Namespace = None,
) -> EndTaskResult:
    """End a session's task. Its decisions, constraints and outcome are offered to long-term memory (through the
    usual write policy, with provenance to the task)."""
    ns = scope(ctx, namespace, write=True)
    return await run(app_of(ctx).working.end, ns, session_id, outcome, actor=actor_of(ctx))


def register(server) -> None:
    server.add_tool(task_state, title="Task state", annotations=ToolAnnotations(readOnlyHint=True))
    server.add_tool(update_task_state, title="Update task state", annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False))
    server.add_tool(end_task, title="End task", annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False))
