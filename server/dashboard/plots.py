"""Inline SVG charts, drawn in Python: no JavaScript, no network, no plotting library.

Each function returns one `<svg>` string sized by its viewBox (it scales with the page).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

W, H = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 52
TIER_COLORS = {"working": "#d97706", "episodic": "#2563eb", "semantic": "#059669", "archival": "#6b7280"}
PALETTE = ["#2563eb", "#059669", "#d97706", "#db2777", "#7c3aed", "#0891b2", "#65a30d", "#6b7280"]


def _frame(title: str, body: str, legend: Sequence[tuple[str, str]] = ()) -> str:
    items = "".join(
        f'<g transform="translate({LEFT + 120 * i},{H - 14})"><rect width="10" height="10" y="-9" fill="{color}"/>'
        f'<text x="14" font-size="11">{escape(label)}</text></g>'
        for i, (label, color) in enumerate(legend)
    )
    return (f'<svg class="plot" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{escape(title)}</title>{body}{items}</svg>")


def _axes(x_labels: Sequence[tuple[float, str]], y_max: float, y_fmt=lambda v: f"{v:g}") -> str:
    x0, x1, y0, y1 = LEFT, W - RIGHT, H - BOTTOM, TOP
    out = [f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#9ca3af"/>', f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#9ca3af"/>']
    for i in range(5):
        value = y_max * i / 4
        y = y0 - (y0 - y1) * i / 4
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{escape(y_fmt(value))}</text>')
    for frac, label in x_labels:
        x = x0 + (x1 - x0) * frac
        anchor = "start" if frac <= 0.0 else "end" if frac >= 1.0 else "middle"
        out.append(f'<text x="{x:.1f}" y="{y0 + 14}" font-size="10" text-anchor="{anchor}">{escape(label)}</text>')
    return "".join(out)


def _xy(frac_x: float, frac_y: float) -> tuple[float, float]:
    return LEFT + (W - RIGHT - LEFT) * frac_x, (H - BOTTOM) - (H - BOTTOM - TOP) * frac_y


def empty(title: str, message: str) -> str:
    return _frame(title, f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" font-size="13" fill="#6b7280">{escape(message)}</text>')


def tiers_over_time(days: Sequence[str], counts: dict[str, Sequence[int]]) -> str:
    """Stacked areas: cumulative memories per tier by the day they were recorded."""
    title = "Memories by tier over time"
    if not days:
        return empty(title, "No memories yet")
    tiers = [t for t in TIER_COLORS if t in counts] + [t for t in counts if t not in TIER_COLORS]
    totals = [sum(counts[t][i] for t in tiers) for i in range(len(days))]
    top = _nice(max(totals) or 1)
    n = max(1, len(days) - 1)
    body, base = [], [0] * len(days)
    for tier in tiers:
        upper = [base[i] + counts[tier][i] for i in range(len(days))]
        pts = [_xy(i / n if len(days) > 1 else 0.5, upper[i] / top) for i in range(len(days))]
        back = [_xy(i / n if len(days) > 1 else 0.5, base[i] / top) for i in reversed(range(len(days)))]
        if len(days) == 1:  # a single day: a bar
            (x, y), (_, yb) = pts[0], back[0]
            body.append(f'<rect x="{x - 20:.1f}" y="{y:.1f}" width="40" height="{yb - y:.1f}" fill="{TIER_COLORS.get(tier, "#999")}"/>')
        else:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts + back)
            body.append(f'<polygon points="{path}" fill="{TIER_COLORS.get(tier, "#999")}" fill-opacity="0.8"/>')
        base = upper
    labels = [(0.0, days[0]), (1.0, days[-1])] if len(days) > 1 else [(0.5, days[0])]
    if len(days) > 2:
        labels.insert(1, (0.5, days[len(days) // 2]))
    return _frame(title, _axes(labels, top) + "".join(body), [(t, TIER_COLORS.get(t, "#999")) for t in tiers])


def decay_curves(curves: Sequence[tuple[str, float, float]], horizon_days: int = 90, marker: tuple[float, float] | None = None) -> str:
    """Strength over the coming days, s * exp(-rate * t), one line per (label, strength, rate); `marker` = (day, strength)."""
    title = "Strength decay"
    if not curves:
        return empty(title, "No active memories")
    top = _nice(max(max(s for _, s, _ in curves), marker[1] if marker else 0, 0.1))
    body, legend = [], []
    for i, (label, strength, rate) in enumerate(curves):
        color = PALETTE[i % len(PALETTE)]
        pts = [_xy(t / horizon_days, strength * math.exp(-rate * t) / top) for t in range(0, horizon_days + 1, 3)]
        body.append(f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}" fill="none" stroke="{color}" stroke-width="2"/>')
        legend.append((label, color))
    if marker:
        x, y = _xy(min(marker[0], horizon_days) / horizon_days, marker[1] / top)
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#dc2626"><title>now</title></circle>')
    labels = [(i / 3, f"{horizon_days * i // 3} d") for i in range(4)]
    return _frame(title, _axes(labels, top, lambda v: f"{v:.2f}") + "".join(body), legend[:5])


def hit_rate(weeks: Sequence[tuple[str, int, int]]) -> str:
    """Bars: the share of recalled memories marked helpful, per week, from (week, helpful, total)."""
    title = "Recall hit rate (feedback)"
    if not weeks:
        return empty(title, "No feedback yet: the feedback tool records helpful, irrelevant and wrong")
    n = len(weeks)
    slot = (W - RIGHT - LEFT) / n
    body = []
    for i, (week, helpful, total) in enumerate(weeks):
        rate = helpful / total if total else 0.0
        x = LEFT + slot * i + slot * 0.15
        _, y = _xy(0, rate)
        height = (H - BOTTOM) - y
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" fill="#059669">'
                    f"<title>{escape(week)}: {helpful}/{total} helpful</title></rect>")
        body.append(f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" font-size="10" text-anchor="middle">{rate:.0%}</text>')
    step = max(1, n // 6)
    labels = [((i + 0.5) / n, weeks[i][0]) for i in range(0, n, step)]
    return _frame(title, _axes(labels, 1.0, lambda v: f"{v:.0%}") + "".join(body), [("helpful / all feedback", "#059669")])


def _nice(value: float) -> float:
    """A round upper bound for an axis."""
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5, 10):
        if value <= m * exp:
            return m * exp
    return 10 * exp
