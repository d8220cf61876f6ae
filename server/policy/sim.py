"""A scripted user with hidden routines, for tests and the benchmark (bench/policy_sim.py).

The user has two routines the system is never told about:
- weekly: every Monday around 09:00 they ask for the weekly sales report; from `change_week` on the
  routine moves to Tuesday around 10:00 (the stale policy must retire, the new one be learned);
- event-triggered: after a deploy fails, they roll back the service and ping on-call within the hour.
Around that: noise events at random times, occasional skipped routines, and ignored proposals.

Every event is remembered through the real service (kind "event", valid_from = simulated time); event
texts carry a detail (a build or week number) as real ones do, since the write path folds an exact
repeat into the first memory (noop) and mining reads occurrences from memories.
The assistant asks `propose_action` at each situation: work-session check-ins (09:00, 10:00, 14:00 on
weekdays) and right after each event. The user answers each top proposal: success when it is the
routine of that situation, failure when the situation was routine but the proposal wrong, ignored
when no routine exists. Learning runs every simulated night.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from server.models import RememberRequest
from server.policy.engine import PolicyEngine
from server.policy.learn import learn

START = datetime(2026, 1, 5, tzinfo=timezone.utc)  # a Monday
SERVICES = ["checkout", "search", "billing", "auth", "payments", "catalog"]
PEOPLE = ["Ana", "Ben", "Chloe", "Dev", "Eli"]
TOPICS = ["pricing", "the roadmap", "hiring", "the offsite", "onboarding", "latency"]
NOISE = [
    "Reviewed pull request #{n} for the {svc} service",
    "Had a call with {person} about {topic}",
    "Updated the {svc} documentation",
    "Answered a support ticket about {topic}",
    "Wrote meeting notes on {topic}",
    "Fixed a flaky test in {svc}",
]


@dataclass
class SimConfig:
    weeks: int = 14
    change_week: int = 7
    learning_weeks: int = 4
    seed: int = 7
    noise_per_day: int = 3
    deploy_failures_per_week: int = 2
    skip_prob: float = 0.1
    namespace: str = "sim"


@dataclass
class WeekStats:
    week: int
    routine_situations: int = 0
    routine_proposed: int = 0
    routine_correct: int = 0
    other_situations: int = 0
    other_proposed: int = 0
    active: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.routine_correct / self.routine_proposed if self.routine_proposed else None

    @property
    def coverage(self) -> float:
        return self.routine_correct / self.routine_situations if self.routine_situations else 0.0


@dataclass
class SimReport:
    config: SimConfig
    weeks: list[WeekStats]
    old_retired_week: int | None
    new_active_week: int | None
    events: int
    proposals: int

    def precision_after(self, week: int) -> float:
        proposed = sum(w.routine_proposed for w in self.weeks if w.week >= week)
        correct = sum(w.routine_correct for w in self.weeks if w.week >= week)
        return correct / proposed if proposed else 0.0

    def coverage_after(self, week: int) -> float:
        situations = sum(w.routine_situations for w in self.weeks if w.week >= week)
        correct = sum(w.routine_correct for w in self.weeks if w.week >= week)
        return correct / situations if situations else 0.0

    @property
    def max_other_per_week(self) -> int:
        return max((w.other_proposed for w in self.weeks), default=0)


def _weekly_slot(cfg: SimConfig, week: int) -> tuple[int, int]:
    """(weekday, hour) of the weekly routine in that week."""
    return (0, 9) if week < cfg.change_week else (1, 10)


def simulate(service, engine: PolicyEngine, clock, cfg: SimConfig | None = None) -> SimReport:
    cfg = cfg or SimConfig()
    rng = random.Random(cfg.seed)
    ns = cfg.namespace
    stats = [WeekStats(w) for w in range(cfg.weeks)]
    counters = {"events": 0, "proposals": 0, "report": 0, "build": 100}

    def remember(text: str, at: datetime) -> None:
        clock.set(at)
        service.remember(RememberRequest(namespace=ns, content=text, kind="event", valid_from=at), actor="sim")
        counters["events"] += 1

    def ask(situation: str, at: datetime, week: int, routine: str | None) -> None:
        """The assistant asks for proposals; the user reacts to the top one."""
        clock.set(at)
        result = engine.propose(ns, situation, k=3, now=at)
        counters["proposals"] += 1
        s = stats[week]
        top = result.proposals[0] if result.proposals else None
        if routine is None:
            s.other_situations += 1
            if top is not None:
                s.other_proposed += 1
                engine.record_outcome(ns, "ignored", proposal_id=top.proposal_id, now=at)
            return
        s.routine_situations += 1
        if top is None:
            return
        s.routine_proposed += 1
        right = routine in top.action.lower()
        s.routine_correct += right
        noisy = rng.random() < cfg.skip_prob / 2
        outcome = "success" if right and not noisy else ("ignored" if right or noisy else "failure")
        engine.record_outcome(ns, outcome, proposal_id=top.proposal_id, now=at)

    for week in range(cfg.weeks):
        monday = START + timedelta(weeks=week)
        failure_days = rng.sample(range(5), k=min(5, cfg.deploy_failures_per_week))
        weekly_day, weekly_hour = _weekly_slot(cfg, week)
        for day in range(7):
            date = monday + timedelta(days=day)
            timeline: list[tuple[datetime, str, str | None, str]] = []  # (at, kind, routine, text)
            if day < 5:
                for hour in (9, 10, 14):
                    routine = "sales report" if (day, hour) == (weekly_day, weekly_hour) else None
                    timeline.append((date + timedelta(hours=hour), "checkin", routine, "Start of a work session"))
                if day == weekly_day and rng.random() >= cfg.skip_prob:
                    counters["report"] += 1
                    at = date + timedelta(hours=weekly_hour, minutes=rng.randint(1, 15))
                    timeline.append((at, "event", None, f"Asked for the weekly sales report (week {week + 1})"))
                for _ in range(cfg.noise_per_day):
                    at = date + timedelta(hours=8, minutes=rng.randint(0, 600))
                    text = rng.choice(NOISE).format(
                        n=rng.randint(100, 999), svc=rng.choice(SERVICES), person=rng.choice(PEOPLE), topic=rng.choice(TOPICS)
                    )
                    timeline.append((at, "event", None, text))
                if day in failure_days:
                    counters["build"] += 1
                    svc = rng.choice(SERVICES)
                    at = date + timedelta(hours=rng.randint(11, 16), minutes=rng.randint(0, 59))
                    timeline.append((at, "failure", "rolled back", f"The deploy of {svc} failed (build {counters['build']})"))
                    if rng.random() >= cfg.skip_prob:
                        react = at + timedelta(minutes=rng.randint(10, 50))
                        timeline.append((react, "event", None, f"Rolled back {svc} to build {counters['build'] - 1} and pinged on-call"))
            timeline.sort(key=lambda e: e[0])
            for at, kind, routine, text in timeline:
                if kind == "checkin":
                    ask(text, at, week, routine)
                elif kind == "failure":
                    remember(text, at)
                    ask(text, at + timedelta(minutes=1), week, routine)
                else:
                    remember(text, at)
                    if not text.startswith(("Asked for the weekly", "Rolled back")):
                        ask(text, at + timedelta(minutes=1), week, None)
            night = date + timedelta(hours=23)
            clock.set(night)
            learn(engine, ns, night)
        stats[week].active = [p.name for p, _ in engine.store.current(ns, ("active",))]

    old_retired, new_active = None, None
    for policy, _ in engine.store.current(ns):
        if policy.trigger_kind != "schedule" or "sales report" not in policy.action.lower():
            continue
        for version in engine.store.versions(ns, policy.id):
            week = (version.created_at - START).days // 7
            if policy.conditions.weekdays == ["mon"] and version.status == "retired" and old_retired is None:
                old_retired = week
            if policy.conditions.weekdays == ["tue"] and version.status == "active" and new_active is None:
                new_active = week
    return SimReport(cfg, stats, old_retired, new_active, counters["events"], counters["proposals"])


def markdown(report: SimReport) -> str:
    """The learning curve as a table, with the headline figures."""
    cfg = report.config
    lines = [
        "| week | routine situations | proposed | correct top-1 | precision@1 | coverage | proposals without a routine |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for w in report.weeks:
        p = "–" if w.precision is None else f"{w.precision:.2f}"
        mark = " (routine changes)" if w.week == cfg.change_week else ""
        lines.append(
            f"| {w.week + 1}{mark} | {w.routine_situations} | {w.routine_proposed} | {w.routine_correct} | {p} | {w.coverage:.2f} | {w.other_proposed} |"
        )
    head = (
        f"{cfg.weeks} simulated weeks, {report.events} events remembered, {report.proposals} propose_action calls "
        f"(seed {cfg.seed}). After the {cfg.learning_weeks}-week learning period: precision@1 on routine situations "
        f"**{report.precision_after(cfg.learning_weeks):.2f}**, coverage {report.coverage_after(cfg.learning_weeks):.2f}; "
        f"at most **{report.max_other_per_week}** proposals a week where no routine exists. The weekly routine moves in "
        f"week {cfg.change_week + 1}: the stale policy was retired in week "
        f"{'–' if report.old_retired_week is None else report.old_retired_week + 1} and the new one active in week "
        f"{'–' if report.new_active_week is None else report.new_active_week + 1}."
    )
    return head + "\n\n" + "\n".join(lines)
