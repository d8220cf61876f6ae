"""Policy types: a policy version, and what the three policy tools return.

A policy says "when this situation arises, do (or never do) this". Its confidence is a
Beta posterior over outcomes: alpha = 1 + prior successes + successes, beta = 1 +
prior failures + failures + IGNORED_WEIGHT * ignored. The prior is evidence that is
not a live outcome: what mining saw in the history (the routine was followed / the
situation passed without it), or the user's own statement for an explicit rule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Enforcement = Literal["hard", "soft"]
PolicyStatus = Literal["proposed", "active", "retired"]
Origin = Literal["explicit", "learned", "imported"]
Outcome = Literal["success", "failure", "ignored"]
Verdict = Literal["allowed", "warn", "blocked"]

# Why 0.5: an ignored proposal says "not useful now", weaker than an explicit "that was wrong".
IGNORED_WEIGHT = 0.5


class Conditions(BaseModel):
    """Structured trigger conditions; each one present must hold for the policy to apply."""

    weekdays: list[str] = Field(default_factory=list, description="mon..sun; empty: any day.")
    time_window: str | None = Field(default=None, description="'HH:MM-HH:MM' (local time of `now`); may wrap midnight.")
    event_type: str | None = Field(default=None, description="Applies only to situations of this event type.")
    tags: list[str] = Field(default_factory=list, description="Applies only when the situation carries all these tags.")


class Rule(BaseModel):
    """The deterministic reading of an explicit rule, used by check_action (lexical, never a model)."""

    polarity: Literal["forbid", "require"]
    terms: list[str] = Field(description="Normalised terms the action must contain for the rule to apply.")
    requires: list[str] = Field(default_factory=list, description="For 'X before Y' rules: terms that show X was done.")
    unless: list[str] = Field(default_factory=list, description="Exceptions ('without approval', 'unless ...').")


class Evidence(BaseModel):
    prior_successes: float = Field(0.0, description="Mined hits, or the user's statement for explicit rules.")
    prior_failures: float = Field(0.0, description="Mined misses: the situation came and went without the action.")
    successes: int = 0
    failures: int = 0
    ignored: int = 0
    streak: int = Field(0, description="Consecutive non-success live outcomes, most recent last.")
    memories: list[str] = Field(default_factory=list, description="Ids of memories the policy was learned or stated from.")


class Policy(BaseModel):
    """One version of one policy. A change writes a new version; old versions stay readable."""

    id: str
    namespace: str
    version: int = 1
    name: str
    trigger: str = Field(description="The situation, as text (embedded for matching).")
    trigger_kind: Literal["situation", "schedule"] = Field(
        "situation", description="'schedule': the time is the situation (conditions decide, the text does not)."
    )
    trigger_terms: list[str] = Field(default_factory=list, description="Normalised terms that characterise the situation.")
    conditions: Conditions = Field(default_factory=Conditions)
    action: str
    rationale: str = ""
    enforcement: Enforcement = "soft"
    status: PolicyStatus = "proposed"
    origin: Origin = "learned"
    rule: Rule | None = None
    evidence: Evidence = Field(default_factory=Evidence)
    reason: str = Field("", description="Why this version exists (created, promoted, outcome, ...).")
    actor: str = "policy"
    created_at: datetime
    retired_at: datetime | None = None

    @property
    def alpha(self) -> float:
        return 1.0 + self.evidence.prior_successes + self.evidence.successes

    @property
    def beta(self) -> float:
        e = self.evidence
        return 1.0 + e.prior_failures + e.failures + IGNORED_WEIGHT * e.ignored

    @property
    def confidence(self) -> float:
        """Posterior mean of Beta(alpha, beta)."""
        return self.alpha / (self.alpha + self.beta)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id, "version": self.version, "name": self.name, "status": self.status,
            "enforcement": self.enforcement, "origin": self.origin, "trigger": self.trigger, "action": self.action,
            "confidence": round(self.confidence, 4), "conditions": self.conditions.model_dump(exclude_defaults=True),
        }


class Proposal(BaseModel):
    proposal_id: str = Field(description="Pass to record_outcome to say how the proposal went.")
    policy_id: str
    policy_version: int
    name: str
    action: str
    confidence: float = Field(description="Posterior mean of the policy's Beta(successes+1, failures+1).")
    similarity: float = Field(description="How well the situation matches the trigger (1 for matched schedules).")
    score: float
    enforcement: Enforcement
    rationale: str
    evidence: list[str] = Field(description="Ids of the memories the policy was learned or stated from.")


class ProposeResult(BaseModel):
    situation: str
    at: datetime
    proposals: list[Proposal] = Field(description="Best first; empty when nothing clears the thresholds.")


class OutcomeResult(BaseModel):
    policy: dict[str, Any] = Field(description="The policy's new version (summary).")
    outcome: Outcome
    proposal_id: str | None
    memory_id: str | None = Field(description="The outcome memory stored through the remember path.")
    status_change: str | None = Field(default=None, description="e.g. 'active -> retired' when the outcome triggered one.")


class AppliedPolicy(BaseModel):
    policy_id: str
    name: str
    enforcement: Enforcement
    verdict: Verdict
    match: Literal["lexical", "semantic"]
    why: str


class CheckResult(BaseModel):
    action: str
    at: datetime
    verdict: Verdict
    policies: list[AppliedPolicy] = Field(description="Policies that apply, hard first.")
