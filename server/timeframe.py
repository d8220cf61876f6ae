"""Time frames named in a query ("a couple of days ago", "last month", "in March") as a window of dates.

Why: "What did I cook for my friend a couple of days ago?" asks about one stretch of time; its words match
every cooking memory equally. Recall favours memories whose date (valid_from, else recorded_at) falls in the
window the query names, relative to the recall's `now`. The window is a preference, not a filter: people
misremember dates, and a query whose window holds nothing ranks as it would without one. Vague words
("recently", "lately") and questions about the distance itself ("how many days ago did I...") name no window.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

_COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "a couple": 2, "couple of": 2,
           "a few": 3, "few": 3, "several": 4}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30.44, "year": 365.25}
_MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())}, sept=9)
_WEEKDAYS = {d: i for i, d in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())}

_COUNT = r"(?P<n>\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|(?:a )?couple(?: of)?|(?:a )?few|several)"
_UNIT = r"(?P<unit>day|week|month|year)s?"
# "how many days ago", "how long ago": the distance is the question, not a constraint.
_ASKS_DISTANCE = re.compile(r"\bhow (?:many|long|much)\b[^?.!]*\bago\b", re.I)
_AGO = re.compile(rf"\b{_COUNT} {_UNIT} ago\b", re.I)
_PAST = re.compile(rf"\b(?:in|over|during) the (?:last|past) (?:{_COUNT} )?{_UNIT}\b", re.I)
_LAST = re.compile(r"\blast (?P<what>night|week|weekend|month|year|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)
_THIS = re.compile(r"\b(?:earlier )?this (?P<what>morning|afternoon|evening|week|month|year)\b", re.I)
_DAY = re.compile(r"\b(?P<what>yesterday|today|tonight)\b", re.I)
_IN_MONTH = re.compile(
    r"\b(?:in|during|back in) (?P<month>january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b(?:,? (?P<year>(?:19|20)\d\d))?", re.I)


@dataclass(frozen=True)
class TimeWindow:
    """[start, end): the stretch of time a query names; `phrase` is the words that named it."""

    start: datetime
    end: datetime
    phrase: str

    def holds(self, when: datetime) -> bool:
        return self.start <= when < self.end

    def holds_any(self, when: datetime, sources: Sequence[datetime] = ()) -> bool:
        """Whether a memory dated `when` falls in the window, or, for one that sleep consolidated, any of its sources."""
        return self.holds(when) or any(self.holds(d) for d in sources)


# A memory sleep consolidated stands for episodes of several dates: its own date is its latest source's, and
# a query about an earlier one ("last month") should still find it (see `MemoryService.recall`). Off, recall
# dates it by its latest source alone, as before session 7: bench/sleep_check.py flips it to measure that.
SOURCE_DATES = True


def window(query: str, now: datetime) -> TimeWindow | None:
    """The first time frame `query` names, relative to `now` (timezone-aware), or None."""
    if _ASKS_DISTANCE.search(query):
        return None
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for finder in (_ago, _past, _last, _this, _day, _in_month):
        found = finder(query, now, day)
        if found is not None:
            return found
    return None


def without_frame(query: str, frame: TimeWindow | None) -> str:
    """`query` without the words of a relative time frame it names: what its embedding and keywords should see.

    Why: the frame is already a preference on dates (`holds`), and relative words mean a different time in
    every message: left in, "in the past three months" matches every message that says "for the past three
    months", whatever its subject, and outranks the trips the question asks about. A calendar name ("in June",
    "in March 2023") keeps its words: a message can say "in June" and mean the same June. A query that is only
    a frame keeps its words too.
    """
    if frame is None or _IN_MONTH.fullmatch(frame.phrase):
        return query
    i = query.lower().find(frame.phrase.lower())
    if i < 0:
        return query
    rest = re.sub(r"\s+([?.!,;:])", r"\1", re.sub(r"\s{2,}", " ", query[:i] + query[i + len(frame.phrase):])).strip()
    return rest if re.search(r"\w", rest) else query


def _count(text: str | None) -> int:
    if not text:
        return 1
    text = text.lower()
    return int(text) if text.isdigit() else _COUNTS[text]


def _ago(query: str, now: datetime, day: datetime) -> TimeWindow | None:
    m = _AGO.search(query)
    if not m:
        return None
    n, unit = _count(m["n"]), _UNIT_DAYS[m["unit"].lower()]
    centre = day - timedelta(days=n * unit)
    # Slack grows with the distance: "10 days ago" is rarely exact, "two years ago" even less so.
    slack = timedelta(days=max(1.0, 0.3 * n * unit, unit / 2 if unit > 1 else 0))
    if m["n"].lower() in ("a few", "few", "several"):
        slack += timedelta(days=unit)
    return TimeWindow(centre - slack, min(centre + slack + timedelta(days=1), now), m.group(0))


def _past(query: str, now: datetime, day: datetime) -> TimeWindow | None:
    m = _PAST.search(query)
    if not m:
        return None
    span = _count(m["n"]) * _UNIT_DAYS[m["unit"].lower()]
    return TimeWindow(day - timedelta(days=span), now, m.group(0))


def _last(query: str, now: datetime, day: datetime) -> TimeWindow | None:
    m = _LAST.search(query)
    if not m:
        return None
    what = m["what"].lower()
    monday = day - timedelta(days=day.weekday())
    if what == "night":
        return TimeWindow(day - timedelta(days=1), day + timedelta(hours=6), m.group(0))
    if what == "week":
        return TimeWindow(monday - timedelta(days=7), monday, m.group(0))
    if what == "weekend":  # the latest Saturday and Sunday that are over (on a weekend: the one before)
        saturday = monday - timedelta(days=2)
        return TimeWindow(saturday, saturday + timedelta(days=2), m.group(0))
    if what == "month":
        first = day.replace(day=1)
        previous = (first - timedelta(days=1)).replace(day=1)
        return TimeWindow(previous, first, m.group(0))
    if what == "year":
        return TimeWindow(day.replace(year=day.year - 1, month=1, day=1), day.replace(month=1, day=1), m.group(0))
    back = (day.weekday() - _WEEKDAYS[what]) % 7 or 7  # "last Tuesday" on a Tuesday: a week ago
    start = day - timedelta(days=back)
    return TimeWindow(start, start + timedelta(days=1), m.group(0))


def _this(query: str, now: datetime, day: datetime) -> TimeWindow | None:
    m = _THIS.search(query)
    if not m:
        return None
    what = m["what"].lower()
    if what in ("morning", "afternoon", "evening"):
        start = day
    elif what == "week":
        start = day - timedelta(days=day.weekday())
    elif what == "month":
        start = day.replace(day=1)
    else:
        start = day.replace(month=1, day=1)
    return TimeWindow(start, now, m.group(0))


def _day(query: str, now: datetime, day: datetime) -> TimeWindow | None:
    m = _DAY.search(query)
    if not m:
        return None
    if m["what"].lower() == "yesterday":
        return TimeWindow(day - timedelta(days=1), day, m.group(0))
    return TimeWindow(day, now, m.group(0))


def _in_month(query: str, now: datetime, day: datetime) -> TimeWindow | None:
    m = _IN_MONTH.search(query)
    if not m:
        return None
    word = m["month"].lower()
    if word == "may" and not m["year"] and re.match(r" (?:i|we|you|he|she|they)\b", query[m.end():], re.I):
        return None  # "...in may I ask": the verb, not the month
    month = _MONTHS[word]
    year = int(m["year"]) if m["year"] else (day.year if month <= day.month else day.year - 1)
    start = day.replace(year=year, month=month, day=1)
    end = start.replace(year=year + 1, month=1) if month == 12 else start.replace(month=month + 1)
    return TimeWindow(start, end, m.group(0))
