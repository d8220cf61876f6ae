"""The policy engine: explicit rules from constraints, proposals, outcomes, action checks, and the lifecycle.

Decision points (thresholds below, explained in docs/policy.md):
- propose: an active policy whose structured conditions hold, whose trigger matches the situation
  (cosine of embeddings or lexical coverage of its trigger terms, whichever is higher) at least
  MIN_SIMILARITY, and whose posterior mean is at least MIN_CONFIDENCE. Nothing else is proposed.
- check: hard rules block only on a deterministic lexical match of the rule's terms (and conditions
  such as "on Fridays" against `now`); embeddings only add "warn" candidates.
- lifecycle (learned policies only; explicit rules change only when the user restates them):
  proposed -> active when the posterior mean reaches PROMOTE_CONFIDENCE with PROMOTE_SUPPORT successes;
  active -> proposed (demoted) below DEMOTE_CONFIDENCE; -> retired after RETIRE_STREAK non-successes in a
  row or below RETIRE_CONFIDENCE with 3+ live outcomes.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import numpy as np

from server.errors import InvalidInput, NotFound
from server.models import Memory, RememberRequest
from server.policy.models import (
    AppliedPolicy,
    CheckResult,
    Evidence,
    OutcomeResult,
    Policy,
    Proposal,
    ProposeResult,
)
from server.policy.rules import (
    conditions_hold,
    coverage,
    jaccard,
    parse_rule,
    present_unnegated,
    term_present,
    terms,
    tokens,
)
from server.policy.store import PolicyStore
from server.service import MAX_QUERY_CHARS, check_namespace, check_text, new_id

log = logging.getLogger("reverie.policy")

MIN_SIMILARITY = 0.5
MIN_CONFIDENCE = 0.6
SCHEDULE_SIMILARITY = 0.6  # a matched schedule is a real but weak cue: situation-specific matches outrank it
EXPLICIT_PRIOR = 4.0  # the user's statement counts as 4 successes: Beta(5, 1), mean 0.83
PROMOTE_CONFIDENCE, PROMOTE_SUPPORT = 0.7, 3
DEMOTE_CONFIDENCE = 0.55
RETIRE_STREAK, RETIRE_CONFIDENCE = 3, 0.4
SEMANTIC_WARN = 0.6
MAX_K = 20
OUTCOME_TAG = "policy-outcome"


def local_time(when: datetime | None, fallback: datetime) -> datetime:
    """Conditions are read in the caller's local time: an aware `now` keeps its zone; naive means UTC."""
    when = when or fallback
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def cosine(a: np.ndarray | None, b: np.ndarray | None) -> float:
    if a is None or b is None or a.shape != b.shape:
        return 0.0
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return float(a @ b) / (na * nb) if na and nb else 0.0


class PolicyEngine:
    def __init__(self, service):
        self.service = service
        self.store = PolicyStore(service.store)

    # -- plumbing -------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.service.clock.now()

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.service.embedder.embed(texts), dtype=np.float32)

    def write(self, policy: Policy, vector: np.ndarray | None, *, change: str, at: datetime | None = None) -> Policy:
        """Store `policy` as a new version and audit it, in one transaction."""
        at = at or self.now()
        with self.store.transaction():
            self.store.add_version(policy, vector)
            self.service.store.audit(
                policy.namespace, f"policy_{change}", policy.id, policy.actor, at,
                version=policy.version, status=policy.status, reason=policy.reason,
            )
        return policy

    def revise(self, old: Policy, vector: np.ndarray | None, *, change: str, reason: str, actor: str, at: datetime, **changes) -> Policy:
        """A new version of `old` with `changes`: versions are added, never rewritten."""
        new = old.model_copy(deep=True, update={**changes, "version": old.version + 1, "reason": reason, "actor": actor, "created_at": at})
        if changes.get("status") == "retired" and old.status != "retired":
            new.retired_at = at
        return self.write(Policy.model_validate(new.model_dump()), vector, change=change, at=at)

    def policies(self, namespace: str, statuses: tuple[str, ...] | None = None) -> list[tuple[Policy, np.ndarray | None]]:
        check_namespace(namespace)
        return self.store.current(namespace, statuses)

    def get(self, namespace: str, policy_id: str) -> Policy:
        """Raises:
        NotFound: no such policy in the namespace.
        """
        check_namespace(namespace)
        found = self.store.get(namespace, policy_id)
        if found is None:
            raise NotFound(f"No policy {policy_id!r} in namespace {namespace!r}.")
        return found[0]

    # -- explicit rules ---------------------------------------------------------------------------
    def on_memories_stored(self, stored: list[tuple[Memory, str]]) -> None:
        """Service hook: each stored constraint becomes (or revises) an active policy. Never fails the write.

        The triggers of a batch's constraints are embedded in one call (a batch import of rules pays one
        model run, not one per rule).
        """
        constraints = [memory for memory, _ in stored if memory.kind == "constraint"]
        if not constraints:
            return
        try:
            parsed = [parse_rule(memory.content) for memory in constraints]
            vectors = self.embed([p.trigger for p in parsed])
        except Exception:  # the memories are already committed; `reverie policy learn` rebuilds their policies
            log.exception("could not read the rules of %d stored constraints", len(constraints))
            return
        # Each namespace's policies read once for the batch, kept current as this loop writes: reading them per
        # constraint decoded every policy again for each one (quadratic in a batch import of rules).
        current: dict[str, dict[str, Policy]] = {}
        for memory, rule, vector in zip(constraints, parsed, vectors):
            try:
                known = current.get(memory.namespace)
                if known is None:
                    known = current[memory.namespace] = {p.id: p for p, _ in self.store.current(memory.namespace)}
                policy = self.from_constraint(memory, parsed=rule, vector=vector, current=sorted(known.values(), key=lambda p: p.id))
                known[policy.id] = policy
            except Exception:
                log.exception("could not turn constraint %s into a policy", memory.id)
                current.pop(memory.namespace, None)  # read again: the failed write may have been rolled back

    def from_constraint(self, memory: Memory, actor: str = "remember", *, parsed=None, vector: np.ndarray | None = None,
                        current: list[Policy] | None = None) -> Policy:
        """The policy a constraint states (`parsed` and the trigger's `vector` when the caller has them already;
        `current`: the namespace's latest policy versions in id order, when the caller holds them)."""
        parsed = parsed or parse_rule(memory.content)
        at = memory.recorded_at
        if vector is None:
            vector = self.embed([parsed.trigger])[0]
        previous = None
        for policy in current if current is not None else (p for p, _ in self.store.current(memory.namespace)):
            if memory.id in policy.evidence.memories:
                return policy  # already built from this memory
            if memory.supersedes and memory.supersedes in policy.evidence.memories:
                previous = policy
        fields = dict(
            name=parsed.name, trigger=parsed.trigger, trigger_kind="situation",
            trigger_terms=parsed.rule.terms or terms(parsed.trigger), conditions=parsed.conditions, action=parsed.action,
            rationale=f"You said: \u201c{memory.content}\u201d", enforcement=parsed.enforcement, status="active",
            origin="explicit", rule=parsed.rule,
        )
        if previous is not None:
            # Trigger: the constraint was restated and the write path superseded the old memory.
            evidence = previous.evidence.model_copy(update={"memories": previous.evidence.memories + [memory.id]})
            return self.revise(previous, vector, change="revise", reason=f"constraint restated ({memory.id})", actor=actor, at=at, evidence=evidence, **fields)
        policy = Policy(
            id=new_id("pol"), namespace=memory.namespace, created_at=at, actor=actor,
            reason=f"stated by the user as a constraint ({memory.id})",
            evidence=Evidence(prior_successes=EXPLICIT_PRIOR, memories=[memory.id]), **fields,
        )
        return self.write(policy, vector, change="create", at=at)

    def rebuild_explicit(self, namespace: str) -> int:
        """Create policies for active constraint memories that have none (e.g. stored before this feature)."""
        known = {m for p, _ in self.store.current(namespace) for m in p.evidence.memories}
        count = 0
        for _, memory in self.service.store.iter_all(namespace):
            if memory.kind == "constraint" and memory.status == "active" and memory.content and memory.id not in known:
                self.from_constraint(memory, actor="learn")
                count += 1
        return count

    # -- propose ------------------------------------------------------------------------------------
    def propose(
        self, namespace: str, situation: str, *, k: int = 3, now: datetime | None = None, event_type: str | None = None,
        tags: list[str] | None = None, actor: str = "tool",
    ) -> ProposeResult:
        """The active policies that fit this situation, best first; each proposal is stored with an id.

        Raises:
            InvalidInput: empty or oversized situation, k out of range, bad namespace.
        """
        check_namespace(namespace)
        situation = check_text(situation, "situation", MAX_QUERY_CHARS * 4)
        if len(situation) > MAX_QUERY_CHARS:
            raise InvalidInput(f"situation is {len(situation)} characters; the limit is {MAX_QUERY_CHARS}.")
        if not 1 <= k <= MAX_K:
            raise InvalidInput(f"k must be between 1 and {MAX_K}; got {k}.")
        at = self.now()
        when = local_time(now, at)
        active = self.store.current(namespace, ("active",))
        if not active:
            return ProposeResult(situation=situation, at=when, proposals=[])
        have = set(tokens(situation))
        qvec = self.embed([situation])[0]
        scored = []
        for policy, vector in active:
            ok, _ = conditions_hold(policy.conditions, when, event_type=event_type, tags=tags, situation_tokens=have)
            if not ok:
                continue
            if policy.trigger_kind == "schedule":
                if self._proposed_this_slot(namespace, policy, when):
                    continue  # don't nag: a schedule is proposed once per occurrence of its window
                similarity = SCHEDULE_SIMILARITY
            else:
                similarity = max(cosine(qvec, vector), coverage(policy.trigger_terms, have))
            confidence = policy.confidence
            if similarity < MIN_SIMILARITY or confidence < MIN_CONFIDENCE:
                continue
            scored.append((similarity * confidence, similarity, confidence, policy))
        scored.sort(key=lambda s: s[0], reverse=True)
        proposals = []
        for score, similarity, confidence, policy in scored[:k]:
            proposal = Proposal(
                proposal_id=new_id("prop"), policy_id=policy.id, policy_version=policy.version, name=policy.name,
                action=policy.action, confidence=round(confidence, 4), similarity=round(similarity, 4), score=round(score, 4),
                enforcement=policy.enforcement, rationale=policy.rationale, evidence=policy.evidence.memories[:20],
            )
            self.store.add_proposal(proposal.proposal_id, namespace, policy.id, policy.version, situation, score, when)
            proposals.append(proposal)
        return ProposeResult(situation=situation, at=when, proposals=proposals)

    def _proposed_this_slot(self, namespace: str, policy: Policy, when: datetime) -> bool:
        last = self.store.proposals_of(namespace, policy.id, limit=1)
        if not last:
            return False
        from server.clock import from_iso

        return (when - from_iso(last[0]["at"])).total_seconds() < 12 * 3600

    # -- outcomes -----------------------------------------------------------------------------------
    def record_outcome(
        self, namespace: str, outcome: str, *, proposal_id: str | None = None, action: str | None = None,
        note: str | None = None, now: datetime | None = None, actor: str = "tool",
    ) -> OutcomeResult:
        """Update the policy's posterior (a new version) and store an outcome memory linked to it.

        Raises:
            InvalidInput: neither or both of proposal_id and action, an unknown outcome, or a proposal already answered.
            NotFound: unknown proposal id, or no policy matches the action.
        """
        check_namespace(namespace)
        if outcome not in ("success", "failure", "ignored"):
            raise InvalidInput(f"outcome must be success, failure or ignored; got {outcome!r}.")
        if (proposal_id is None) == (action is None):
            raise InvalidInput("Pass exactly one of proposal_id or action.")
        if note is not None:
            note = check_text(note, "note", 2000)
        if proposal_id is not None:
            proposal = self.store.proposal(namespace, proposal_id)
            if proposal is None:
                raise NotFound(f"No proposal {proposal_id!r} in namespace {namespace!r}.")
            if self.store.has_outcome(namespace, proposal_id):
                raise InvalidInput(f"Proposal {proposal_id} already has an outcome.")
            policy = self.get(namespace, proposal["policy_id"])
        else:
            policy = self._policy_for_action(namespace, check_text(action, "action", MAX_QUERY_CHARS))
        at = now or self.now()
        memory_id = self._outcome_memory(policy, outcome, proposal_id, note, at, actor)
        e = policy.evidence
        evidence = e.model_copy(update={
            "successes": e.successes + (outcome == "success"), "failures": e.failures + (outcome == "failure"),
            "ignored": e.ignored + (outcome == "ignored"), "streak": 0 if outcome == "success" else e.streak + 1,
        })
        found = self.store.get(namespace, policy.id)
        vector = found[1] if found else None
        with self.store.transaction():
            self.store.add_outcome(namespace, policy.id, proposal_id, outcome, note, memory_id, at)
            new = self.revise(policy, vector, change="outcome", reason=f"outcome {outcome}" + (f" on {proposal_id}" if proposal_id else ""), actor=actor, at=at, evidence=evidence)
            change = self.review(new, vector, at=at, actor=actor)
        status_change = f"{policy.status} -> {change.status}" if change is not None else None
        return OutcomeResult(policy=(change or new).summary(), outcome=outcome, proposal_id=proposal_id, memory_id=memory_id, status_change=status_change)

    def _policy_for_action(self, namespace: str, action: str) -> Policy:
        candidates = self.store.current(namespace, ("active", "proposed"))
        have = set(tokens(action))
        want = set(terms(action))
        best, best_score = None, 0.0
        for policy, _ in candidates:
            pt = terms(policy.action)
            score = max(coverage(pt, have), jaccard(set(pt), want))
            if score > best_score:
                best, best_score = policy, score
        if best is None or best_score < 0.5:
            if candidates:
                vectors = self.embed([action] + [p.action for p, _ in candidates])
                sims = [cosine(vectors[0], v) for v in vectors[1:]]
                i = int(np.argmax(sims))
                if sims[i] >= 0.7:
                    return candidates[i][0]
            raise NotFound(f"No active or proposed policy in {namespace!r} matches the action {action!r}.")
        return best

    def _outcome_memory(self, policy: Policy, outcome: str, proposal_id: str | None, note: str | None, at: datetime, actor: str) -> str | None:
        """The outcome goes through the ordinary write path, so it is governed, audited and recallable."""
        text = f"Outcome {outcome} for the policy \u201c{policy.name}\u201d: {policy.action}"
        text += f" (proposal {proposal_id})" if proposal_id else f" ({at:%Y-%m-%d %H:%M})"
        if note:
            text += f". Note: {note}"
        result = self.service.remember(
            RememberRequest(
                namespace=policy.namespace, content=text, kind="outcome", tags=[OUTCOME_TAG, f"policy:{policy.id}"],
                source_ref=f"policy:{policy.id}" + (f"/{proposal_id}" if proposal_id else ""), valid_from=at,
            ),
            actor=actor,
        )
        return result.memory_ids[0] if result.memory_ids else None

    # -- lifecycle -----------------------------------------------------------------------------------
    def review(self, policy: Policy, vector: np.ndarray | None, *, at: datetime, actor: str = "learn", dry_run: bool = False) -> Policy | None:
        """Promote, demote or retire a learned policy by its posterior; returns the new version if it changed."""
        if policy.origin != "learned":
            return None  # explicit and imported rules change only when a person restates or edits them
        change = self.lifecycle(policy)
        if change is None:
            return None
        status, reason = change
        if dry_run:
            return policy.model_copy(update={"status": status, "reason": reason})
        action = {"active": "promote", "proposed": "demote", "retired": "retire"}[status]
        return self.revise(policy, vector, change=action, reason=reason, actor=actor, at=at, status=status)

    @staticmethod
    def lifecycle(policy: Policy) -> tuple[str, str] | None:
        e, c = policy.evidence, policy.confidence
        live = e.successes + e.failures + e.ignored
        if policy.status != "retired":
            if e.streak >= RETIRE_STREAK:
                return "retired", f"retired: the last {e.streak} proposals failed or were ignored"
            if (live >= 3 or live + e.prior_successes + e.prior_failures >= 5) and c < RETIRE_CONFIDENCE:
                return "retired", f"retired: confidence {c:.2f} fell below {RETIRE_CONFIDENCE}"
        if policy.status == "active" and c < DEMOTE_CONFIDENCE:
            return "proposed", f"demoted: confidence {c:.2f} fell below {DEMOTE_CONFIDENCE}"
        if policy.status == "proposed" and c >= PROMOTE_CONFIDENCE and e.prior_successes + e.successes >= PROMOTE_SUPPORT:
            return "active", f"promoted: confidence {c:.2f} with {e.prior_successes + e.successes:g} supporting observations"
        return None

    # -- check ------------------------------------------------------------------------------------------
    def check(self, namespace: str, action: str, *, context: str | None = None, now: datetime | None = None) -> CheckResult:
        """allowed | warn | blocked for an action, with the policies that apply and why.

        Blocked needs a hard rule whose terms all occur in the action (deterministic), whose conditions hold
        at `now` and whose exceptions ("without approval") are not met by the action or context.

        Raises:
            InvalidInput: empty or oversized action or context, bad namespace.
        """
        check_namespace(namespace)
        action = check_text(action, "action", MAX_QUERY_CHARS)
        if context is not None and context.strip():
            context = check_text(context, "context", MAX_QUERY_CHARS * 4)
        when = local_time(now, self.now())
        act = tokens(action)
        words = act + tokens(context or "")
        have_action, have_all = set(act), set(words)
        applied: list[AppliedPolicy] = []
        lexical: set[str] = set()
        rules = [(p, v) for p, v in self.store.current(namespace, ("active",)) if p.rule is not None and p.rule.terms]
        for policy, _ in rules:
            rule = policy.rule
            if not all(term_present(t, have_action) for t in rule.terms):
                continue
            lexical.add(policy.id)
            ok, cond_why = conditions_hold(policy.conditions, when, situation_tokens=have_all)
            if not ok:
                continue  # e.g. "never deploy on Fridays" on a Thursday
            verdict = "blocked" if policy.enforcement == "hard" else "warn"
            if rule.polarity == "forbid":
                met = [t for t in rule.unless if present_unnegated(t, words)]
                if met:
                    continue
                why = f"\u201c{policy.trigger}\u201d forbids {' '.join(rule.terms)}"
                if rule.unless:
                    why += f" without {' / '.join(rule.unless)}"
            else:
                if not rule.requires:
                    continue  # "always X" with no scope: a suggestion, not a check
                missing = [t for t in rule.requires if not present_unnegated(t, words)]
                if not missing:
                    continue
                why = f"\u201c{policy.trigger}\u201d requires {' '.join(missing)} first; the action and context do not show it"
            if cond_why:
                why += f" ({cond_why})"
            applied.append(AppliedPolicy(policy_id=policy.id, name=policy.name, enforcement=policy.enforcement, verdict=verdict, match="lexical", why=why))
        others = [(p, v) for p, v in rules if p.id not in lexical]
        if others:
            qvec = self.embed([action])[0]
            for policy, vector in others:
                sim = cosine(qvec, vector)
                ok, _ = conditions_hold(policy.conditions, when, situation_tokens=have_all)
                if ok and sim >= SEMANTIC_WARN:
                    applied.append(AppliedPolicy(
                        policy_id=policy.id, name=policy.name, enforcement=policy.enforcement, verdict="warn", match="semantic",
                        why=f"resembles \u201c{policy.trigger}\u201d (similarity {sim:.2f}); not a lexical match, so it cannot block",
                    ))
        order = {"blocked": 0, "warn": 1, "allowed": 2}
        applied.sort(key=lambda a: (order[a.verdict], a.enforcement != "hard"))
        verdict = applied[0].verdict if applied else "allowed"
        return CheckResult(action=action, at=when, verdict=verdict, policies=applied)
