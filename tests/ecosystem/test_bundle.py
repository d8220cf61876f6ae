"""The Claude Desktop bundle: manifest.json validates against the MCPB schema, and the .mcpb carries what it names."""

from __future__ import annotations

import json
import zipfile

import jsonschema
import pytest

from server.cli import main
from server.ecosystem.bundle import build_bundle, validate_manifest
from server.errors import ConfigError
from tests.conftest import ROOT

SCHEMA = json.loads((ROOT / "docs" / "mcpb-manifest.schema.json").read_text())


def manifest() -> dict:
    return json.loads((ROOT / "manifest.json").read_text())


def test_the_schema_is_itself_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_manifest_json_validates_against_the_mcpb_schema():
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(manifest())
    assert validate_manifest(manifest()) == []


def test_user_config_covers_database_namespace_and_embedding_model():
    m = manifest()
    assert {"database_path", "namespace", "embedding_model"} <= set(m["user_config"])
    assert "${user_config.embedding_model}" in m["server"]["mcp_config"]["env"].values()


@pytest.mark.parametrize("change", [
    lambda m: m.pop("author"),
    lambda m: m.update(unknown_field=1),
    lambda m: m["server"].update(type="ruby"),
    lambda m: m.update(manifest_version="0.3"),  # server.type "uv" needs 0.4
    lambda m: m["user_config"]["namespace"].pop("title"),
    lambda m: m["user_config"]["namespace"].update(type="text"),
])
def test_the_schema_rejects_broken_manifests(change):
    m = manifest()
    change(m)
    assert validate_manifest(m)


def test_bundle_is_a_zip_with_the_manifest_at_the_root_and_the_server_files(tmp_path):
    out = tmp_path / "reverie.mcpb"
    result = build_bundle(out)
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert json.loads(zf.read("manifest.json")) == manifest()
    assert {"manifest.json", "pyproject.toml", "server/__main__.py", "server/cli.py", "tools/__init__.py",
            "resources/__init__.py", "server/memops/weights/ops.safetensors", "server/dashboard/static/dashboard.css"} <= names
    assert not any(n.startswith(("tests/", "bench/", "docs/")) or "__pycache__" in n for n in names)
    assert result["files"] == len(names)


def test_bundles_of_the_same_sources_are_identical(tmp_path):
    build_bundle(tmp_path / "a.mcpb")
    build_bundle(tmp_path / "b.mcpb")
    assert (tmp_path / "a.mcpb").read_bytes() == (tmp_path / "b.mcpb").read_bytes()


def test_an_invalid_manifest_stops_the_build(tmp_path):
    src = tmp_path / "src"
    (src / "server").mkdir(parents=True)
    (src / "server" / "__main__.py").write_text("")
    bad = manifest()
    del bad["description"]
    (src / "manifest.json").write_text(json.dumps(bad))
    with pytest.raises(ConfigError):
        build_bundle(tmp_path / "x.mcpb", src)
    assert not (tmp_path / "x.mcpb").exists()


def test_cli_bundle_writes_the_file(tmp_path, capsys):
    out = tmp_path / "out.mcpb"
    assert main(["bundle", "--output", str(out)]) == 0
    assert zipfile.is_zipfile(out) and "Claude Desktop" in capsys.readouterr().out
