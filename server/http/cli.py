"""`reverie token create | list | revoke`: the bearer tokens `reverie serve --http` accepts."""

from __future__ import annotations

import argparse
import json
import sys

from server.cli_actions import action_adder


def _settings(args: argparse.Namespace):
    from server.cli import settings_from

    return settings_from(args)


def cmd_token(args: argparse.Namespace) -> int:
    from server.http.app import open_tokens

    tokens = open_tokens(_settings(args))
    try:
        if args.token_command == "create":
            record, token = tokens.create(args.token_namespaces or [], read_only=args.read_only, name=args.name)
            print(json.dumps(record.public(), indent=2))
            print("\nThe token (shown only now; store it in your client's configuration):", file=sys.stderr)
            print(token)
        elif args.token_command == "list":
            print(json.dumps([r.public() for r in tokens.list()], indent=2))
        else:
            print(json.dumps(tokens.revoke(args.id).public(), indent=2))
    finally:
        tokens.db.close()
    return 0


def add_commands(sub, add) -> None:
    p = add("token", cmd_token, "Manage the bearer tokens `reverie serve --http` accepts (create, list, revoke).")
    action = action_adder(p, "token_command", "create, list or revoke")

    c = action("create", "Create a token and print it once (only its hash is stored).")
    c.add_argument("--namespace", dest="token_namespaces", action="append", required=True, metavar="NS",
                   help="a namespace the token may use (repeatable; the first is its default)")
    c.add_argument("--read-only", dest="read_only", action="store_true", help="the token may recall and read, not write or forget")
    c.add_argument("--name", help="a label shown by `token list` and in the audit trail")
    action("list", "List tokens (ids, names, namespaces, read-only, created, revoked); never the tokens themselves.")
    r = action("revoke", "Revoke a token: requests with it get 401 from then on.")
    r.add_argument("id", help="the token id from `reverie token list`")
