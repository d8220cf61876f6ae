"""Metric functions on hand-made rankings."""

from __future__ import annotations

import math

import pytest

from server.bench.metrics import aggregate, all_hit_at_k, first_appearance, percentile, recall_at_k, session_metrics


def test_recall_at_k_counts_evidence_covered_by_the_top_k():
    hits = [{"D1:1"}, {"D2:5", "D2:6"}, {"D3:1"}]
    assert recall_at_k(["D2:6", "D3:1"], hits, 1) == 0.0
    assert recall_at_k(["D2:6", "D3:1"], hits, 2) == 0.5
    assert recall_at_k(["D2:6", "D3:1"], hits, 3) == 1.0
    assert recall_at_k(["D2:6"], [], 10) == 0.0


def test_recall_of_a_question_without_evidence_is_an_error():
    with pytest.raises(ValueError):
        recall_at_k([], [{"a"}], 1)


def test_all_hit_needs_every_evidence_turn():
    hits = [{"a"}, {"b"}, {"c"}]
    assert all_hit_at_k(["a", "c"], hits, 2) == 0.0
    assert all_hit_at_k(["a", "c"], hits, 3) == 1.0


def test_sessions_rank_by_first_appearance():
    session_of = {"s1_1": "s1", "s1_2": "s1", "s2_1": "s2", "s3_1": "s3"}
    assert first_appearance([{"s1_2"}, {"s1_1"}, {"s3_1"}, {"s2_1"}], session_of) == ["s1", "s3", "s2"]


def test_session_metrics_follow_longmemeval_definitions():
    ranked = ["x", "a", "y", "b"]
    m = session_metrics({"a", "b"}, ranked, 2)
    assert m == {"recall_any@2": 1.0, "recall_all@2": 0.0, "ndcg_any@2": pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))}
    m4 = session_metrics({"a", "b"}, ranked, 4)
    assert m4["recall_all@4"] == 1.0
    assert m4["ndcg_any@4"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3)))
    assert session_metrics({"a"}, ["a"], 5)["ndcg_any@5"] == 1.0


def test_aggregate_reports_overall_and_per_category_means():
    overall, by = aggregate([("x", {"r": 1.0}), ("x", {"r": 0.0}), ("y", {"r": 1.0})])
    assert overall == {"r": pytest.approx(0.6667), "questions": 3}
    assert by == {"x": {"r": 0.5, "questions": 2}, "y": {"r": 1.0, "questions": 1}}


def test_percentile_interpolates():
    assert percentile([10, 20, 30, 40], 50) == 25
    assert percentile([5], 95) == 5
    assert percentile([], 50) == 0.0
