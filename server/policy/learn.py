"""Learning policies from history: mine recurring situation -> action patterns, then keep them honest.

A learning run (a sleep job, or `reverie policy learn`):
1. turns active constraint memories without a policy into explicit policies;
2. reads event, outcome and preference memories of the last WINDOW_DAYS (by valid_from), groups
   near-identical statements into clusters (cosine or term overlap >= CLUSTER_SIM);
3. re-counts the evidence of every learned policy on that window (mined hits and misses are the
   posterior's prior; see models.py) and promotes, demotes or retires it (engine.lifecycle);
4. mines new patterns and stores them as `proposed` policies (promoted in the same run if the evidence
   already clears the bar):
   - schedule: a cluster that occurs in the same weekday+hour slot in >= MIN_SUPPORT weeks, in >= 60 % of
     that slot's weeks since it first appeared, and that slot holds >= half of the cluster's occurrences;
   - event: cluster B follows cluster A within FOLLOW_WINDOW in >= 60 % of A's occurrences (>= MIN_SUPPORT),
     B is mostly a reaction to A (>= half of B follows an A), and B follows A 0.3 more often than it
     follows anything else.
A retired policy is revived only by evidence that starts after its retirement.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from statistics import median

import numpy as np

from server.policy.engine import OUTCOME_TAG, PolicyEngine, cosine
from server.policy.models import Conditions, Evidence, Policy
from server.policy.rules import WEEKDAYS, coverage, in_window, jaccard, terms
from server.service import new_id

WINDOW_DAYS = 42
CLUSTER_SIM = 0.6
MIN_SUPPORT = 3
SLOT_RATE, SLOT_SHARE = 0.6, 0.5
FOLLOW_WINDOW = timedelta(hours=2)
FOLLOW_RATE, REACTIVE_SHARE, LIFT = 0.6, 0.5, 0.3
HALF_WINDOW_MIN = 45
ACTION_MATCH = 0.5
_EPOCH = datetime(2000, 1, 3, tzinfo=timezone.utc)  # a Monday


@dataclass(eq=False)
class Item:
    id: str
    text: str
    terms: set[str]
    at: datetime
    vector: np.ndarray | None


@dataclass
class Cluster:
    items: list[Item] = field(default_factory=list)
    seed: set[str] = field(default_factory=set)
    centroid: np.ndarray | None = None

    @property
    def common(self) -> list[str]:
        """Terms in at least 60 % of the members, most frequent first."""
        counts: dict[str, int] = {}
        for it in self.items:
            for t in it.terms:
                counts[t] = counts.get(t, 0) + 1
        need = 0.6 * len(self.items)
        return [t for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n >= need]

    @property
    def medoid(self) -> Item:
        common = set(self.common)
        return max(self.items, key=lambda it: (jaccard(it.terms, common), -len(it.text)))


def week_of(at: datetime) -> int:
    return (at - _EPOCH).days // 7


def slot_of(at: datetime) -> tuple[int, int]:
    """(weekday, hour) of the nearest whole hour."""
    rounded = at + timedelta(minutes=30)
    return rounded.weekday(), rounded.hour


def load_items(engine: PolicyEngine, namespace: str, now: datetime, cache: dict) -> list[Item]:
    rows = []
    start = now - timedelta(days=WINDOW_DAYS)
    for rowid, m in engine.service.store.iter_all(namespace):
        if m.kind not in ("event", "outcome", "preference") or m.status == "forgotten" or not m.content:
            continue
        if OUTCOME_TAG in m.tags:
            continue  # our own outcome notes are not behaviour
        at = m.valid_from or m.recorded_at
        if start <= at <= now:
            rows.append((rowid, m, at))
    # The write path folds a repeated statement into the memory it repeats (noop, audited with its time):
    # each such repeat is an occurrence too.
    repeats = _repeats(engine.service.store, namespace, start, now)
    if repeats:
        by_id = {m.id: m for m in engine.service.store.get_many(namespace, sorted({mid for mid, _ in repeats}))}
        for n, (mid, at) in enumerate(repeats):
            m = by_id.get(mid)
            if m is not None and m.kind in ("event", "outcome", "preference") and m.content and OUTCOME_TAG not in m.tags:
                rows.append((-n, m, at))
    missing = list(dict.fromkeys(m.content for _, m, _ in rows if m.content_hash not in cache))
    if missing:
        for text, vec in zip(missing, engine.embed(missing)):
            from server.service import content_hash

            cache[content_hash(text)] = vec
    return sorted(
        (Item(m.id, m.content, set(terms(m.content)), at, cache.get(m.content_hash)) for _, m, at in rows), key=lambda it: it.at
    )


def _repeats(store, namespace: str, start: datetime, now: datetime) -> list[tuple[str, datetime]]:
    """(memory id, time) of every audited noop (exact or near repeat) in the window, oldest first."""
    out, before = [], None
    while True:
        page = store.audit_entries(namespace, limit=500, before_id=before)
        if not page:
            break
        for entry in page:
            if entry.action == "noop" and entry.memory_id and start <= entry.at <= now:
                out.append((entry.memory_id, entry.at))
        if page[-1].at < start:
            break
        before = page[-1].id
    return out[::-1]


def cluster(items: list[Item]) -> list[Cluster]:
    clusters: list[Cluster] = []
    for it in items:
        best, best_sim = None, 0.0
        for c in clusters:
            sim = max(cosine(it.vector, c.centroid), jaccard(it.terms, c.seed))
            if sim > best_sim:
                best, best_sim = c, sim
        if best is None or best_sim < CLUSTER_SIM:
            clusters.append(Cluster([it], set(it.terms), None if it.vector is None else it.vector.copy()))
        else:
            best.items.append(it)
            if it.vector is not None and best.centroid is not None:
                total = best.centroid * (len(best.items) - 1) + it.vector
                best.centroid = total / max(np.linalg.norm(total), 1e-9)
    return clusters


def _window(minutes: list[int]) -> str:
    mid = int(median(minutes))
    lo, hi = max(0, mid - HALF_WINDOW_MIN), min(24 * 60 - 1, mid + HALF_WINDOW_MIN)
    return f"{lo // 60:02d}:{lo % 60:02d}-{hi // 60:02d}:{hi % 60:02d}"


def _slot_instances(day: int, window: str, since: datetime, now: datetime) -> list[tuple[datetime, datetime]]:
    """Each past (start, end) of the weekday+window between `since` and `now`."""
    lo, hi = window.split("-")
    lo_m = int(lo[:2]) * 60 + int(lo[3:])
    hi_m = int(hi[:2]) * 60 + int(hi[3:])
    out = []
    first = _EPOCH + timedelta(weeks=week_of(since))
    week = first
    while week <= now:
        date = week + timedelta(days=day)
        start, end = date + timedelta(minutes=lo_m), date + timedelta(minutes=hi_m)
        if end >= since - timedelta(minutes=2 * HALF_WINDOW_MIN) and end <= now:
            out.append((start, end))
        week += timedelta(weeks=1)
    return out


def matches_action(it: Item, action_terms: set[str], action_vec: np.ndarray | None) -> bool:
    return jaccard(it.terms, action_terms) >= ACTION_MATCH or cosine(it.vector, action_vec) >= 0.8


# -- evidence of a policy on the window ---------------------------------------------------------------
def evaluate(policy: Policy, items: list[Item], now: datetime, action_vec: np.ndarray | None, since: datetime | None = None) -> tuple[int, int, list[str]]:
    """(hits, misses, supporting memory ids) of a learned policy over the window (or since `since`)."""
    action_terms = set(terms(policy.action))
    actions = [it for it in items if matches_action(it, action_terms, action_vec) and (since is None or it.at > since)]
    if policy.trigger_kind == "schedule":
        window = policy.conditions.time_window or "00:00-23:59"
        days = [WEEKDAYS.index(d) for d in policy.conditions.weekdays] or list(range(7))
        hit_ids, hits, instances = [], 0, 0
        in_slot = [it for it in actions if it.at.weekday() in days and in_window(window, it.at)]
        if not in_slot:
            return 0, 0, []
        first = min(it.at for it in in_slot)
        for day in days:
            for start, end in _slot_instances(day, window, first, now):
                instances += 1
                found = [it for it in in_slot if start <= it.at <= end]
                if found:
                    hits += 1
                    hit_ids.append(found[0].id)
        return hits, max(0, instances - hits), hit_ids
    triggers = [
        it for it in items
        if coverage(policy.trigger_terms, it.terms) >= 0.75 and not matches_action(it, action_terms, action_vec)
        and (since is None or it.at > since)
    ]
    times = [it.at for it in actions]
    hits, misses, ids = 0, 0, []
    for trig in triggers:
        j = bisect.bisect_right(times, trig.at)
        if j < len(times) and times[j] <= trig.at + FOLLOW_WINDOW:
            hits += 1
            ids += [trig.id, actions[j].id]
        elif trig.at + FOLLOW_WINDOW <= now:
            misses += 1
    return hits, misses, ids


# -- mining new patterns ------------------------------------------------------------------------------
def mine(clusters: list[Cluster], items: list[Item], now: datetime, namespace: str) -> list[Policy]:
    found: list[Policy] = []
    for c in clusters:
        if len(c.items) < MIN_SUPPORT:
            continue
        by_slot: dict[tuple[int, int], list[Item]] = {}
        for it in c.items:
            by_slot.setdefault(slot_of(it.at), []).append(it)
        for hour in sorted({h for _, h in by_slot}):
            days, hit_items = [], []
            for day in range(7):
                slot_items = by_slot.get((day, hour), [])
                weeks = {week_of(it.at) for it in slot_items}
                if len(weeks) < MIN_SUPPORT:
                    continue
                first = min(it.at for it in slot_items)
                span = week_of(now) - week_of(first) + (1 if slot_of(now) >= (day, hour) else 0)
                if len(weeks) / max(span, 1) >= SLOT_RATE:
                    days.append(day)
                    hit_items += slot_items
            if not days:
                continue
            first = min(it.at for it in hit_items)
            share = len(hit_items) / sum(1 for it in c.items if it.at >= first)
            if share < SLOT_SHARE:
                continue
            window = _window([it.at.hour * 60 + it.at.minute for it in hit_items])
            day_names = [WEEKDAYS[d] for d in days]
            action = c.medoid.text
            label = ", ".join(d.capitalize() for d in day_names)
            found.append(Policy(
                id=new_id("pol"), namespace=namespace, name=f"{label} {window}: {' '.join(c.common[:5])}",
                trigger=f"{label} around {window.split('-')[0]}-{window.split('-')[1]}", trigger_kind="schedule",
                trigger_terms=[], conditions=Conditions(weekdays=day_names, time_window=window), action=action,
                rationale=f"You did this on {label} within {window} in {len({week_of(i.at) for i in hit_items})} weeks since {first:%Y-%m-%d}.",
                created_at=now, evidence=Evidence(memories=[i.id for i in hit_items][:20]),
            ))
    # event -> action
    big = [c for c in clusters if len(c.items) >= MIN_SUPPORT]
    all_times = sorted(items, key=lambda it: it.at)
    for a in big:
        best = None
        for b in big:
            if b is a:
                continue
            b_times = [it.at for it in b.items]
            follows, eligible = 0, 0
            for it in a.items:
                j = bisect.bisect_right(b_times, it.at)
                hit = j < len(b_times) and b_times[j] <= it.at + FOLLOW_WINDOW
                follows += hit
                eligible += hit or it.at + FOLLOW_WINDOW <= now
            if follows < MIN_SUPPORT or follows / max(eligible, 1) < FOLLOW_RATE:
                continue
            a_times = [it.at for it in a.items]
            reactive = sum(1 for t in b_times if _preceded(a_times, t)) / len(b_times)
            others = [it for it in all_times if it not in a.items and it not in b.items]
            base = (
                sum(1 for it in others if _followed(b_times, it.at)) / len(others) if others else 0.0
            )
            rate = follows / max(eligible, 1)
            if reactive < REACTIVE_SHARE or rate - base < LIFT:
                continue
            if best is None or (rate, follows) > best[0]:
                best = ((rate, follows), b, follows, eligible)
        if best is None:
            continue
        _, b, follows, eligible = best
        trig, act = a.medoid, b.medoid
        found.append(Policy(
            id=new_id("pol"), namespace=namespace, name=f"after {' '.join(a.common[:4])}: {' '.join(b.common[:5])}",
            trigger=trig.text, trigger_kind="situation", trigger_terms=a.common or sorted(trig.terms), action=act.text,
            rationale=f"After \u201c{trig.text}\u201d you did this within {FOLLOW_WINDOW.seconds // 3600} h in {follows} of {eligible} cases.",
            created_at=now, evidence=Evidence(memories=[i.id for i in a.items + b.items][:20]),
        ))
    return found


def _preceded(a_times: list[datetime], t: datetime) -> bool:
    j = bisect.bisect_left(a_times, t)
    return j > 0 and t - a_times[j - 1] <= FOLLOW_WINDOW


def _followed(b_times: list[datetime], t: datetime) -> bool:
    j = bisect.bisect_right(b_times, t)
    return j < len(b_times) and b_times[j] <= t + FOLLOW_WINDOW


def same_pattern(a: Policy, b: Policy) -> bool:
    if a.trigger_kind != b.trigger_kind or jaccard(set(terms(a.action)), set(terms(b.action))) < ACTION_MATCH:
        return False
    if a.trigger_kind == "schedule":
        if not set(a.conditions.weekdays) & set(b.conditions.weekdays):
            return False
        ca, cb = (int(w.split("-")[0][:2]) * 60 + int(w.split("-")[0][3:]) for w in (a.conditions.time_window, b.conditions.time_window))
        return abs(ca - cb) <= 60
    return jaccard(set(a.trigger_terms), set(b.trigger_terms)) >= 0.5


# -- the run ------------------------------------------------------------------------------------------
Record = Callable[..., None]
_AUDIT = {"refreshed": "refresh", "promoted": "promote", "demoted": "demote", "retired": "retire", "revived": "revive"}


def learn(
    engine: PolicyEngine, namespace: str, now: datetime | None = None, *, dry_run: bool = False,
    record: Record | None = None, check: Callable[[], None] | None = None, actor: str = "learn",
) -> dict:
    """One learning pass over a namespace; returns counts. Every change is a new version with its reason."""
    now = now or engine.now()
    record = record or (lambda *a, **k: None)
    check = check or (lambda: None)
    counts = {"explicit": 0, "created": 0, "refreshed": 0, "promoted": 0, "demoted": 0, "retired": 0, "revived": 0}
    if not dry_run:
        counts["explicit"] = engine.rebuild_explicit(namespace)
    cache = getattr(engine, "_vectors", None)
    if cache is None:
        cache = engine._vectors = {}
    items = load_items(engine, namespace, now, cache)
    clusters = cluster(items)
    existing = [(p, v) for p, v in engine.store.current(namespace) if p.origin == "learned"]
    action_vecs = {}
    if existing:
        vecs = engine.embed([p.action for p, _ in existing])
        action_vecs = {p.id: v for (p, _), v in zip(existing, vecs)}

    def step(policy: Policy, vector, kind: str, reason: str, **changes) -> Policy:
        counts[kind] += 1
        record(kind, policy.id, reason, name=policy.name, version=policy.version + 1)
        if dry_run:
            return policy.model_copy(update=changes)
        return engine.revise(policy, vector, change=_AUDIT[kind], reason=reason, actor=actor, at=now, **changes)

    for policy, vector in existing:
        check()
        if policy.status == "retired":
            continue
        hits, misses, ids = evaluate(policy, items, now, action_vecs.get(policy.id))
        e = policy.evidence
        if (hits, misses) != (e.prior_successes, e.prior_failures):
            evidence = e.model_copy(update={"prior_successes": float(hits), "prior_failures": float(misses), "memories": ids[:20] or e.memories})
            policy = step(policy, vector, "refreshed", f"evidence re-counted on the last {WINDOW_DAYS} days: {hits} hits, {misses} misses", evidence=evidence)
        change = engine.lifecycle(policy)
        if change is not None:
            status, reason = change
            kind = {"active": "promoted", "proposed": "demoted", "retired": "retired"}[status]
            step(policy, vector, kind, reason, status=status, **({"retired_at": now} if status == "retired" else {}))

    existing = [p for p, _ in engine.store.current(namespace) if p.origin == "learned"] if not dry_run else [p for p, _ in existing]
    for candidate in mine(clusters, items, now, namespace):
        check()
        match = next((p for p in existing if same_pattern(p, candidate)), None)
        if match is not None and match.status != "retired":
            continue  # already known: its evidence was re-counted above
        since = match.retired_at if match is not None else None
        vec = engine.embed([candidate.action])[0]
        hits, misses, ids = evaluate(candidate, items, now, vec, since=since)
        if hits < MIN_SUPPORT:
            continue
        evidence = Evidence(prior_successes=float(hits), prior_failures=float(misses), memories=ids[:20] or candidate.evidence.memories)
        if match is not None:
            # Trigger: a retired routine came back, with evidence newer than its retirement.
            fresh = match.model_copy(update={"status": "proposed", "retired_at": None})
            policy = step(fresh, None if dry_run else engine.store.get(namespace, match.id)[1], "revived",
                          f"the pattern reappeared after retirement: {hits} hits, {misses} misses", evidence=evidence)
        else:
            policy = candidate.model_copy(update={"evidence": evidence, "reason": f"mined: {hits} hits, {misses} misses", "actor": actor})
            counts["created"] += 1
            record("created", policy.id, policy.reason, name=policy.name)
            if not dry_run:
                engine.write(policy, engine.embed([policy.trigger])[0], change="create", at=now)
            existing.append(policy)
        change = engine.lifecycle(policy)
        if change is not None and change[0] == "active":
            step(policy, None if dry_run else engine.store.get(namespace, policy.id)[1], "promoted", change[1], status="active")
    return counts


def learn_policies(app_or_service, namespace: str, now: datetime | None = None, *, dry_run: bool = False) -> dict:
    """Run policy learning over one namespace with an AppContext (uses its engine) or a MemoryService."""
    engine = getattr(app_or_service, "policies", None)
    if engine is None:
        engine = PolicyEngine(getattr(app_or_service, "service", app_or_service))
    return learn(engine, namespace, now, dry_run=dry_run)


def sleep_job(ctx) -> dict:
    """Learn policies from events and outcomes; promote, demote and retire learned policies."""
    engine = PolicyEngine(ctx.service)
    return learn(engine, ctx.namespace, ctx.now, dry_run=ctx.dry_run, record=ctx.record, check=ctx.check, actor=ctx.actor)
