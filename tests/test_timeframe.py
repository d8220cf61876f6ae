"""Time frames in queries: what each names, relative to now, and what names none."""

from datetime import datetime, timezone

import pytest

from server.timeframe import window

NOW = datetime(2024, 3, 14, 18, 30, tzinfo=timezone.utc)  # a Thursday


def d(month, day, year=2024, hour=0):
    return datetime(year, month, day, hour, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "query, inside, outside",
    [
        ("I mentioned cooking something for my friend a couple of days ago. What was it?", [d(3, 12, hour=19)], [d(3, 8), d(3, 14, hour=12)]),
        ("What kitchen appliance did I buy 10 days ago?", [d(3, 4), d(3, 6)], [d(2, 20), d(3, 12)]),
        ("what did we talk about two weeks ago", [d(2, 29)], [d(3, 12), d(1, 20)]),
        ("Which pair of shoes did I clean last month?", [d(2, 1), d(2, 29, hour=23)], [d(3, 1), d(1, 31)]),
        ("What game did I finally beat last weekend?", [d(3, 9), d(3, 10, hour=20)], [d(3, 8), d(3, 11)]),
        ("what did I eat last Tuesday", [d(3, 12, hour=13)], [d(3, 13), d(3, 5)]),
        ("the book I started last Thursday", [d(3, 7, hour=9)], [d(3, 14)]),  # on a Thursday: a week ago
        ("who did I meet yesterday", [d(3, 13, hour=22)], [d(3, 14, hour=1), d(3, 12)]),
        ("what did I plan earlier this week?", [d(3, 11), d(3, 14, hour=9)], [d(3, 10)]),
        ("any gigs in the past 3 days", [d(3, 12)], [d(3, 10)]),
        ("what did I read in March", [d(3, 2)], [d(2, 28), d(3, 2, year=2023)]),
        ("trips in December", [d(12, 24, year=2023)], [d(12, 24)]),  # the latest December that has begun
        ("the concert in May 2022", [d(5, 20, year=2022)], [d(5, 20, year=2023)]),
        ("what did I buy last year", [d(6, 1, year=2023)], [d(1, 2)]),
    ],
)
def test_named_frames(query, inside, outside):
    frame = window(query, NOW)
    assert frame is not None, query
    for when in inside:
        assert frame.holds(when), (query, frame, when)
    for when in outside:
        assert not frame.holds(when), (query, frame, when)


@pytest.mark.parametrize(
    "query",
    [
        "How many days ago did I attend the Maundy Thursday service?",  # the distance is the question
        "How many months ago did I attend the photography workshop?",
        "What workshop did Caroline attend recently?",  # vague
        "Where does Ana live?",
        "In may I ask what my dentist's name is",  # the verb, not the month
    ],
)
def test_no_frame(query):
    assert window(query, NOW) is None


def test_the_window_never_reaches_past_now():
    frame = window("what did I do this morning", NOW)
    assert frame.start == d(3, 14) and frame.end == NOW
