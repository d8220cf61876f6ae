"""`reverie bench retrieval`: run a retrieval benchmark through the real remember/recall paths."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from server.bench.datasets import FORMATS, DatasetError, load
from server.bench.retrieval import DEFAULT_KS, STRATEGIES, SleepUnavailable, log, run_reverie


def _ks(value: str) -> list[int]:
    try:
        ks = sorted({int(v) for v in value.split(",") if v.strip()})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a comma-separated list of integers, e.g. 1,5,10,20") from exc
    if not ks or ks[0] < 1 or ks[-1] > 100:
        raise argparse.ArgumentTypeError("each k must be between 1 and 100")
    return ks


def _strategies(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    bad = [n for n in names if n not in STRATEGIES]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"strategies are {', '.join(STRATEGIES)} (comma-separated); got {value!r}")
    return list(dict.fromkeys(names))


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number of words; got {value!r}")
    return n


def summary_table(reports: dict[str, dict[str, Any]]) -> str:
    """A plain-text table of the overall metrics, one row per strategy."""
    first = next(iter(reports.values()))
    keys = [k for k in first["overall"] if "@" in k and not k.startswith("tokens")]
    lines = ["strategy  " + "  ".join(f"{k:>13}" for k in keys) + "    p50 ms   p95 ms  first p50  later p50"]
    for name, rep in reports.items():
        values = "  ".join(f"{rep['overall'][k]:>13.3f}" for k in keys)
        t = rep["timing"]
        first, later = (f"{v:>9.1f}" if v is not None else f"{'-':>9}" for v in (t.get("recall_first_p50_ms"), t.get("recall_later_p50_ms")))
        lines.append(f"{name:<8}  {values}  {t['recall_p50_ms']:>8.1f} {t['recall_p95_ms']:>8.1f}  {first}  {later}")
    return "\n".join(lines)


def cmd_bench(args: argparse.Namespace) -> int:
    try:
        dataset = load(args.format, args.path, limit=args.limit, offset=args.offset)
    except (DatasetError, OSError) as exc:
        log(f"reverie bench: {exc}")
        return 2
    log(f"{dataset.name}: {len(dataset.conversations)} conversations, {dataset.n_turns} turns, {dataset.n_questions} questions")
    try:
        reports = run_reverie(
            dataset, embedding_model=args.embedding_model or "offline", cache_dir=args.cache_dir, memops=args.memops,
            strategies=args.strategy, ks=args.k, depth=args.depth, sleep=args.sleep, context=not args.no_context, progress=log,
            replied=args.replied_context, context_words=args.context_words,
        )
    except SleepUnavailable as exc:
        log(f"reverie bench: {exc}")
        return 2
    print(summary_table(reports))
    ingest = next(iter(reports.values()))["ingest"]
    print(f"write decisions: {ingest['decisions']}; turns stored nowhere: {ingest['turns_stored_nowhere']}")
    if ingest.get("memories_after_sleep"):
        print(f"memories by status after ingest: {ingest['memories_after_ingest']}; after sleep: {ingest['memories_after_sleep']}")
    if ingest["evidence_turns"]:
        print(f"evidence turns after ingest: {ingest['evidence_turns']}")
    if args.json:
        main = dict(reports[args.strategy[0]])
        main["strategies"] = {name: {k: v for k, v in rep.items() if k != "ingest"} for name, rep in reports.items()}
        Path(args.json).write_text(json.dumps(main, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        log(f"wrote {args.json}")
    return 0


def add_commands(sub, add) -> None:
    p = add("bench", cmd_bench, "Benchmarks. `bench retrieval` scores recall on LoCoMo, LongMemEval or a convqa file.")
    p.add_argument("action", choices=["retrieval"], help="which benchmark to run (retrieval: evidence recall@k through remember/recall)")
    p.add_argument("path", type=Path, help="the data set file (JSON)")
    p.add_argument("--format", required=True, choices=FORMATS, help="data set format: locomo, longmemeval or convqa (docs/convqa.md)")
    p.add_argument("--k", type=_ks, default=list(DEFAULT_KS), help="cut-offs, comma-separated (default 1,5,10,20)")
    p.add_argument("--strategy", type=_strategies, default=["hybrid"],
                   help="recall strategy, or several comma-separated on one ingest: hybrid, vector (baseline), keyword (BM25 baseline)")
    p.add_argument("--limit", type=int, help="only the first N conversations (LongMemEval: N questions)")
    p.add_argument("--offset", type=int, default=0, help="skip the first N conversations (to shard a long run; see merge_reports)")
    p.add_argument("--depth", type=int, help="results to ask recall for (default: largest k; 3x that for session-level data)")
    p.add_argument("--sleep", action="store_true", help="run the sleep/consolidation pass after ingesting each conversation")
    p.add_argument("--replied-context", dest="replied_context", action="store_true",
                   help="LongMemEval: a user turn's context is the assistant turn it answers (not stored), not the previous user turn")
    p.add_argument("--context-words", dest="context_words", type=_positive, metavar="N",
                   help="with --replied-context: cut each assistant turn to its first N words (ingest embeds less; see bench/context_cost.py)")
    p.add_argument("--no-context", dest="no_context", action="store_true",
                   help="ingest each turn alone, without the previous turn of its session as `context` (ablation)")
    p.add_argument("--memops", choices=["learned", "rules"], help="write-path decision module (default: REVERIE_MEMOPS or learned)")
    p.add_argument("--cache-dir", dest="cache_dir", type=Path, help="embedding model cache (default: REVERIE_EMBEDDING_CACHE_DIR)")
    p.add_argument("--json", metavar="OUT", help="write the full report (metrics per category, timing, diagnostics) to OUT")
