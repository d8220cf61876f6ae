"""`reverie migrate --from sqlite PATH --to postgresql://...`: move a store to PostgreSQL, verified."""

from __future__ import annotations

import argparse
import json
import sys


def cmd_migrate(args: argparse.Namespace) -> int:
    from server.store.transfer import migrate_sqlite_to_postgres

    if not args.to.startswith(("postgresql://", "postgres://")):
        print("reverie: --to must be a postgresql:// URL", file=sys.stderr)
        return 2
    seen: dict[str, int] = {}

    def progress(table: str, n: int) -> None:
        seen[table] = seen.get(table, 0) + n
        if sys.stderr.isatty():
            print(f"\r{table}: {seen[table]} rows", end="", file=sys.stderr)

    report = migrate_sqlite_to_postgres(args.source, args.to, progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(json.dumps(report, indent=2))
    print(f"reverie: copied and verified {sum(t['rows'] for t in report['tables'].values())} rows in "
          f"{len(report['tables'])} tables (counts and SHA-256 match); point REVERIE_DATABASE_URL at the new database.",
          file=sys.stderr)
    return 0


def add_commands(sub, add) -> None:
    p = add("migrate", cmd_migrate, "Copy a SQLite store into an empty PostgreSQL database and verify counts and hashes.")
    p.add_argument("--from", dest="source_kind", choices=["sqlite"], required=True, help="the source backend (sqlite)")
    p.add_argument("source", metavar="PATH", help="the SQLite database file")
    p.add_argument("--to", required=True, metavar="URL", help="postgresql://user:pass@host:port/dbname (an empty database)")
