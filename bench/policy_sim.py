"""Policy memory benchmark: a scripted user with hidden routines, through the real service and embedding model.

    python -m bench.policy_sim [--weeks 14] [--change-week 7] [--seed 7] [--hash]

Writes the learning curve into BENCHMARKS.md (section "policy") and docs/policy_learning_curve.png.
See server/policy/sim.py for the user: a weekly routine that moves halfway, an event-triggered routine,
noise events, skipped routines and ignored proposals; learning runs every simulated night.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".pytest_cache" / "reverie-models"
PNG = ROOT / "docs" / "policy_learning_curve.png"


def run(weeks: int, change_week: int, seed: int, use_hash: bool):
    from server.app import build_context
    from server.clock import FixedClock
    from server.config import Settings
    from server.embed import FastEmbedEmbedder, HashEmbedder
    from server.policy.sim import START, SimConfig, simulate

    tmp = Path(tempfile.mkdtemp(prefix="reverie-policy-"))
    settings = Settings(db=tmp / "sim.db", embedding_model="offline", embedding_cache_dir=CACHE)
    embedder = HashEmbedder() if use_hash else FastEmbedEmbedder("offline", CACHE)
    clock = FixedClock(START)
    app = build_context(settings, embedder=embedder, clock=clock)
    try:
        cfg = SimConfig(weeks=weeks, change_week=change_week, seed=seed)
        return simulate(app.service, app.policies, clock, cfg), embedder.model_id, settings.memops
    finally:
        app.store.close()


def plot(report, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed; skipping the plot", file=sys.stderr)
        return False
    weeks = [w.week + 1 for w in report.weeks]
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=120)
    ax.plot(weeks, [w.precision if w.precision is not None else float("nan") for w in report.weeks], "o-", label="precision@1 (routine situations)")
    ax.plot(weeks, [w.coverage for w in report.weeks], "s--", label="coverage (routine situations answered right)")
    ax2 = ax.twinx()
    ax2.bar(weeks, [w.other_proposed for w in report.weeks], alpha=0.25, color="grey", label="proposals without a routine")
    ax2.set_ylim(0, 10)
    ax2.set_ylabel("proposals without a routine / week")
    ax.axvline(report.config.change_week + 1, color="red", linestyle=":", label="weekly routine moves")
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlabel("simulated week")
    ax.set_title("Policy memory: learning curve of a simulated user")
    lines = ax.get_legend_handles_labels()
    bars = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + bars[0], lines[1] + bars[1], loc="lower right", fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=14, help="simulated weeks")
    parser.add_argument("--change-week", type=int, default=7, help="0-based week the weekly routine moves")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the simulated user")
    parser.add_argument("--hash", action="store_true", help="use the hash embedder instead of the real model (fast, not semantic)")
    args = parser.parse_args(argv)
    from bench._report import write_section
    from server.policy.sim import markdown

    started = time.perf_counter()
    report, model, memops = run(args.weeks, args.change_week, args.seed, args.hash)
    seconds = time.perf_counter() - started
    body = "## Policy memory (simulated user)\n\n" + markdown(report)
    body += f"\n\nEmbedding model `{model}`, memory-ops `{memops}`; {seconds:.0f} s for the whole run (learning every simulated night)."
    if plot(report, PNG):
        body += f"\n\n![learning curve](docs/{PNG.name})"
    command = "python -m bench.policy_sim" + (" --hash" if args.hash else "")
    write_section("policy", body, command)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
