"""The `reverie` command: serve the MCP server, and manage memories by hand.

Each subcommand is a small function taking parsed args; `build_parser` is the
single table of commands (a test checks each has help text).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from server import __version__
from server.config import Settings
from server.errors import ReverieError


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = {}
    for name in ("db", "namespace", "embedding_model", "memops"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    if "db" in overrides:  # an explicit --db names a SQLite file, whatever REVERIE_DATABASE_URL says
        overrides["database_url"] = None
    return Settings(**overrides)


def _context(args: argparse.Namespace):
    from server.app import build_context

    return build_context(settings_from(args))


def _print_json(data) -> None:
    print(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def _date(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 date/time, e.g. 2026-05-01 or 2026-05-01T09:30") from exc


# -- commands ---------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.http:
        from server.http.app import serve

        overrides = {k: v for k, v in (("http_host", args.host), ("http_port", args.port)) if v is not None}
        return serve(settings.model_copy(update=overrides))
    # Answer the opening request (`initialize` or `server/discover`) before the SDK loads (server/faststart.py); a person at a terminal gets the SDK's own reader.
    from server import faststart

    piped = sys.stdin is not None and not sys.stdin.isatty()
    early = faststart.answer_opening() if piped else faststart.EarlyStart(line=b"")
    import anyio

    from server.app import create_server

    anyio.run(faststart.run_stdio, create_server(settings), early)
    return 0


def cmd_remember(args: argparse.Namespace) -> int:
    from server.models import RememberRequest

    app = _context(args)
    result = app.service.remember(
        RememberRequest(
            namespace=app.settings.namespace, content=args.content, kind=args.kind, tags=args.tag or [],
            confidence=args.confidence, valid_from=args.valid_from, session_id=args.session_id,
            source_ref=args.source_ref, dry_run=args.dry_run,
        ),
        actor="cli",
    )
    _print_json(result.model_dump(mode="json"))
    return 0


def cmd_recall(args: argparse.Namespace) -> int:
    from server.models import RecallRequest

    app = _context(args)
    result = app.service.recall(
        RecallRequest(namespace=app.settings.namespace, query=args.query, k=args.k, as_of=args.as_of,
                      include_superseded=args.include_superseded, include_archived=args.include_archived),
        actor="cli",
    )
    if args.json:
        _print_json(result.model_dump(mode="json"))
    else:
        for hit in result.results:
            m = hit.memory
            flags = f" [{', '.join(hit.flags)}]" if hit.flags else ""
            print(f"{hit.scores.final:.3f}  {m.id}  ({m.kind}){flags}  {m.content}")
        print(f"recall_id: {result.recall_id}")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    app = _context(args)
    result = app.service.forget(
        app.settings.namespace, memory_id=args.id, query=args.query, confirm=args.yes, reason=args.reason, hard=args.hard, actor="cli"
    )
    _print_json(result.model_dump(mode="json"))
    return 0


def cmd_correct(args: argparse.Namespace) -> int:
    app = _context(args)
    result = app.service.correct(app.settings.namespace, args.correction, memory_id=args.id, query=args.query, reason=args.reason, actor="cli")
    _print_json(result.model_dump(mode="json"))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from server.store import open_store

    settings = settings_from(args)
    store = open_store(settings)
    counts = store.counts()
    bound = store.embedding_binding()
    _print_json({**store.info(), "embedding_model": bound[0] if bound else None, "namespaces": counts})
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from server.portability import export_jsonl
    from server.store import open_store

    settings = settings_from(args)
    store = open_store(settings)
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    try:
        count = export_jsonl(store, out, namespace=args.namespace)
    finally:
        if args.output:
            out.close()
    print(f"exported {count} memory versions", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from server.portability import import_jsonl

    app = _context(args)
    if args.from_format != "reverie":
        from server.ecosystem.cli import run_import

        return run_import(app, args.from_format, args.path, _progress)
    with open(args.path, encoding="utf-8") as fh:
        lines = fh.readlines()
    with _progress("import", len(lines)) as advance:
        summary = import_jsonl(app.service, lines, progress=advance)
    _print_json(summary)
    return 0 if not summary["errors"] else 1


def cmd_reembed(args: argparse.Namespace) -> int:
    from server.embed import FastEmbedEmbedder
    from server.portability import reembed
    from server.store import open_store

    settings = settings_from(args)
    store = open_store(settings)
    embedder = FastEmbedEmbedder.from_settings(settings, recalls=False)
    total = sum(sum(c.values()) for c in store.counts().values())
    with _progress("reembed", total) as advance:
        count = reembed(store, embedder, progress=advance, passage_vectors=settings.passage_vectors)
    print(f"re-embedded {count} memories with {embedder.model_id} ({embedder.dim} dims)")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from server.doctor import run_checks

    ok = run_checks(settings_from(args), print)
    return 0 if ok else 1


# -- plumbing ---------------------------------------------------------------------------------
class _progress:
    """A rich progress bar on a terminal; silent otherwise."""

    def __init__(self, label: str, total: int):
        self.label, self.total = label, total

    def __enter__(self) -> Callable[[int], None]:
        if not sys.stderr.isatty():
            self._bar = None
            return lambda n=1: None
        from rich.progress import Progress

        self._bar = Progress(transient=True)
        self._bar.start()
        task = self._bar.add_task(self.label, total=self.total)
        return lambda n=1: self._bar.advance(task, n)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, help="SQLite database file (default: REVERIE_DB or the user data dir)")
    p.add_argument("--namespace", help="namespace (default: REVERIE_NAMESPACE or 'default')")
    p.add_argument("--embedding-model", dest="embedding_model", help="fastembed model name, local model dir, or 'offline'")


SERVE_HELP = "Run the MCP server on stdio (what Claude Desktop, Claude Code and Cursor start), or over HTTP."


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--http", action="store_true", help="serve MCP over streamable HTTP (bearer tokens: `reverie token`)")
    p.add_argument("--host", help="address to bind with --http (default: REVERIE_HTTP_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on with --http (default: REVERIE_HTTP_PORT or 8765)")


def serve_parser() -> argparse.ArgumentParser:
    """`reverie serve` alone: parsing it does not import every command module (clients time the start)."""
    p = argparse.ArgumentParser(prog="reverie serve", description=SERVE_HELP)
    _common(p)
    _serve_args(p)
    p.set_defaults(func=cmd_serve, command="serve")
    return p


# Modules with an `add_commands(sub, add)` callback; `add(name, fn, help)` registers one command.
COMMAND_MODULES: list[str] = ["server.store.cli", "server.bench.cli", "server.http.cli", "server.sleep.cli", "server.ecosystem.cli", "server.policy.cli", "server.memops.cli"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reverie", description="Reverie: governed long-term memory for AI assistants (MCP).")
    parser.add_argument("--version", action="version", version=f"reverie {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, fn, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        _common(p)
        p.set_defaults(func=fn)
        return p

    _serve_args(add("serve", cmd_serve, SERVE_HELP))

    p = add("remember", cmd_remember, "Store a statement through the write policy.")
    p.add_argument("content", help="the statement")
    p.add_argument("--kind", choices=["fact", "preference", "event", "outcome", "constraint", "goal"], help="kind (inferred if omitted)")
    p.add_argument("--tag", action="append", help="a tag (repeatable)")
    p.add_argument("--confidence", type=float, help="0-1")
    p.add_argument("--valid-from", dest="valid_from", type=_date, help="when it became true (ISO 8601)")
    p.add_argument("--session-id", dest="session_id", help="session or task id")
    p.add_argument("--source-ref", dest="source_ref", help="external reference kept as provenance")
    p.add_argument("--dry-run", dest="dry_run", action="store_true", help="show the decision, write nothing")

    p = add("recall", cmd_recall, "Search memories (hybrid vector + keyword).")
    p.add_argument("query", help="what to look for")
    p.add_argument("-k", type=int, default=10, help="how many results (1-100)")
    p.add_argument("--as-of", dest="as_of", type=_date, help="memory as it stood at this time")
    p.add_argument("--include-superseded", action="store_true", help="also show replaced versions")
    p.add_argument("--include-archived", action="store_true", help="also show archived memories")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")

    p = add("forget", cmd_forget, "Forget a memory (soft by default; --hard erases the text).")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--id", help="memory id")
    target.add_argument("--query", help="forget what this clearly refers to (needs --yes)")
    p.add_argument("--yes", action="store_true", help="confirm a query-based forget")
    p.add_argument("--reason", default="", help="kept in the audit trail")
    p.add_argument("--hard", action="store_true", help="erase the text everywhere; cannot be undone")

    p = add("correct", cmd_correct, "Replace a memory with a corrected version (history kept).")
    p.add_argument("correction", help="the corrected statement")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--id", help="memory id")
    target.add_argument("--query", help="the memory this clearly refers to")
    p.add_argument("--reason", default="", help="kept in the audit trail")

    add("stats", cmd_stats, "Counts per namespace and status, the model and the database.")

    p = add("export", cmd_export, "Export memories (every version, every field) as JSONL.")
    p.add_argument("--output", "-o", help="file to write (default: stdout)")

    p = add("import", cmd_import, "Import a Reverie JSONL export, or memories from another memory server (idempotent).")
    p.add_argument("path", help="JSONL file from `reverie export`, or the file (folder for markdown) to migrate from")
    p.add_argument("--from", dest="from_format", default="reverie",
                   choices=["reverie", "mcp-memory-jsonl", "mem0", "mcp-memory-service", "markdown"],
                   help="input format (default: reverie); the others go through the write policy as source=imported")

    # Other parts of Reverie contribute their own commands (HTTP tokens, benchmarks, training, sleep).
    import importlib

    for module in COMMAND_MODULES:
        importlib.import_module(module).add_commands(sub, add)

    add("doctor", cmd_doctor, "Check SQLite extension loading, the model and the database, and say how to fix what fails.")
    add("reembed", cmd_reembed, "Re-embed every memory with the configured model (after changing models).")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = serve_parser().parse_args(argv[1:]) if argv[:1] == ["serve"] else build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ReverieError as exc:
        print(f"reverie: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:  # settings from flags or REVERIE_* variables
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors())
        print(f"reverie: invalid configuration: {problems}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
