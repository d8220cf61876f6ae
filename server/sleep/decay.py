"""Decay and reinforcement: strength fades at each memory's own rate; reinforcement slows the fading.

Strength is always computed from the memory's base (its strength at the last
reinforcement, and that time: `effective_strength`), never from the previous
pass's result, so running the job twice, or at any cadence, decays a memory
exactly as much as the time that passed. The pass persists what it computed,
with the time (`memory_decay`), for inspection and for counting reinforcements.

Spaced repetition: every reinforcement since the last pass (a recall that
returned the memory, helpful feedback, a restatement) multiplies the memory's
decay rate by sleep_reinforce_factor, at most one per elapsed day, so cramming
counts once and spaced recalls count each time.

Below sleep_archive_strength a memory moves to the archival tier: out of default
recall, found with `include_archived`, never deleted.
"""

from __future__ import annotations

import math
from datetime import datetime

from server.service import effective_strength
from server.sleep.base import JobContext

SAVE_BATCH = 500


def credited_reinforcements(new_recalls: int, since: datetime, now: datetime) -> int:
    """Reinforcements that count: at most one per day elapsed since the last pass (and at least one if any)."""
    if new_recalls <= 0:
        return 0
    days = max(1, math.floor((now - since).total_seconds() / 86400.0))
    return min(new_recalls, days)


def decay(ctx: JobContext) -> dict:
    """Apply decay at each memory's own rate, credit reinforcements, archive memories below the threshold."""
    store, ns, now, settings = ctx.store, ctx.namespace, ctx.now, ctx.settings
    states = store.decay_states(ns)
    counts = {"memories": 0, "reinforced": 0, "archived": 0}
    pending: list[tuple[str, float, datetime, int, float]] = []
    for _, memory in store.iter_memories(ns):
        if not memory.content:
            continue
        counts["memories"] += 1
        prev = states.get(memory.id)
        seen_recalls, seen_at = (prev[2], prev[1]) if prev else (0, memory.recorded_at)
        credit = credited_reinforcements(memory.recall_count - seen_recalls, seen_at, now)
        rate = memory.decay_rate
        if credit:
            new_rate = max(0.001, rate * settings.sleep_reinforce_factor ** credit)
            reason = f"{credit} spaced reinforcement(s) since the last pass: decay rate {rate:.4g} -> {new_rate:.4g} per day"
            ctx.record("slow_decay", memory.id, reason, decay_rate=new_rate)
            if not ctx.dry_run:
                with store.transaction():
                    new_rate = store.slow_decay(ns, memory.id, credit, settings.sleep_reinforce_factor) or new_rate
                    store.audit(ns, "slow_decay", memory.id, ctx.actor, now, reason=reason, job="decay", decay_rate=new_rate)
            rate = new_rate
            counts["reinforced"] += 1
        strength = effective_strength(memory.model_copy(update={"decay_rate": rate}), now)
        pending.append((memory.id, round(strength, 6), now, memory.recall_count, rate))
        if strength < settings.sleep_archive_strength:
            # Trigger: faded below the threshold. Why archive: weak memories stop crowding recall but stay findable.
            reason = f"decayed: strength {strength:.3f} < {settings.sleep_archive_strength} (rate {rate:.4g} per day)"
            ctx.record("archive", memory.id, reason, strength=round(strength, 4))
            if not ctx.dry_run:
                with store.transaction():
                    store.update_fields(ns, memory.id, status="archived", tier="archival", ended_at=now)
                    store.audit(ns, "archive", memory.id, ctx.actor, now, reason=reason, job="decay", strength=round(strength, 4), previous_tier=memory.tier)
            counts["archived"] += 1
        if len(pending) >= SAVE_BATCH:
            _save(ctx, pending)
            ctx.check()
    _save(ctx, pending)
    return counts


def _save(ctx: JobContext, pending: list) -> None:
    if pending and not ctx.dry_run:
        ctx.store.save_decay(ctx.namespace, pending)
    pending.clear()
