"""Core benchmark: handshake, remember latency and throughput, recall latency at 1k/10k/100k, resident memory.

    python -m bench.core [--sizes 1000,10000,100000] [--queries 100] [--handshakes 5] [--peers DIR] [--no-write] [--writes-only]

(`--sizes 1000,10000` skips the 100k store, whose fill takes most of the run.)

Setup vs measurement: stores are filled through the store's insert path (the fill
is setup, not what is measured). Texts come from templates; 1k and 10k stores
use real embeddings of every text; the 100k store adds 90k copies of those
vectors with small random perturbations (re-normalised) and varied texts, so the
fill takes a minute instead of ten. Recall is measured through the real
`MemoryService.recall` (query embedding, vector scan, FTS5, fusion, ranking,
reinforcement and the recall log).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from server.embed import Embedder

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".pytest_cache" / "reverie-models"
PLOT = ROOT / "docs" / "recall-latency.svg"

PEOPLE = ["Ana", "Ben", "Chloe", "Dev", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jon", "Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya"]
VERBS = ["prefers", "bought", "visited", "is learning", "recommended", "cooked", "fixed", "planned", "wrote about", "forgot"]
THINGS = ["green tea", "a red kayak", "Lisbon", "the Rust compiler", "sourdough bread", "a vintage camera", "the quarterly report",
          "jazz records", "a mountain bike", "Japanese", "the garden shed", "a chess opening", "the wedding playlist", "tax forms",
          "a standing desk", "oat milk", "the staging server", "a birthday cake", "hiking boots", "the VPN config"]
WHEN = ["on Monday", "last week", "in March", "every morning", "before the trip", "after work", "at the weekend", "in 2024"]
QUERIES = ["what does Ana like to drink?", "who fixed the staging server", "when did Ben visit Lisbon", "birthday cake plans",
           "hiking gear", "which language is someone learning", "music preferences", "camera purchase", "tax paperwork", "desk setup"]


def sentence(i: int) -> str:
    r = random.Random(i)
    return f"{r.choice(PEOPLE)} {r.choice(VERBS)} {r.choice(THINGS)} {r.choice(WHEN)} (note {i})"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def build(db: Path, embedder, memops: str = os.environ.get("REVERIE_MEMOPS", "learned")):
    from server.app import build_context
    from server.config import Settings

    settings = Settings(db=db, embedding_model="offline", embedding_cache_dir=CACHE, memops=memops)
    return build_context(settings, embedder=embedder)


def fill(app, namespace: str, n: int, real: int) -> None:
    """Insert n memories; the first `real` get real embeddings, the rest perturbed copies."""
    from server.models import Memory
    from server.service import content_hash, new_id

    now = app.service.clock.now()
    app.service._bind()
    texts = [sentence(i) for i in range(n)]
    base = app.embedder.embed(texts[: min(n, real)])
    rng = np.random.default_rng(0)
    batch = 2000
    for start in range(0, n, batch):
        with app.store.transaction():
            for i in range(start, min(n, start + batch)):
                if i < len(base):
                    vec = base[i]
                else:
                    vec = base[i % len(base)] + rng.normal(0, 0.05, base.shape[1]).astype(np.float32)
                    vec /= np.linalg.norm(vec)
                m = Memory(id=new_id("mem"), namespace=namespace, content=texts[i], recorded_at=now, content_hash=content_hash(texts[i]),
                           embedding_model=app.embedder.model_id)
                app.store.insert(m, vec)


class CachedQueries(Embedder):
    """The embedder with query vectors precomputed: recall timed without the embedding."""

    def __init__(self, inner, queries):
        self.inner, self.model_id = inner, inner.model_id
        self.vectors = dict(zip(queries, inner.embed(queries)))

    @property
    def dim(self):
        return self.inner.dim

    def embed(self, texts):
        return self.inner.embed(texts)

    def prepare_query(self, text):
        vector = self.vectors[text]
        return lambda: vector


def time_recalls(app, namespace: str, queries: list[str], rounds: int, cpu: list[float] | None = None) -> list[float]:
    """Wall milliseconds per recall; with `cpu`, also appends each recall's process CPU milliseconds (all threads:
    less sensitive than wall time to other work on a busy machine)."""
    from server.models import RecallRequest

    times = []
    for i in range(rounds):
        q = queries[i % len(queries)]
        t, c = time.perf_counter(), time.process_time()
        app.service.recall(RecallRequest(namespace=namespace, query=q, k=10))
        times.append((time.perf_counter() - t) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - c) * 1000)
    return times


FLOOR = "from mcp.server import MCPServer; MCPServer(name='floor').run('stdio')"


def handshake_times(runs: int, floor: bool = False) -> list[tuple[float, float]]:
    """Spawn the stdio server (or, with `floor`, a bare SDK MCPServer with no tools) and time, from the spawn,
    `initialize` answered and the first `tools/list` answered (when the server is ready for work).

    Bytecode is cached as for an installed package (PYTHONDONTWRITEBYTECODE is dropped for the child)
    and one untimed spawn warms the caches first, and records the SDK's `initialize` answer that
    server/faststart.py replays: what a user's second start costs.
    """
    import anyio
    from mcp import Client, StdioServerParameters

    args = ["-c", FLOOR] if floor else ["-m", "server", "serve"]

    async def once(db: str) -> tuple[float, float]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(REVERIE_DB=db, REVERIE_EMBEDDING_MODEL="offline", REVERIE_EMBEDDING_CACHE_DIR=str(CACHE))
        start = time.perf_counter()
        async with Client(StdioServerParameters(command=sys.executable, args=args, env=env, cwd=str(ROOT)), cache=None) as client:
            handshake = (time.perf_counter() - start) * 1000
            await client.list_tools()
            return handshake, (time.perf_counter() - start) * 1000

    with tempfile.TemporaryDirectory() as d:
        anyio.run(once, str(Path(d) / "warm.db"))
        return [anyio.run(once, str(Path(d) / f"h{i}.db")) for i in range(runs)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="store sizes for recall latency")
    parser.add_argument("--queries", type=int, default=100, help="recalls timed per size")
    parser.add_argument("--handshakes", type=int, default=5, help="stdio handshakes timed (0 skips them and the SDK floor)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    parser.add_argument("--peers", type=Path, help="a retrieval results directory: its peer reports go on the latency plot as points")
    parser.add_argument("--writes-only", action="store_true", help="time remember and the batch import only (implies --no-write)")
    args = parser.parse_args(argv)
    sizes = [] if args.writes_only else [int(s) for s in args.sizes.split(",")]
    if args.writes_only:
        args.handshakes, args.no_write = 0, True

    from server.embed import FastEmbedEmbedder
    from server.models import RememberRequest

    rows: list[str] = []
    if args.handshakes > 0:
        runs, floor_runs = handshake_times(args.handshakes), handshake_times(args.handshakes, floor=True)
        hs, ready = [h for h, _ in runs], [r for _, r in runs]
        floor, floor_ready = [h for h, _ in floor_runs], [r for _, r in floor_runs]
        print(f"handshake (spawn -> initialize answered): median {statistics.median(hs):.0f} ms, tools listed {statistics.median(ready):.0f} ms; "
              f"bare SDK server {statistics.median(floor):.0f} / {statistics.median(floor_ready):.0f} ms")
        rows.append(f"| MCP handshake over stdio (process spawn to `initialize` answered; answered before the SDK loads, server/faststart.py) "
                    f"| median {statistics.median(hs):.0f} ms (min {min(hs):.0f}) | < 1000 ms |")
        rows.append(f"| process spawn to the first `tools/list` answered (the server ready for work: the SDK and every tool loaded) "
                    f"| median {statistics.median(ready):.0f} ms (min {min(ready):.0f}) | |")
        rows.append(f"| the same two for a bare SDK `MCPServer` with no tools (the SDK's own floor: importing `mcp.server` builds its pydantic protocol models) "
                    f"| median {statistics.median(floor):.0f} / {statistics.median(floor_ready):.0f} ms | |")

    from server.config import Settings

    embedder = FastEmbedEmbedder("offline", CACHE, precision=Settings().embedding_precision, query_precision=Settings().query_precision)  # REVERIE_*_PRECISION
    print(f"embedding precision {embedder.precision}, queries {embedder.query_precision}; load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as d:
        app = build(Path(d) / "w.db", embedder)
        app.service.remember(RememberRequest(namespace="w", content="warm-up: waits for the memory-ops model"))
        singles = []
        cpu = time.process_time()
        for i in range(100):
            t = time.perf_counter()
            app.service.remember(RememberRequest(namespace="w", content=sentence(10_000_000 + i)))
            singles.append((time.perf_counter() - t) * 1000)
        single_cpu = (time.process_time() - cpu) * 1000 / len(singles)
        print(f"remember single: p50 {percentile(singles, 50):.1f} ms p95 {percentile(singles, 95):.1f} ms ({single_cpu:.2f} ms CPU each)")
        rows.append(f"| `remember`, one at a time (embedding + memory-ops decision + write) | p50 {percentile(singles, 50):.1f} ms, "
                    f"p95 {percentile(singles, 95):.1f} ms ({single_cpu:.1f} ms CPU each) | |")
        n = 2000
        reqs = [RememberRequest(namespace="b", content=sentence(20_000_000 + i)) for i in range(n)]
        t, cpu, own = time.perf_counter(), time.process_time(), time.thread_time()
        for start in range(0, n, 256):
            app.service.remember_many(reqs[start : start + 256])
        rate = n / (time.perf_counter() - t)
        # CPU time of all the process's threads: on a busy machine, a steadier comparison than the rate. This
        # thread's share is the serial part (decisions and writes; the embedding runs in worker threads beside it).
        batch_cpu = (time.process_time() - cpu) * 1000 / n
        print(f"batch import: {rate:.0f} memories/s ({batch_cpu:.2f} ms CPU per memory, "
              f"{(time.thread_time() - own) * 1000 / n:.2f} ms of it in the calling thread; load {os.getloadavg()[0]:.1f})")
        rows.append(f"| batch import through `remember_many` ({n} memories, batches of 256, embeddings included) | {rate:.0f} memories/s "
                    f"({batch_cpu:.1f} ms CPU per memory) | >= 300/s |")
        app.store.close()

    curves: dict[str, list[tuple[float, float]]] = {"p50": [], "p95": [], "p50 without query embedding": []}
    for size in sizes:
        with tempfile.TemporaryDirectory() as d:
            app = build(Path(d) / f"r{size}.db", embedder)
            t = time.perf_counter()
            fill(app, "r", size, real=min(size, 10_000))
            fill_s = time.perf_counter() - t
            time_recalls(app, "r", QUERIES, 5)  # warm: loads the vector index
            full_cpu: list[float] = []
            bare_cpu: list[float] = []
            full = time_recalls(app, "r", QUERIES, args.queries, full_cpu)
            app.service.embedder = CachedQueries(embedder, QUERIES)
            bare = time_recalls(app, "r", QUERIES, args.queries, bare_cpu)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            curves["p50"].append((size, percentile(full, 50)))
            curves["p95"].append((size, percentile(full, 95)))
            curves["p50 without query embedding"].append((size, percentile(bare, 50)))
            load = os.getloadavg()[0]
            print(f"{size}: fill {fill_s:.0f}s; recall p50 {percentile(full, 50):.1f} p95 {percentile(full, 95):.1f} ms "
                  f"(CPU p50 {percentile(full_cpu, 50):.1f}); without embedding p50 {percentile(bare, 50):.1f} "
                  f"p95 {percentile(bare, 95):.1f} ms (CPU p50 {percentile(bare_cpu, 50):.1f}); max RSS {rss:.0f} MiB; load {load:.1f}")
            rows.append(
                f"| `recall` k=10 at {size:,} memories in one namespace | p50 {percentile(full, 50):.1f} ms, p95 {percentile(full, 95):.1f} ms "
                f"(without query embedding: p50 {percentile(bare, 50):.1f}, p95 {percentile(bare, 95):.1f}); process CPU p50 "
                f"{percentile(full_cpu, 50):.1f} ms ({percentile(bare_cpu, 50):.1f}); max RSS {rss:.0f} MiB | "
                + ("p50 <= 25 ms |" if size == 100_000 else "|")
            )
            app.store.close()

    body = "## Core: handshake, writes, recall latency\n\n| what | measured | target |\n|---|---|---|\n" + "\n".join(rows)
    body += ("\n\nThe 100k store holds 10k really embedded texts plus 90k perturbed copies of their vectors (see `bench/core.py`)."
             " Max RSS is the benchmark process's peak so far, model and vector index included."
             " CPU times are the process's, all threads (the embedding runs beside the decisions): steadier than rates on a busy machine."
             " Where a recall's time goes at 100k, and how much the p50 moves from run to run: bench/notes/recall-latency.md.")
    if sizes and not args.no_write:
        from bench.latency_plot import peer_points, svg_latency

        points = peer_points(args.peers) if args.peers else []
        svg_latency({f"Reverie {name}": line for name, line in curves.items()}, PLOT,
                    points=[(f"{name} p50 (LoCoMo slice)", size, ms) for name, size, ms in points], target_ms=25)
        body += f"\n\n![recall latency vs store size]({PLOT.relative_to(ROOT).as_posix()})"
        if points:
            body += (f"\n\nPeers are single points at the size of the store they were measured on (`--peers {args.peers}`): they"
                     " ingest 0.6 to 3 turns per second here, too slow to fill 10k; their queries are LoCoMo questions, not this"
                     " bench's, and they ran at nice 19 beside other work (their reports give the load).")
    print(body)
    if not args.no_write:
        from bench._report import write_section

        write_section("core", body, " ".join(["python -m bench.core", *(sys.argv[1:] if argv is None else argv)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
