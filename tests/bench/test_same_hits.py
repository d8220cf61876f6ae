"""bench.same_hits: two retrieval reports compared hit by hit."""

from __future__ import annotations

import json

from bench.same_hits import compare, main


def _report(*questions):
    return {"strategies": {"hybrid": {"ranked": [{"question": q, "hits": hits} for q, hits in questions]}}}


def test_same_turns_in_the_same_order_pass_and_score_differences_are_counted(tmp_path, capsys):
    before = _report(("q1", [[["D1:1"], {"vector": 0.5, "strength": 0.700001}], [["D1:2"], {"vector": 0.4, "strength": 0.6}]]))
    after = _report(("q1", [[["D1:1"], {"vector": 0.5, "strength": 0.700003}], [["D1:2"], {"vector": 0.4, "strength": 0.6}]]))
    moved, summary = compare(before, after)
    assert moved == [] and "1 of 1 questions" in summary[0] and "strength on 1 (max 2.0e-06)" in summary[0]
    assert "vector" not in summary[0]
    for name, report in (("a.json", before), ("b.json", after)):
        (tmp_path / name).write_text(json.dumps(report))
    assert main([str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 0


def test_hits_in_another_order_or_missing_fail(tmp_path):
    hit1, hit2 = [["D1:1"], {"final": 1.0}], [["D1:2"], {"final": 0.9}]
    before = _report(("q1", [hit1, hit2]), ("q2", [hit1]))
    after = _report(("q1", [hit2, hit1]))
    moved, summary = compare(before, after)
    assert moved == ["hybrid q1", "hybrid q2"] and "0 of 2 questions" in summary[0]
    for name, report in (("a.json", before), ("b.json", after)):
        (tmp_path / name).write_text(json.dumps(report))
    assert main([str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 1


def test_merged_reports_hold_their_variants_at_the_top():
    hit = [["D1:1"], {"final": 1.0}]
    cli = _report(("q1", [hit]))
    merged = {"hybrid": {"ranked": [{"question": "q1", "hits": [hit]}], "timing": {}}}
    assert compare(cli, merged)[0] == [] and "1 of 1 questions" in compare(merged, cli)[1][0]
    assert compare(merged, {"hybrid": {"ranked": [{"question": "q1", "hits": []}]}})[0] == ["hybrid q1"]
