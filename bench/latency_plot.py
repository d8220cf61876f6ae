"""Recall latency against store size, as a hand-written SVG (no plotting dependency).

`bench/core.py` measures Reverie's recall at several store sizes and calls `svg_latency`; peers, which ingest
about one turn per second here and so cannot be filled to 10k, appear as single points at the size of the store
they were measured on (`peer_points` reads their retrieval reports).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]


def peer_points(results: Path, dataset: str = "locomo") -> list[tuple[str, float, float]]:
    """(name, store size, recall p50 ms) for each peer report `<dataset>-<peer>*.json` in `results`.

    Store size is the turns the peer was given: its own write path may have merged a few of them.
    """
    points = []
    for path in sorted(results.glob(f"{dataset}-*.json")):
        if "-reverie-" in path.name:
            continue
        report = json.loads(path.read_text())
        timing = report.get("timing") or {}
        if "error" in report or not timing.get("recall_p50_ms") or not timing.get("turns"):
            continue
        points.append((report.get("system", path.stem), float(timing["turns"]), float(timing["recall_p50_ms"])))
    return points


def svg_latency(series: dict[str, list[tuple[float, float]]], path: Path, *, points: list[tuple[str, float, float]] = (),
                target_ms: float | None = None, title: str = "recall latency vs store size") -> None:
    """Lines for `series` (name -> [(store size, ms)]), markers for `points` (name, size, ms); log-log axes."""
    w, h, left, right, top, bottom = 820, 380, 60, 390, 28, 46
    sizes = [s for line in series.values() for s, _ in line] + [s for _, s, _ in points]
    values = [v for line in series.values() for _, v in line] + [v for _, _, v in points] + ([target_ms] if target_ms else [])
    if not sizes or not values:
        raise ValueError("nothing to plot")
    x_lo, x_hi = 10 ** math.floor(math.log10(min(sizes))), 10 ** math.ceil(math.log10(max(sizes)))
    y_lo, y_hi = 10 ** math.floor(math.log10(max(min(values), 0.1))), 10 ** math.ceil(math.log10(max(values)))
    if x_hi == x_lo:
        x_hi *= 10
    if y_hi == y_lo:
        y_hi *= 10
    px = lambda s: left + (w - left - right) * (math.log10(s) - math.log10(x_lo)) / (math.log10(x_hi) - math.log10(x_lo))  # noqa: E731
    py = lambda v: top + (h - top - bottom) * (1 - (math.log10(v) - math.log10(y_lo)) / (math.log10(y_hi) - math.log10(y_lo)))  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
             f'<rect width="{w}" height="{h}" fill="white"/>',
             f'<text x="{(left + w - right) / 2}" y="16" text-anchor="middle" font-weight="bold">{title}</text>']
    decade = x_lo
    while decade <= x_hi:
        parts.append(f'<line x1="{px(decade):.1f}" y1="{top}" x2="{px(decade):.1f}" y2="{h - bottom}" stroke="#ddd"/>')
        parts.append(f'<text x="{px(decade):.1f}" y="{h - bottom + 16}" text-anchor="middle">{decade:,.0f}</text>')
        decade *= 10
    for mantissa_decade in _ticks(y_lo, y_hi):
        parts.append(f'<line x1="{left}" y1="{py(mantissa_decade):.1f}" x2="{w - right}" y2="{py(mantissa_decade):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{py(mantissa_decade) + 4:.1f}" text-anchor="end">{mantissa_decade:g}</text>')
    parts.append(f'<text x="{(left + w - right) / 2}" y="{h - 10}" text-anchor="middle">memories in the namespace</text>')
    parts.append(f'<text x="14" y="{(top + h - bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 {(top + h - bottom) / 2})">ms</text>')
    legend = []
    if target_ms:
        parts.append(f'<line x1="{left}" y1="{py(target_ms):.1f}" x2="{w - right}" y2="{py(target_ms):.1f}" stroke="#555" stroke-dasharray="5,4"/>')
        legend.append((f"target: {target_ms:g} ms", "#555", "dash"))
    for j, (name, line) in enumerate(series.items()):
        color = COLORS[j % len(COLORS)]
        pts = " ".join(f"{px(s):.1f},{py(v):.1f}" for s, v in sorted(line))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts += [f'<circle cx="{px(s):.1f}" cy="{py(v):.1f}" r="3" fill="{color}"/>' for s, v in line]
        legend.append((name, color, "line"))
    for j, (name, size, ms) in enumerate(points):
        color = COLORS[(len(series) + j) % len(COLORS)]
        parts.append(f'<rect x="{px(size) - 4:.1f}" y="{py(ms) - 4:.1f}" width="8" height="8" fill="{color}"/>')
        legend.append((name, color, "mark"))
    for i, (name, color, style) in enumerate(legend):
        x, y = w - right + 14, top + 14 + 18 * i
        if style == "mark":
            parts.append(f'<rect x="{x + 5}" y="{y - 8}" width="8" height="8" fill="{color}"/>')
        else:
            dash = ' stroke-dasharray="5,4"' if style == "dash" else ""
            parts.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 18}" y2="{y - 4}" stroke="{color}" stroke-width="2"{dash}/>')
        parts.append(f'<text x="{x + 24}" y="{y}">{_escape(name)}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n")


def _ticks(lo: float, hi: float) -> list[float]:
    """1, 2, 5 times each power of ten between lo and hi."""
    out, decade = [], lo
    while decade <= hi:
        out += [m * decade for m in (1, 2, 5) if lo <= m * decade <= hi]
        decade *= 10
    return out


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
