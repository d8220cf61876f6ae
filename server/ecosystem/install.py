"""`reverie install CLIENT`: write Reverie into an MCP client's configuration file.

    client          file (default)                                   key
    claude-desktop  <config dir>/Claude/claude_desktop_config.json   mcpServers
    claude-code     ./.mcp.json (project scope)                      mcpServers  (or `claude mcp add ...`)
    cursor          ~/.cursor/mcp.json                               mcpServers
    vscode          ./.vscode/mcp.json (workspace)                   servers, with "type": "stdio"

Clients do not start servers in your shell, so the command is an absolute path
(this environment's `reverie` script, else `python -m server serve`). The file is
merged, never clobbered: other servers stay as they were, and an existing file is
copied to FILE.bak-<timestamp> before it is rewritten.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from server.errors import ConfigError, InvalidInput

CLIENTS = ("claude-desktop", "claude-code", "cursor", "vscode")


@dataclass(frozen=True)
class Launch:
    command: str
    args: list[str]
    env: dict[str, str]


def server_launch(*, namespace: str | None = None, db: Path | None = None, embedding_model: str | None = None,
                  python: str | None = None) -> Launch:
    """How a client starts Reverie from this environment, with absolute paths only."""
    python = str(Path(python or sys.executable).absolute())
    bindir = Path(python).parent
    script = next((p for p in (bindir / "reverie", bindir / "reverie.exe") if p.is_file()), None)
    command, args = (str(script), ["serve"]) if script else (python, ["-m", "server", "serve"])
    env: dict[str, str] = {}
    if namespace:
        env["REVERIE_NAMESPACE"] = namespace
    if db:
        env["REVERIE_DB"] = str(Path(db).expanduser().absolute())
    if embedding_model:
        env["REVERIE_EMBEDDING_MODEL"] = embedding_model
    return Launch(command, args, env)


def default_config_path(client: str, *, home: Path | None = None, cwd: Path | None = None, platform: str | None = None) -> Path:
    """Where `client` reads its MCP servers by default on this machine."""
    home, cwd, platform = home or Path.home(), cwd or Path.cwd(), platform or sys.platform
    if client == "claude-desktop":
        if platform == "darwin":
            base = home / "Library" / "Application Support"
        elif platform.startswith("win"):
            base = Path(os.environ.get("APPDATA", home / "AppData" / "Roaming"))
        else:
            base = Path(os.environ.get("XDG_CONFIG_HOME", home / ".config"))
        return base / "Claude" / "claude_desktop_config.json"
    if client == "claude-code":
        return cwd / ".mcp.json"
    if client == "cursor":
        return home / ".cursor" / "mcp.json"
    if client == "vscode":
        return cwd / ".vscode" / "mcp.json"
    raise InvalidInput(f"Unknown client {client!r}; choose one of {', '.join(CLIENTS)}.")


def server_entry(client: str, launch: Launch) -> tuple[str, dict]:
    """(top-level key, the server's entry) in `client`'s format."""
    entry: dict = {"command": launch.command, "args": list(launch.args)}
    if launch.env:
        entry["env"] = dict(launch.env)
    if client == "vscode":
        return "servers", {"type": "stdio", **entry}
    if client == "claude-code":
        return "mcpServers", {"type": "stdio", **entry}
    return "mcpServers", entry


def claude_mcp_add_command(name: str, launch: Launch, scope: str = "user") -> str:
    """The `claude mcp add` line that registers the same server with Claude Code."""
    parts = ["claude", "mcp", "add", name, "--scope", scope]
    for key, value in launch.env.items():
        parts += ["--env", f"{key}={value}"]
    return shlex.join([*parts, "--", launch.command, *launch.args])


def snippet(client: str, name: str, launch: Launch) -> str:
    """What `--print` shows: the JSON to merge into the client's file (Claude Code: the command line)."""
    if client == "claude-code":
        return claude_mcp_add_command(name, launch)
    key, entry = server_entry(client, launch)
    return json.dumps({key: {name: entry}}, indent=2)


def install(client: str, name: str, launch: Launch, path: Path, *, now: datetime | None = None) -> dict:
    """Merge the server into the config file at `path`; returns {"path", "changed", "backup", "servers"}.

    Raises:
        ConfigError: the file exists but is not a JSON object (left untouched; use --print and edit it by hand).
        InvalidInput: an empty server name.
    """
    if not name.strip():
        raise InvalidInput("--name must not be empty.")
    key, entry = server_entry(client, launch)
    path = Path(path).expanduser()
    config: dict = {}
    if path.exists():
        text = path.read_text(encoding="utf-8")
        try:
            config = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{path} is not plain JSON ({exc.msg} at line {exc.lineno}); it was left untouched. "
                f"Run `reverie install {client} --print` and add the entry by hand."
            ) from exc
        if not isinstance(config, dict) or not isinstance(config.get(key, {}), dict):
            raise ConfigError(f"{path} does not hold a JSON object with an object under {key!r}; it was left untouched.")
    servers = config.setdefault(key, {})
    if servers.get(name) == entry:
        return {"path": str(path), "changed": False, "backup": None, "servers": sorted(servers)}
    servers[name] = entry
    backup = None
    if path.exists():
        stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        backup = path.with_name(f"{path.name}.bak-{stamp}")
        shutil.copy2(path, backup)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return {"path": str(path), "changed": True, "backup": str(backup) if backup else None, "servers": sorted(servers)}
