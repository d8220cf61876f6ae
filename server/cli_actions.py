"""Sub-commands with actions (`reverie token create`, `reverie policy list`): one helper for both."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

ActionAdder = Callable[[str, str], argparse.ArgumentParser]


def action_adder(parent: argparse.ArgumentParser, dest: str, help_: str, *, namespace: bool = False) -> ActionAdder:
    """Return `action(name, help)` that adds one action parser under `parent`.

    Each action accepts `--db` (and `--namespace` when asked) after the action too, as in
    `reverie token create --db X`; SUPPRESS keeps the parent's value when the flag is not repeated.
    """
    actions = parent.add_subparsers(dest=dest, required=True, metavar="ACTION", help=help_)

    def action(name: str, action_help: str) -> argparse.ArgumentParser:
        a = actions.add_parser(name, help=action_help, description=action_help)
        a.add_argument("--db", type=Path, default=argparse.SUPPRESS, help="SQLite database file (default: REVERIE_DB or the user data dir)")
        if namespace:
            a.add_argument("--namespace", default=argparse.SUPPRESS, help="namespace (default: REVERIE_NAMESPACE or 'default')")
        return a

    return action
