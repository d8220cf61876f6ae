"""`reverie install`: each client's format, absolute paths, merging without clobbering, a backup first."""

from __future__ import annotations

import json
import shlex
import sys
from datetime import datetime
from pathlib import Path

import pytest

from server.cli import main
from server.ecosystem.install import default_config_path, install, server_launch
from server.errors import ConfigError


def test_the_launch_command_is_an_absolute_path_from_this_environment(tmp_path):
    launch = server_launch(namespace="me", db=Path("rel/memory.db"))
    assert Path(launch.command).is_absolute() and Path(launch.command).exists()
    assert launch.args[-1] == "serve"
    assert Path(launch.env["REVERIE_DB"]).is_absolute() and launch.env["REVERIE_NAMESPACE"] == "me"


def test_without_a_reverie_script_it_falls_back_to_python_dash_m(tmp_path):
    python = tmp_path / "bin" / "python3"
    python.parent.mkdir()
    python.touch()
    launch = server_launch(python=str(python))
    assert launch.command == str(python) and launch.args == ["-m", "server", "serve"]


def test_claude_desktop_install_merges_and_backs_up_the_existing_file(tmp_path):
    path = tmp_path / "claude_desktop_config.json"
    path.write_text(json.dumps({"mcpServers": {"files": {"command": "npx", "args": ["fs"]}}, "theme": "dark"}))
    result = install("claude-desktop", "reverie", server_launch(namespace="me"), path, now=datetime(2026, 5, 1, 9, 30))
    config = json.loads(path.read_text())
    assert config["theme"] == "dark" and config["mcpServers"]["files"] == {"command": "npx", "args": ["fs"]}
    assert config["mcpServers"]["reverie"]["args"] == ["serve"]
    assert result["backup"].endswith("claude_desktop_config.json.bak-20260501-093000")
    assert json.loads(Path(result["backup"]).read_text())["mcpServers"].keys() == {"files"}


def test_installing_the_same_entry_twice_changes_nothing(tmp_path):
    path = tmp_path / "mcp.json"
    launch = server_launch()
    assert install("cursor", "reverie", launch, path)["changed"]
    again = install("cursor", "reverie", launch, path)
    assert not again["changed"] and again["backup"] is None
    assert list(tmp_path.iterdir()) == [path]


def test_vscode_uses_servers_with_a_stdio_type(tmp_path):
    path = tmp_path / ".vscode" / "mcp.json"
    install("vscode", "memory", server_launch(), path)
    entry = json.loads(path.read_text())["servers"]["memory"]
    assert entry["type"] == "stdio" and Path(entry["command"]).is_absolute()


def test_a_file_that_is_not_json_is_left_untouched(tmp_path):
    path = tmp_path / "mcp.json"
    path.write_text('{ "servers": { // a comment\n } }')
    with pytest.raises(ConfigError):
        install("vscode", "reverie", server_launch(), path)
    assert path.read_text() == '{ "servers": { // a comment\n } }'


def test_default_paths_follow_each_client(tmp_path):
    home, cwd = tmp_path / "home", tmp_path / "project"
    assert default_config_path("claude-desktop", home=home, platform="darwin") == home / "Library/Application Support/Claude/claude_desktop_config.json"
    assert default_config_path("cursor", home=home) == home / ".cursor" / "mcp.json"
    assert default_config_path("claude-code", cwd=cwd) == cwd / ".mcp.json"
    assert default_config_path("vscode", cwd=cwd) == cwd / ".vscode" / "mcp.json"


def test_cli_print_writes_nothing_and_shows_the_claude_mcp_add_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["install", "claude-code", "--print", "--namespace", "me"]) == 0
    words = shlex.split(capsys.readouterr().out)
    assert words[:4] == ["claude", "mcp", "add", "reverie"] and "REVERIE_NAMESPACE=me" in words and words[-1] == "serve"
    assert not (tmp_path / ".mcp.json").exists()


def test_cli_writes_the_config_named_by_dash_dash_config(tmp_path, capsys):
    path = tmp_path / "claude.json"
    assert main(["install", "claude-desktop", "--config", str(path), "--name", "mem"]) == 0
    assert "mem" in json.loads(path.read_text())["mcpServers"]
    assert str(path) in capsys.readouterr().out


def test_cli_print_gives_json_for_cursor(capsys):
    assert main(["install", "cursor", "--print"]) == 0
    entry = json.loads(capsys.readouterr().out)["mcpServers"]["reverie"]
    assert entry["command"] in (str(Path(sys.executable).parent / "reverie"), str(Path(sys.executable).absolute()))
