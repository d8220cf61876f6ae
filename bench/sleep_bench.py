"""Sleep benchmark: consolidating 10,000 episodic memories, and tool-call latency while it runs.

    python -m bench.sleep_bench [--n 10000] [--memops rules|learned] [--no-write]

Setup (not measured): n episodes in clusters of 1-6 statements about the same
person and thing (paraphrases, and variants with another detail), embedded with
the real offline model and inserted through the store. Measured: the
`consolidate` job run the way the server runs it (`SleepRunner(isolated=True)`:
a child process with its own connection; its start-up is included), while an MCP client (in memory, the real
server) calls recall and remember back to back, as an assistant would; and the
same calls with no job running, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from bench.core import CACHE, PEOPLE, THINGS, WHEN

FORMS = [
    "{p} bought {t} {w}.",
    "{w}, {p} bought {t}.",
    "{p} says {t} bought {w} was a good buy.",
    "{p} mentioned buying {t} {w}.",
    "{p} is happy with {t} from {w_bare}.",
    "{p} bought {t} {w} for {n} euros.",
]
QUERIES = ["what did Ana buy?", "who bought a red kayak", "camera purchase", "hiking boots", "what did Grace get last week",
           "green tea", "standing desk", "Lisbon", "jazz records", "the mountain bike"]


def episodes(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        p, t, w = rng.choice(PEOPLE), rng.choice(THINGS), rng.choice(WHEN)
        for form in rng.sample(FORMS, rng.randint(1, 6)):
            out.append(form.format(p=p, t=t, w=w, w_bare=w.split(" ", 1)[-1], n=rng.randint(10, 900)) + f" (log {len(out)})")
    return out[:n]


def build(db: Path, n: int, memops: str):
    from server.app import build_context
    from server.clock import SystemClock
    from server.config import Settings
    from server.embed import FastEmbedEmbedder
    from server.models import Memory
    from server.service import content_hash, new_id

    embedder = FastEmbedEmbedder("offline", CACHE)
    settings = Settings(db=db, embedding_model="offline", embedding_cache_dir=CACHE, memops=memops, sleep_enabled=False)
    app = build_context(settings, embedder=embedder)
    app.service._bind()
    texts = episodes(n)
    t0 = time.perf_counter()
    cached = CACHE / f"sleep-bench-{n}.npy"  # setup only: the episodes are deterministic, their vectors too
    if cached.exists():
        vectors = np.load(cached)
    else:
        vectors = embedder.embed(texts)
        np.save(cached, vectors)
    now = SystemClock().now()
    with app.store.transaction():
        for text, vec in zip(texts, vectors):
            app.store.insert(Memory(id=new_id("mem"), namespace="bench", content=text, recorded_at=now, valid_from=now,
                                    content_hash=content_hash(text), embedding_model=embedder.model_id), vec)
    print(f"setup: {n} episodes embedded and stored in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return app


async def drive(app, stop: threading.Event, min_calls: int = 0) -> list[float]:
    """Tool calls through a real MCP client until `stop` is set (and at least `min_calls`); latencies in ms."""
    from mcp import Client

    from server.app import create_server

    lat: list[float] = []
    async with Client(create_server(context=app), cache=None) as client:
        i = 0
        while not stop.is_set() or len(lat) < min_calls:
            if i % 4 == 3:
                name, args = "remember", {"content": f"Note {i}: Farid moved the team meeting to room {i % 17}", "namespace": "bench"}
            else:
                name, args = "recall", {"query": QUERIES[i % len(QUERIES)], "k": 10, "namespace": "bench"}
            t0 = time.perf_counter()
            result = await client.call_tool(name, args)
            lat.append((time.perf_counter() - t0) * 1000)
            assert not result.is_error, result.content[0].text
            i += 1
            await asyncio.sleep(0.02)
    return lat


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="episodes to consolidate")
    ap.add_argument("--memops", default="rules", choices=["rules", "learned"], help="decision module behind the remember calls")
    ap.add_argument("--no-write", action="store_true", help="print the section instead of writing BENCHMARKS.md")
    args = ap.parse_args()

    from server.sleep.runner import SleepRunner

    with tempfile.TemporaryDirectory() as tmp:
        app = build(Path(tmp) / "sleep.db", args.n, args.memops)
        base_stop = threading.Event()
        threading.Timer(10.0, base_stop.set).start()
        baseline = asyncio.run(drive(app, base_stop, min_calls=40))

        stop = threading.Event()
        result: dict = {}

        def run() -> None:
            t0 = time.perf_counter()
            result["summary"] = SleepRunner(app.service, isolated=True).run("bench", ["consolidate"], trigger="bench")
            result["seconds"] = time.perf_counter() - t0
            stop.set()

        worker = threading.Thread(target=run)
        worker.start()
        during = asyncio.run(drive(app, stop))
        worker.join()
        summary = result["summary"]
        counts = summary.jobs[0].counts
        load = open("/proc/loadavg").read().split()[:3] if Path("/proc/loadavg").exists() else ["?"] * 3
        app.store.close()

    ok = result["seconds"] <= 60 and pct(during, 95) < 100
    md = "\n".join([
        "## Sleep: consolidation of 10,000 episodes",
        "",
        f"Consolidating **{counts['episodes']:,}** episodic memories took **{result['seconds']:.1f} s** (target <= 60 s): "
        f"{counts['groups']:,} groups became {counts['semantic']:,} semantic memories and {counts['archived']:,} fully covered "
        f"episodes moved to the archival tier (status {summary.status}).",
        "",
        "Tool calls through a real MCP client (3 recalls : 1 remember, k=10, 20 ms apart):",
        "",
        "| | calls | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|",
        f"| no job running | {len(baseline)} | {pct(baseline, 50):.1f} | {pct(baseline, 95):.1f} | {max(baseline):.1f} |",
        f"| during consolidation | {len(during)} | {pct(during, 50):.1f} | {pct(during, 95):.1f} | {max(during):.1f} |",
        "",
        f"Targets {'met' if ok else 'NOT met'} (p95 target < 100 ms). Load average "
        f"{' / '.join(load)} on {__import__('os').cpu_count()} cores at the end of the run (the benchmark's own server, job and client included). "
        f"Write decisions by `{args.memops}` memops.",
    ])
    if args.no_write:
        print(md)
    else:
        from bench._report import write_section

        write_section("sleep", md, f"python -m bench.sleep_bench --n {args.n} --memops {args.memops}")
        print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
