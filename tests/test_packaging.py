"""Install-level checks: top-level package names, the console command, the bundle manifest."""

from __future__ import annotations

import json
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from server.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


def test_no_other_installed_distribution_provides_our_top_level_packages():
    owners = packages_distributions()
    for name in ("server", "tools", "resources"):
        others = set(owners.get(name, [])) - {"reverie-memory"}
        assert not others, f"{others} also install a top-level '{name}' package: install Reverie in its own environment"


def test_every_cli_command_has_help_text():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert sub.choices
    for name, command in sub.choices.items():
        assert command.description, name
        for action in command._actions:
            if action.dest != "help":
                assert action.help, f"reverie {name} {action.option_strings or action.dest} lacks help"


def test_manifest_is_a_valid_bundle_manifest_pointing_at_the_real_entry_point():
    manifest = json.loads((ROOT / "manifest.json").read_text())
    for key in ("manifest_version", "name", "version", "description", "author", "server"):
        assert key in manifest
    server = manifest["server"]
    assert server["type"] in ("python", "uv")
    assert (ROOT / server["entry_point"]).is_file()
    config = server["mcp_config"]
    assert "serve" in config["args"]
    assert {"database_path", "namespace"} <= set(manifest["user_config"])
    for ref in ("${user_config.database_path}", "${user_config.namespace}"):
        assert ref in config["env"].values()
    from server.app import create_server
    from server.config import Settings

    registered = {t.name for t in create_server(Settings(db=ROOT / "unused.db"))._tool_manager.list_tools()}
    assert {t["name"] for t in manifest["tools"]} == registered


def test_cli_rejects_a_bad_date_with_a_clear_message(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["recall", "x", "--as-of", "yesterday"])
    assert "ISO 8601" in capsys.readouterr().err
