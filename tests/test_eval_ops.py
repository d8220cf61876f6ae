"""`reverie eval ops` scores decisions through the real remember path (fresh namespace per case, dry run)."""

from __future__ import annotations

import json

from server.cli import main
from tests.conftest import MODEL_CACHE

CASES = [
    {"id": "t1", "existing": [], "new": "My GitHub token is ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
     "expect": {"action": "block", "target": None, "kind": None}},
    {"id": "t2", "existing": [{"content": "Prefers tea over coffee", "kind": "preference"}],
     "new": "Prefers tea over coffee", "expect": {"action": "noop", "target": 0, "kind": ["preference"]}},
    {"id": "t3", "existing": [], "new": "hi there!", "expect": {"action": "skip", "target": None, "kind": None}},
]


def test_eval_ops_reports_model_and_rules_accuracy(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REVERIE_EMBEDDING_MODEL", "offline")
    monkeypatch.setenv("REVERIE_EMBEDDING_CACHE_DIR", str(MODEL_CACHE))
    monkeypatch.setenv("REVERIE_DB", str(tmp_path / "unused.db"))
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(c) for c in CASES))
    assert main(["eval", "ops", str(cases), "--json"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out[: out.rindex("action accuracy:")])
    assert report["model"]["per_action"]["block"] == 1.0  # redacted: the stored text no longer holds the secret
    assert report["model"]["per_action"]["noop"] == 1.0  # exact duplicate
    assert [r["id"] for r in report["model"]["results"]] == ["t1", "t2", "t3"]
    assert out.strip().splitlines()[-1].startswith("action accuracy: ")
    assert not (tmp_path / "unused.db").exists()  # evaluation never touches the user's database
