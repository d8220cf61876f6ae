"""The latency plot places each measurement where its size and time say, on log axes, and reads peer reports."""

import json
import xml.etree.ElementTree as ET

import pytest

from bench.latency_plot import peer_points, svg_latency

SVG = "{http://www.w3.org/2000/svg}"


def test_points_sit_where_their_values_say(tmp_path):
    out = tmp_path / "lat.svg"
    svg_latency({"p50": [(1_000, 10.0), (100_000, 40.0)]}, out, points=[("peer", 10_000, 400.0)], target_ms=25)
    root = ET.parse(out).getroot()
    (line,) = root.iter(f"{SVG}polyline")
    (a_x, a_y), (b_x, b_y) = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
    assert b_x > a_x and b_y < a_y  # bigger store to the right, slower higher up
    marker = [r for r in root.iter(f"{SVG}rect") if r.get("width") == "8"][0]
    x = float(marker.get("x")) + 4
    assert a_x < x < b_x and abs((x - a_x) - (b_x - x)) < 1  # 10k halfway between 1k and 100k on a log axis
    assert any("target: 25 ms" in (t.text or "") for t in root.iter(f"{SVG}text"))


def test_nothing_to_plot_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="nothing to plot"):
        svg_latency({}, tmp_path / "lat.svg")


def test_peer_points_skip_reverie_and_failed_peers(tmp_path):
    (tmp_path / "locomo-mem0.json").write_text(json.dumps({"system": "mem0", "timing": {"turns": 568, "recall_p50_ms": 398.5}}))
    (tmp_path / "locomo-broken.json").write_text(json.dumps({"system": "broken", "error": "ImportError"}))
    (tmp_path / "locomo-reverie-learned.json").write_text(json.dumps({"hybrid": {}}))
    assert peer_points(tmp_path) == [("mem0", 568.0, 398.5)]
