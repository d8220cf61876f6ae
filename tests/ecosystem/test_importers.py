"""Migration from other memory servers: every record goes through the write path (secrets, dedupe) as
source=imported with provenance to the original, and importing the same file twice adds nothing."""

from __future__ import annotations

import json

import pytest

from server.cli import main
from server.ecosystem.importers import import_items, read
from server.errors import InvalidInput
from tests.conftest import MODEL_CACHE
from tests.ecosystem.conftest import FIXTURES

CASES = {
    "mcp-memory-jsonl": (FIXTURES / "memory.jsonl", "hunter2pass", "Priya Raman: Prefers Python over Go for data tooling"),
    "mem0": (FIXTURES / "mem0_export.json", "sk-proj-Q8f3LmZp2Rt9Wx7Yv4Ka1Bc6", "Is vegetarian and avoids mushrooms"),
    "mcp-memory-service": (FIXTURES / "mcp_memory_service_export.json", "AKIAIOSFODNN7EXAMPLE",
                           "Decided to use FastAPI rather than Flask for the billing service"),
    "markdown": (FIXTURES / "notes", "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "Coffee: flat white, no sugar"),
}


def stored(app, ns: str):
    return [m for _, m in app.store.iter_all(ns)]


@pytest.mark.parametrize("fmt", list(CASES))
def test_import_goes_through_the_write_path_and_is_idempotent(app, fmt):
    path, secret, duplicated = CASES[fmt]
    parsed = read(fmt, path)
    first = import_items(app.service, "mig", parsed.items)
    assert first["imported"] + first["merged"] + first["skipped"] == first["read"] == len(parsed.items)
    assert first["imported"] >= len(parsed.items) - 2
    assert first["merged"] >= 1  # the fixture's duplicate
    assert len(first["redacted"]) == 1  # the fixture's secret
    memories = stored(app, "mig")
    assert memories and all(m.source == "imported" for m in memories)
    assert all(any(p.startswith("ref:") for p in m.provenance) for m in memories)
    assert not any(secret in m.content for m in memories)
    assert sum(m.content == duplicated for m in memories) == 1
    audit = app.store.audit_entries("mig", limit=500)
    assert audit and all(a.actor == "import" for a in audit if a.action in ("add", "update", "supersede", "noop"))

    again = import_items(app.service, "mig", read(fmt, path).items)
    assert again["imported"] == 0
    assert len(stored(app, "mig")) == len(memories)


def test_provenance_points_at_the_original_ids(app):
    import_items(app.service, "mig", read("mem0", FIXTURES / "mem0_export.json").items)
    refs = {p for _, m in app.store.iter_all("mig") for p in m.provenance}
    assert "ref:mem0:8d2e4b10-1f6a-4e3b-a2c9-55d7e0b9f302" in refs


def test_knowledge_graph_relations_become_sentences():
    items = read("mcp-memory-jsonl", FIXTURES / "memory.jsonl").items
    assert "Priya Raman works at Northwind Logistics" in {i.content for i in items}
    assert {i.source_ref for i in items if i.content.startswith("Priya Raman leads")} == {"memory.jsonl#L5"}


def test_markdown_headings_and_front_matter_become_tags_and_code_is_skipped():
    parsed = read("markdown", FIXTURES / "notes")
    by_text = {i.content: i for i in parsed.items}
    assert set(by_text["I read on an e-reader, never on my phone"].tags) >= {"personal", "profile", "About me", "Preferences"}
    infra = by_text["The home lab runs Proxmox on two Intel NUCs. Backups go to a Hetzner storage box every night."]
    assert {"work", "infra", "Infrastructure notes"} <= set(infra.tags) and infra.source_ref == "work/infra.md#L8"
    assert "Move DNS from Route 53 to Cloudflare" in by_text
    assert not any("ssh admin" in t for t in by_text)
    assert [s["reason"] for s in parsed.skipped] == ["code block"]


def test_mcp_memory_service_types_and_dates_carry_over():
    items = {i.content: i for i in read("mcp-memory-service", FIXTURES / "mcp_memory_service_export.json").items}
    rule = items["Code reviews must have two approvals before merging to main"]
    assert rule.kind == "constraint" and {"process", "git"} <= set(rule.tags)
    assert rule.valid_from.isoformat().startswith("2025-03-12T11:23")


def test_a_file_in_the_wrong_format_is_refused(tmp_path):
    wrong = tmp_path / "x.json"
    wrong.write_text(json.dumps({"something": "else"}))
    with pytest.raises(InvalidInput):
        read("mem0", wrong)
    with pytest.raises(InvalidInput):
        read("mem0", tmp_path / "missing.json")


def test_cli_import_from_prints_a_summary_and_a_second_run_adds_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("REVERIE_EMBEDDING_CACHE_DIR", str(MODEL_CACHE))
    monkeypatch.setenv("REVERIE_MEMOPS", "rules")
    args = ["import", "--from", "mcp-memory-service", str(FIXTURES / "mcp_memory_service_export.json"),
            "--db", str(tmp_path / "cli.db"), "--namespace", "sam", "--embedding-model", "offline"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["format"] == "mcp-memory-service" and first["imported"] == 4 and first["merged"] == 1
    assert main(args) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["imported"] == 0 and second["merged"] + second["skipped"] == 5
