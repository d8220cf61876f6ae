"""Conflicts: active memories that cannot both be true are resolved when the evidence is decisive, else flagged.

Signals, for each memory new since the last pass against its nearest active neighbours:
- the memory-ops model, asked about the memory as if it were being written, answers
  "supersede" for a neighbour (the contradiction signal the write path uses);
- a very similar pair (cosine >= sleep_conflict_similarity) about the same names
  whose numbers or polarity differ (events and outcomes excepted: two runs on two
  days are not a contradiction).

Decisive evidence (then the older memory is superseded by the newer, history kept):
- the newer one is an explicit correction (made by `correct`), or
- it is clearly newer (by sleep_conflict_recency_days), its source is trusted at
  least as much (explicit > imported > inferred > consolidated), and neither is an
  event or an outcome: a state (where someone lives, what they prefer) is replaced
  by a later one, but a later event does not make an earlier one false (a second
  trip, a second test result), so for those recency alone settles nothing. Nor
  does it when the model says the older memory replaces the newer one.
Anything else is flagged: `memory://{namespace}/conflicts` lists it and recall marks
both memories with the "conflict" flag until one of them changes.
"""

from __future__ import annotations

from datetime import timedelta

from server.memops.schema import Neighbor
from server.models import Memory
from server.sleep.base import TRUST, JobContext
from server.sleep.text import mismatch

NEIGHBORS = 8
MIN_SIMILARITY = 0.6
TIME_BASED = {"event", "outcome"}


def _when(m: Memory):
    return m.valid_from or m.recorded_at


def is_correction(ctx: JobContext, m: Memory) -> bool:
    if m.supersedes is None or m.source != "explicit":
        return False
    return any(e.action == "correct" for e in ctx.store.audit_entries(ctx.namespace, memory_ids=[m.id], limit=20))


def decisive(ctx: JobContext, a: Memory, b: Memory, *, replaces: Memory | None = None) -> tuple[Memory, Memory, str] | None:
    """(winner, loser, why) when the evidence settles the conflict; None when a person should look.

    `replaces`: the side the signal says replaces the other (the model's "supersede" has a direction; a
    mismatch has none). Recency backs a replacement only in time order: if the older one is said to replace
    the newer, the two signals disagree, and only an explicit correction decides.
    """
    newer, older = (a, b) if _when(a) >= _when(b) else (b, a)
    if is_correction(ctx, newer):
        return newer, older, f"{newer.id} is an explicit correction"
    if {a.kind, b.kind} & TIME_BASED or replaces is older:
        return None
    gap = _when(newer) - _when(older)
    if gap >= timedelta(days=ctx.settings.sleep_conflict_recency_days) and TRUST.get(newer.source, 0) >= TRUST.get(older.source, 0):
        return newer, older, f"{newer.id} is {gap.days} day(s) newer and its source ({newer.source}) is trusted at least as much as {older.source}"
    return None


def conflicts(ctx: JobContext) -> dict:
    """Find contradicting active memories; resolve decisive cases, flag the rest."""
    store, ns, now = ctx.store, ctx.namespace, ctx.now
    counts = {"checked": 0, "flagged": 0, "resolved": 0, "closed": 0}
    # Open conflicts whose memories changed since (corrected, forgotten, archived) are over.
    for c in store.conflicts(ns, status="open", limit=1_000_000):
        pair = store.get_by_ids(ns, [c["a_id"], c["b_id"]])
        gone = [mid for mid in (c["a_id"], c["b_id"]) if mid not in pair or pair[mid].status != "active"]
        if gone:
            reason = f"{', '.join(gone)} no longer active"
            ctx.record("close_conflict", gone[0], reason, conflict=c["id"])
            if not ctx.dry_run:
                with store.transaction():
                    store.close_conflict(ns, c["id"], "closed", reason, now)
                    store.audit(ns, "close_conflict", gone[0], ctx.actor, now, reason=reason, job="conflicts", conflict=c["id"])
            counts["closed"] += 1

    watermark = int(store.sleep_state(ns, "conflicts", "watermark") or 0)
    rows = [(r, m) for r, m in store.iter_memories(ns, after_rowid=watermark) if m.content and m.tier != "working"]
    vectors = store.vectors_by_rowid(ns, [r for r, _ in rows])
    seen: set[frozenset[str]] = set()
    handled: set[str] = set()  # superseded during this pass
    backward: list[tuple[Memory, Memory, str]] = []
    for n, (rowid, memory) in enumerate(rows):
        if n % 50 == 0:
            ctx.check()
            ctx.progress(n, len(rows), f"conflicts {ns}")
        vec = vectors.get(rowid)
        if vec is None or memory.id in handled:
            continue
        counts["checked"] += 1
        hits = [(r, s) for r, s in store.vector_search(ns, vec, NEIGHBORS + 1, active_only=True) if r != rowid and s >= MIN_SIMILARITY]
        by_row = store.by_rowids(ns, [r for r, _ in hits])
        near = [(r, by_row[r], s) for r, s in hits if r in by_row and by_row[r].status == "active" and by_row[r].id not in handled]
        if not near:
            continue
        for other, signal, why in _signals(ctx, memory, vec, near):
            key = frozenset((memory.id, other.id))
            if key in seen:
                continue
            if signal == "model" and _when(memory) < _when(other):
                # The model says the older one replaces the newer: wait for the newer one's own turn, which
                # may say it the right way round; if not, the pair is flagged below.
                backward.append((memory, other, why))
                continue
            seen.add(key)
            outcome = _settle(ctx, memory, other, signal, why, counts)
            if outcome:
                handled.add(outcome)
    for memory, other, why in backward:
        key = frozenset((memory.id, other.id))
        if key not in seen and not {memory.id, other.id} & handled:
            seen.add(key)
            _settle(ctx, memory, other, "model", why, counts)
    if not ctx.dry_run and rows:
        store.set_sleep_state(ns, "conflicts", "watermark", str(max(r for r, _ in rows)))
    ctx.progress(len(rows), len(rows), f"conflicts {ns}")
    return counts


def _signals(ctx: JobContext, memory: Memory, vec, near: list[tuple[int, Memory, float]]):
    """`near`: (rowid, memory, cosine) of the active neighbours; their vectors are read in one call."""
    stored = ctx.store.vectors_by_rowid(ctx.namespace, [r for r, _, _ in near])
    neighbors, mems = [], []
    for rowid, other, sim in near:
        ov = stored.get(rowid)
        if ov is not None:
            neighbors.append(Neighbor(content=other.content, kind=other.kind, vector=ov, similarity=sim))
            mems.append(other)
    decision = None
    if neighbors:
        try:
            decision = ctx.service.ops.decide(memory.content, vec, neighbors)
        except Exception as exc:  # a model that cannot load or run leaves the heuristic signals
            if not getattr(ctx, "_ops_failed", False):
                ctx.log(f"memory-ops model unavailable for conflicts ({type(exc).__name__}: {exc}); using mismatch signals only")
                ctx._ops_failed = True
    if decision is not None:
        if decision.action == "supersede" and decision.target is not None and decision.target < len(mems):
            yield mems[decision.target], "model", f"memory-ops model: {decision.reason} (p={decision.confidence:.2f})"
    for _, other, sim in near:
        if sim < ctx.settings.sleep_conflict_similarity or {memory.kind, other.kind} & TIME_BASED:
            continue
        why = mismatch(memory.content, other.content)
        if why:
            yield other, "mismatch", f"{why} (cosine {sim:.2f})"


def _settle(ctx: JobContext, a: Memory, b: Memory, signal: str, why: str, counts: dict) -> str | None:
    """Resolve or flag one conflicting pair; returns the id superseded, if any."""
    store, ns, now = ctx.store, ctx.namespace, ctx.now
    verdict = decisive(ctx, a, b, replaces=a if signal == "model" else None)
    if verdict is None:
        reason = (f"{why}; not decisive (no explicit correction, and recency does not settle it: not clearly newer "
                  f"from a source trusted as much, or an event or outcome, which later ones do not make false)")
        ctx.record("conflict", a.id, reason, other=b.id, signal=signal)
        if not ctx.dry_run:
            with store.transaction():
                if store.add_conflict(ns, a.id, b.id, signal, reason, now):
                    store.audit(ns, "conflict", a.id, ctx.actor, now, reason=reason, job="conflicts", other=b.id, signal=signal)
        counts["flagged"] += 1
        return None
    winner, loser, because = verdict
    reason = f"{why}; resolved: {because}"
    ctx.record("resolve_conflict", loser.id, reason, superseded_by=winner.id, signal=signal)
    if not ctx.dry_run:
        with store.transaction():
            current = store.get(ns, loser.id)
            if current is None or current.status != "active":
                return None
            # Trigger: decisive evidence. Why supersede: the old version stays readable (history, as_of) but stops being current.
            fields = {"status": "superseded", "superseded_by": winner.id, "ended_at": now}
            if loser.valid_until is None:
                fields["valid_until"] = _when(winner)
            store.update_fields(ns, loser.id, **fields)
            store.add_conflict(ns, a.id, b.id, signal, reason, now, status="resolved", resolution=because)
            store.audit(ns, "resolve_conflict", loser.id, ctx.actor, now, reason=reason, job="conflicts", superseded_by=winner.id, signal=signal)
    counts["resolved"] += 1
    return loser.id
