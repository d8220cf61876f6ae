"""Deterministic text handling for policies: normalised terms, reading explicit rules, checking conditions.

Nothing here is learned: whether a hard rule blocks an action must not depend on a
model, so a rule is read into terms (light stemming, a few synonyms and categories
such as "destructive") and matched lexically.

How a constraint becomes a rule (documented in docs/policy.md):
- hard: never, don't / do not, must, must not, always, no ..., cannot, under no circumstances
- soft: prefer (not) to, try (not) to, usually, ideally, avoid, should (not), better (not)
- forbid when the modal is negative, require otherwise; "X before Y" in a require rule
  means "when the action is Y, X must have been done"; "without X" / "unless X" are exceptions;
  "on Fridays", "on weekends", "after 17:00", "before 9am" become structured conditions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from server.policy.models import Conditions, Rule

# The pattern of server/memops/factgate.py's _WORD, kept apart: a policy's words and the write gate's are matched
# against different lists, and one line shared across the two packages would tie them for nothing.
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOP = frozenset(
    """a an the to of in on at for and or but with by from as is are was were be been being it its this that these those
    i you we they he she me my our your their his her them us do does did done doing have has had having will would
    can could should shall may might must not no never always any all some each every than then there here so just
    also about into over under up down out off again very more most such only own same too what which who whom when
    where why how before after during without unless while if new one""".split()
)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = {
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri", "saturday": "sat",
    "sunday": "sun",
}
# Spelling variants that should count as the same term.
SYNONYMS = {
    "prod": "production", "deployment": "deploy", "redeploy": "deploy", "release": "deploy", "rollout": "deploy",
    "approval": "approv", "approve": "approv", "approved": "approv", "sign-off": "approv", "signoff": "approv",
    "tests": "test", "testing": "test", "rollback": "roll", "rolled": "roll", "oncall": "on-call",
    "don't": "not", "dont": "not", "won't": "not", "can't": "not", "cannot": "not",
    "deleting": "delete", "deleted": "delete",
}
# A rule term that names a category matches any of its members in the action.
CATEGORIES = {
    "destructive": frozenset(
        "rm delete drop truncate wipe destroy purge erase format shred reset force overwrite kill terminate".split()
    ),
    "production": frozenset({"production", "live"}),
}
# Verbs and nouns too generic to decide whether a rule is about an action ("run destructive commands").
GENERIC = frozenset("run execute command commands use make perform do thing things action actions anything something".split())
_NEGATORS = frozenset({"no", "not", "without", "never", "missing", "lack", "lacks", "pending", "unapproved", "failed"})


def stem(word: str) -> str:
    word = SYNONYMS.get(word, word)
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-2] if word.endswith(("ses", "xes", "ches", "shes")) else word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    return SYNONYMS.get(word, word)


def tokens(text: str) -> list[str]:
    """Every word, stemmed (stop words kept): what an action or context is matched against."""
    return [stem(w) for w in _WORD.findall(text.lower().replace("-", " "))]


def terms(text: str) -> list[str]:
    """Content terms, stemmed, in order, without stop words, numbers or duplicates: what characterises a text."""
    out: list[str] = []
    for word in _WORD.findall(text.lower().replace("-", " ")):
        if word in STOP or word.isdigit() or len(word) < 2 or word.replace("'", "") in STOP:
            continue
        term = stem(word)
        if term not in out and term not in STOP:
            out.append(term)
    return out


def term_present(term: str, have: set[str]) -> bool:
    return term in have or bool(CATEGORIES.get(term, frozenset()) & have)


def coverage(wanted: list[str], have: set[str]) -> float:
    """Fraction of `wanted` terms present in `have` (categories count for their members)."""
    if not wanted:
        return 0.0
    return sum(term_present(t, have) for t in wanted) / len(wanted)


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def present_unnegated(term: str, words: list[str]) -> bool:
    """`term` occurs without a negator just before it ('approved' yes; 'not approved', 'no approval' no)."""
    for i, word in enumerate(words):
        if word == term or word in CATEGORIES.get(term, ()):
            if not any(w in _NEGATORS for w in words[max(0, i - 2) : i]):
                return True
    return False


# -- reading an explicit rule ---------------------------------------------------------------------
_MODALS: list[tuple[re.Pattern, str, str]] = [
    (re.compile(p), enforcement, polarity)
    for p, enforcement, polarity in [
        (r"^(?:please\s+)?(?:prefer not to|try not to|try to avoid|avoid|usually (?:don't|do not)|ideally (?:don't|do not)|"
         r"better not|should not|shouldn't|rather not)\b", "soft", "forbid"),
        (r"^(?:please\s+)?(?:never|don't|dont|do not|must not|mustn't|must never|should never|no|cannot|can't|"
         r"may not|shall not|always avoid|under no circumstances(?: should (?:we|i|you))?|not allowed to)\b", "hard", "forbid"),
        (r"^(?:please\s+)?(?:prefer to|prefer|try to|usually|ideally|should|it's better to|better to)\b", "soft", "require"),
        (r"^(?:please\s+)?(?:always|must|need to|have to|shall|make sure to|ensure|required to)\b", "hard", "require"),
    ]
]
_TRIGGER = re.compile(r"^(?:when|whenever|after|if|once|every time)\s+(.+?),\s*(.+)$")
_DAYS = r"(mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sundays?|weekends?|weekdays?)"
_DAY_PHRASE = re.compile(rf"\b(?:on|during|over)?\s*(?:a\s+)?{_DAYS}\b")
_TIME_PHRASE = re.compile(r"\b(after|before|past)\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm|h)?\b")
_EXCEPT = re.compile(r"\b(?:without|unless|except with|except when|except after)\s+(.+?)(?=$|\b(?:on|during|after|before)\b|[,;.])")
_BEFORE = re.compile(r"\bbefore\s+(?!\d)(.+?)(?=$|[,;.]|\b(?:on|during|without|unless)\b)")


@dataclass
class ParsedRule:
    enforcement: str
    rule: Rule
    conditions: Conditions
    trigger: str
    action: str
    name: str
    modal: bool = True
    notes: list[str] = field(default_factory=list)


def _days(word: str) -> list[str]:
    word = word.rstrip("s")
    if word == "weekend":
        return ["sat", "sun"]
    if word == "weekday":
        return list(WEEKDAYS[:5])
    return [_DAY_NAMES[word]]


def _clock(hour: str, minute: str | None, ampm: str | None) -> str:
    h, m = int(hour), int(minute or 0)
    if ampm == "pm" and h < 12:
        h += 12
    if ampm == "am" and h == 12:
        h = 0
    return f"{min(h, 23):02d}:{min(m, 59):02d}"


def parse_rule(text: str) -> ParsedRule:
    """Read a constraint statement ("never deploy on Fridays") into an enforceable rule."""
    original = " ".join(text.split())
    low = original.lower().rstrip(".!").strip()
    situation = None
    m = _TRIGGER.match(low)
    if m:
        situation, low = m.group(1), m.group(2)
    enforcement, polarity, modal = "soft", "require", False
    for pattern, enf, pol in _MODALS:
        hit = pattern.match(low)
        if hit:
            enforcement, polarity, modal = enf, pol, True
            low = low[hit.end():].strip()
            break
    if not modal and re.search(r"\b(not|never|no)\b|n't\b", low):
        polarity = "forbid"  # e.g. "deploys are not allowed on fridays": soft, documented default
    conditions = Conditions()
    days: list[str] = []
    for dm in _DAY_PHRASE.finditer(low):
        days += [d for d in _days(dm.group(1)) if d not in days]
    conditions.weekdays = [d for d in WEEKDAYS if d in days]
    body = _DAY_PHRASE.sub(" ", low)
    tm = _TIME_PHRASE.search(body)
    if tm:
        at = _clock(tm.group(2), tm.group(3), tm.group(4))
        conditions.time_window = f"{at}-23:59" if tm.group(1) in ("after", "past") else f"00:00-{at}"
        body = body[: tm.start()] + " " + body[tm.end():]
    unless: list[str] = []
    for em in _EXCEPT.finditer(body):
        unless += [t for t in terms(em.group(1)) if t not in unless]
    body = _EXCEPT.sub(" ", body)
    requires: list[str] = []
    bm = _BEFORE.search(body)
    if bm:
        after_part = terms(bm.group(1))
        before_part = terms(body[: bm.start()])
        if polarity == "require":
            # "always run smoke tests before production": when the action is Y, X must be done.
            scope = after_part
            requires = [t for t in before_part if t not in scope]
        else:
            # "never deploy to production before staging": X is forbidden until Y is done.
            scope = before_part
            unless += [t for t in after_part if t not in unless and t not in scope]
        rule_terms = scope
    else:
        rule_terms = terms(body)
    rule = Rule(
        polarity=polarity, terms=[t for t in rule_terms if t not in GENERIC] or rule_terms,
        requires=[t for t in requires if t not in GENERIC], unless=unless,
    )
    action = original if not situation else original.split(",", 1)[1].strip()
    name = " ".join(original.split()[:8]).rstrip(".,;:!").lower()
    return ParsedRule(enforcement, rule, conditions, situation or original, action, name, modal)


# -- conditions ---------------------------------------------------------------------------------
def _minutes(hhmm: str) -> int:
    h, m = hhmm.strip().split(":")
    return int(h) * 60 + int(m)


def valid_window(window: str) -> bool:
    return bool(re.fullmatch(r"\d{2}:\d{2}-\d{2}:\d{2}", window or "")) and all(
        0 <= _minutes(p) < 24 * 60 for p in window.split("-")
    )


def in_window(window: str, when: datetime) -> bool:
    start, end = (_minutes(p) for p in window.split("-"))
    now = when.hour * 60 + when.minute
    return start <= now <= end if start <= end else (now >= start or now <= end)


def conditions_hold(
    conditions: Conditions, when: datetime, *, event_type: str | None = None, tags: list[str] | None = None,
    situation_tokens: set[str] | None = None,
) -> tuple[bool, str]:
    """Whether every structured condition present holds; with a short reason either way."""
    why = []
    if conditions.weekdays:
        day = WEEKDAYS[when.weekday()]
        if day not in conditions.weekdays:
            return False, f"only on {', '.join(conditions.weekdays)} (it is {day})"
        why.append(f"it is {day}")
    if conditions.time_window:
        if not in_window(conditions.time_window, when):
            return False, f"only {conditions.time_window} (it is {when:%H:%M})"
        why.append(f"{when:%H:%M} is within {conditions.time_window}")
    if conditions.event_type:
        wanted = conditions.event_type.strip().lower()
        if event_type is not None:
            if event_type.strip().lower() != wanted:
                return False, f"only for {wanted} events"
        elif not situation_tokens or coverage(terms(wanted), situation_tokens) < 1.0:
            return False, f"only for {wanted} events"
        why.append(f"a {wanted} event")
    if conditions.tags:
        if not set(conditions.tags) <= set(tags or []):
            return False, f"only with tags {conditions.tags}"
        why.append(f"tagged {', '.join(conditions.tags)}")
    return True, "; ".join(why)
