"""The `reverie` command for people: doctor, remember/recall, export/import, reembed, bad configuration."""

from __future__ import annotations

import json

import pytest

from server.cli import main
from tests.conftest import MODEL_CACHE


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("REVERIE_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("REVERIE_EMBEDDING_MODEL", "offline")
    monkeypatch.setenv("REVERIE_EMBEDDING_CACHE_DIR", str(MODEL_CACHE))
    monkeypatch.setenv("REVERIE_NAMESPACE", "cli")
    return tmp_path


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_doctor_passes_on_a_working_install(env, capsys):
    code, out, _ = run(capsys, "doctor")
    assert code == 0, out
    assert "FAIL" not in out and "sqlite driver" in out and "embedding model" in out


def test_remember_recall_export_import_round_trip(env, capsys, tmp_path):
    code, out, _ = run(capsys, "remember", "Grandma's birthday is on 14 May", "--kind", "event", "--tag", "family")
    assert code == 0 and json.loads(out)["decision"] == "add"
    code, out, _ = run(capsys, "recall", "when is grandma's birthday")
    assert code == 0 and "Grandma's birthday is on 14 May" in out
    export = tmp_path / "out.jsonl"
    assert run(capsys, "export", "--output", str(export))[0] == 0
    lines = export.read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["tags"] == ["family"]
    other = tmp_path / "other.db"
    code, out, _ = run(capsys, "import", str(export), "--db", str(other))
    assert code == 0 and json.loads(out)["imported"] == 1
    code, out, _ = run(capsys, "import", str(export), "--db", str(other))
    assert json.loads(out)["imported"] == 0 and json.loads(out)["skipped"] == 1


def test_bad_configuration_is_one_clear_error(env, capsys, monkeypatch):
    monkeypatch.setenv("REVERIE_NAMESPACE", "has spaces")
    code, _, err = run(capsys, "stats")
    assert code == 2 and "invalid configuration" in err and "namespace" in err


def test_opening_with_another_model_names_the_fix(env, capsys, monkeypatch):
    assert run(capsys, "remember", "Likes hiking")[0] == 0
    monkeypatch.setenv("REVERIE_EMBEDDING_MODEL", "BAAI/bge-small-en-v1.5")
    code, _, err = run(capsys, "recall", "hiking")
    assert code == 2 and "reembed" in err
