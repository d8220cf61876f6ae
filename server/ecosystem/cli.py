"""`reverie install CLIENT` and `reverie bundle`; `reverie import --from FORMAT` dispatches to `run_import` here."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from server.ecosystem.install import CLIENTS


def cmd_install(args: argparse.Namespace) -> int:
    from server.ecosystem.install import default_config_path, install, server_launch, snippet

    launch = server_launch(namespace=args.namespace, db=args.db, embedding_model=args.embedding_model)
    if args.print:
        print(snippet(args.client, args.name, launch))
        return 0
    path = Path(args.config) if args.config else default_config_path(args.client)
    result = install(args.client, args.name, launch, path)
    if not result["changed"]:
        print(f"{path}: {args.name!r} is already configured; nothing changed.")
    else:
        saved = f" (previous file saved as {result['backup']})" if result["backup"] else ""
        print(f"{path}: added {args.name!r} -> {launch.command} {' '.join(launch.args)}{saved}")
        print(f"servers in the file: {', '.join(result['servers'])}. Restart {args.client} to load it.")
    return 0


def cmd_bundle(args: argparse.Namespace) -> int:
    from server.ecosystem.bundle import build_bundle

    result = build_bundle(Path(args.output), Path(args.source) if args.source else None)
    print(f"wrote {result['path']}: {result['name']} {result['version']}, {result['files']} files, {result['bytes']} bytes")
    print("Install it by double-clicking the file, or drag it onto Claude Desktop's Settings > Extensions.")
    return 0


def run_import(app, fmt: str, path: str, progress_cls) -> int:
    """`reverie import --from FORMAT PATH` (any format but reverie's own JSONL)."""
    from server.ecosystem.importers import import_items, read

    parsed = read(fmt, Path(path))
    with progress_cls(f"import {fmt}", len(parsed.items)) as advance:
        summary = import_items(app.service, app.settings.namespace, parsed.items, progress=advance)
    summary["skipped"] += len(parsed.skipped)
    summary["skipped_items"] = parsed.skipped + summary["skipped_items"]
    summary = {"format": fmt, "namespace": app.settings.namespace, **summary}
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    print(f"imported {summary['imported']}, merged {summary['merged']} (duplicates of stored memories), "
          f"skipped {summary['skipped']}", file=sys.stderr)
    return 0


def add_commands(sub, add) -> None:
    p = add("install", cmd_install, "Add Reverie to an MCP client's configuration (merging, with a backup), or print it.")
    p.add_argument("client", choices=CLIENTS, help="the client to configure: " + ", ".join(CLIENTS))
    p.add_argument("--print", action="store_true",
                   help="print the configuration instead of writing it (claude-code: the `claude mcp add` command line)")
    p.add_argument("--config", help="the client's configuration file (default: where the client looks on this machine)")
    p.add_argument("--name", default="reverie", help="the server's name in the client (default: reverie)")

    p = add("bundle", cmd_bundle, "Build a Claude Desktop extension (.mcpb) from manifest.json.")
    p.add_argument("--output", "-o", default="reverie.mcpb", help="the bundle file to write (default: reverie.mcpb)")
    p.add_argument("--source", help="the source checkout holding manifest.json (default: the one Reverie runs from)")
