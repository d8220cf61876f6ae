from server.memops.evaluate import evaluate

CASES = [
    {"id": "a", "existing": [{"content": "x", "kind": "fact"}], "new": "y",
     "expect": {"action": "supersede", "target": 0, "kind": ["fact"]}},
    {"id": "b", "existing": [], "new": "hi", "expect": {"action": "skip", "target": None, "kind": None}},
    {"id": "c", "existing": [], "new": "sk-123", "expect": {"action": "block", "target": None, "kind": None}},
]


def test_a_perfect_decider_scores_one_and_block_cases_are_reported_apart():
    rep = evaluate(lambda c: {"action": c["expect"]["action"], "target": c["expect"]["target"], "kind": "fact"}, CASES)
    assert rep["action_accuracy"] == 1.0
    assert rep["n"] == 2
    assert rep["block_cases"]["n"] == 1


def test_right_action_on_the_wrong_target_counts_as_wrong():
    rep = evaluate(lambda c: {"action": c["expect"]["action"], "target": 5, "kind": "fact"}, CASES[:1])
    assert rep["action_accuracy"] == 0.0
    assert rep["supersede_recall"] == 0.0
