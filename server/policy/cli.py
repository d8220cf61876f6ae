"""`reverie policy list | export | import | learn`: review and maintain policy memory from the shell."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from server.cli_actions import action_adder


def _app(args: argparse.Namespace):
    from server.cli import _context

    return _context(args)


def cmd_policy(args: argparse.Namespace) -> int:
    from server.policy.learn import learn_policies
    from server.policy.yaml_io import export_policies, import_policies

    app = _app(args)
    ns = app.settings.namespace
    try:
        if args.policy_command == "list":
            items = [p.summary() for p, _ in app.policies.policies(ns) if args.status is None or p.status == args.status]
            print(json.dumps(items, indent=2, default=str, ensure_ascii=False))
        elif args.policy_command == "export":
            paths = export_policies(app.policies, ns, Path(args.output))
            print(json.dumps({"exported": len(paths), "directory": str(Path(args.output).resolve())}, indent=2))
        elif args.policy_command == "import":
            print(json.dumps(import_policies(app.policies, ns, Path(args.path), actor="cli"), indent=2))
        else:
            print(json.dumps(learn_policies(app, ns, dry_run=args.dry_run), indent=2))
    finally:
        app.store.close()
    return 0


def add_commands(sub, add) -> None:
    p = add("policy", cmd_policy, "Policy memory: list policies, export them as YAML for review, import reviewed files, learn now.")
    action = action_adder(p, "policy_command", "list, export, import or learn", namespace=True)

    a = action("list", "List policies (current version): status, enforcement, trigger, action, confidence.")
    a.add_argument("--status", choices=["proposed", "active", "retired"], help="only policies with this status")
    a = action("export", "Write each policy as a readable YAML file for review.")
    a.add_argument("--output", "-o", default="policies", help="folder to write into (default: ./policies)")
    a = action("import", "Apply reviewed YAML files: changed policies get a new version, unknown ids are created.")
    a.add_argument("path", help="a YAML file or a folder of them (from `reverie policy export`)")
    a = action("learn", "Run policy learning now: mine patterns, promote, demote and retire policies.")
    a.add_argument("--dry-run", dest="dry_run", action="store_true", help="show the counts of what would change, write nothing")
