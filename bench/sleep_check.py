"""Does a sleep run cost recall? One ingest, every question asked before and after sleep.

    python bench/sleep_check.py LONGMEMEVAL.json --format longmemeval --limit 30 [--offset 30] [--stores DIR]
    python bench/sleep_check.py LOCOMO.json --limit 3 [--per-question OUT.json]

Each conversation (LongMemEval: each question's haystack) is ingested once through the real service, as
`reverie bench retrieval` does. The store is then copied (`VACUUM INTO`) and `run_sleep` runs on the copy, so
the "no-sleep" and "sleep" rows see the same ingest and differ only by the sleep run; with `--switch
source-dates` a third row, "sleep-latest-date", recalls on the same slept copy with each consolidated memory
dated by its latest source alone, as recall did before session 7 (`timeframe.SOURCE_DATES`), so the rows differ
in nothing else.
`--stores DIR` keeps each ingested store in DIR and reuses it on the next run (for iterating on sleep or recall;
the write path must be unchanged between runs). `--per-question OUT` writes each question's metrics per row, to
see which questions a change moves.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server import timeframe  # noqa: E402
from server.bench.datasets import load  # noqa: E402
from server.bench.metrics import approx_tokens, first_appearance  # noqa: E402
from server.bench.retrieval import ReverieSystem, evaluate, sleep_hook  # noqa: E402

SWITCHES = {"source-dates": "sleep-latest-date"}


class _BeforeAndAfter(ReverieSystem):
    """Rows: "no-sleep" on the ingested store, "sleep" (and a switched row) on a slept copy of it."""

    stores_dir: Path | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked: list[tuple[str, object, list]] = []  # (row, question, hits): for the token-budget figures
        self.ranked: dict[str, dict[str, list[str]]] = {}  # question -> row -> its first 10 sessions (* evidence)
        self._session_of = None

    def start(self, conversation) -> None:
        super().start(conversation)
        self._session_of = None
        self.slept = None
        self._reused = False
        if self.stores_dir is not None:
            kept = self.stores_dir / f"{self.namespace}.db"
            if kept.exists():
                self.store.close()
                for suffix in ("-wal", "-shm"):
                    Path(str(self.store.path) + suffix).unlink(missing_ok=True)
                shutil.copyfile(kept, self.store.path)
                self._reopen()
                landed = json.loads((self.stores_dir / f"{self.namespace}.landed.json").read_text())
                self._landed.update({k: set(v) for k, v in landed["landed"].items()})
                self._turn_memory.update(landed["turn_memory"])
                self._reused = True

    def _reopen(self) -> None:
        from server.service import MemoryService
        from server.store import open_store

        settings = self.service.settings
        self.store = open_store(settings)
        self.service = MemoryService(self.store, self.embedder, self.ops, settings)

    def ingest(self, session) -> None:
        if not self._reused:
            super().ingest(session)

    def finish_ingest(self) -> None:
        from server.service import MemoryService
        from server.store import open_store

        if self.stores_dir is not None and not self._reused:
            self.stores_dir.mkdir(parents=True, exist_ok=True)
            kept = self.stores_dir / f"{self.namespace}.db"
            self.store.db.execute("VACUUM INTO ?", (str(kept),))
            (self.stores_dir / f"{self.namespace}.landed.json").write_text(json.dumps(
                {"landed": {k: sorted(v) for k, v in self._landed.items()}, "turn_memory": self._turn_memory}))
        self.status_after_ingest.update(self.store.counts().get(self.namespace, {}))
        copy = Path(str(self.store.path) + ".slept")
        copy.unlink(missing_ok=True)
        self.store.db.execute("VACUUM INTO ?", (str(copy),))
        settings = self.service.settings.model_copy(update={"db": copy})
        store = open_store(settings)
        self.slept = (store, MemoryService(store, self.embedder, self.ops, settings))
        self.sleep(self.slept[1], self.namespace)
        self.status_after_sleep.update(store.counts().get(self.namespace, {}))

    def search(self, question, depth, variant):
        hits = self._search(question, depth, variant)
        self.asked.append((variant, question, hits))
        if self._session_of is None:
            self._session_of = self.conversation.turn_session()
        ranked = first_appearance([h.turns for h in hits], self._session_of)
        self.ranked.setdefault(question.id, {})[variant] = [("*" if s in question.evidence else "") + s for s in ranked[:10]]
        return hits

    def _search(self, question, depth, variant):
        if variant == "no-sleep":
            hits = super().search(question, depth, "hybrid")
        else:
            own = self.store, self.service
            self.store, self.service = self.slept
            timeframe.SOURCE_DATES = variant == "sleep"
            try:
                hits = super().search(question, depth, "hybrid")
            finally:
                self.store, self.service = own
                timeframe.SOURCE_DATES = True
        return hits

    def close(self) -> None:
        if getattr(self, "slept", None) is not None:
            self.slept[0].close()
            self.slept = None
        super().close()


BUDGETS = (300, 450, 600)


def budget_recall(asked, budget: int) -> dict[str, float]:
    """Turn-level evidence recall of the hits that fit in `budget` tokens, best first, per row: what a client with a
    fixed context budget gets, whatever the length of each memory (a summary costs several turns' tokens)."""
    rows: dict[str, list[float]] = {}
    for variant, question, hits in asked:
        evidence, got, used = set(question.evidence), set(), 0
        for hit in hits:
            used += approx_tokens(hit.text)
            if used > budget:
                break
            got |= hit.turns
        rows.setdefault(variant, []).append(len(evidence & got) / len(evidence) if evidence else 0.0)
    return {v: sum(x) / max(1, len(x)) for v, x in rows.items()}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--format", choices=["locomo", "longmemeval"], default="locomo")
    ap.add_argument("--limit", type=int, default=2)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--memops", choices=["learned", "rules"], default="learned")
    ap.add_argument("--switch", choices=sorted(SWITCHES), help="add a row on the slept copy with this part of the fix off")
    ap.add_argument("--stores", type=Path, help="keep ingested stores here and reuse them on the next run")
    ap.add_argument("--per-question", type=Path, help="write each question's metrics per row to this JSON file")
    args = ap.parse_args(argv)
    from server.app import load_ops
    from server.config import Settings
    from server.embed import FastEmbedEmbedder

    dataset = load(args.format, args.path, limit=args.limit, offset=args.offset)
    variants = ["no-sleep", "sleep"] + ([SWITCHES[args.switch]] if args.switch else [])
    with tempfile.TemporaryDirectory(prefix="reverie-sleepcheck-") as tmp:
        settings = Settings(db=Path(tmp) / "unused.db", embedding_model="offline", max_content_bytes=1 << 20, memops=args.memops)
        embedder = FastEmbedEmbedder(settings.embedding_model, settings.embedding_cache_dir, precision=settings.embedding_precision)
        ops = load_ops(settings)
        system = _BeforeAndAfter(settings, embedder, ops, Path(tmp), variants, sleep_hook())
        system.stores_dir = args.stores.resolve() if args.stores else None
        try:
            reports = evaluate(dataset, system, ks=(1, 5, 10, 20), failures_per_category=100)
        finally:
            system.close()
    what = "LoCoMo conversations" if args.format == "locomo" else "LongMemEval questions"
    print(f"{what} {args.offset + 1}-{args.offset + len(dataset.conversations)}, write path {args.memops}")
    shown = ("recall@",) if args.format == "locomo" else ("recall_all@", "ndcg_any@")
    key = "recall@10" if args.format == "locomo" else "recall_all@5"
    for name, report in reports.items():
        cells = "  ".join(f"{k} {v:.3f}" for k, v in report["overall"].items() if k.startswith(shown))
        print(f"{name:18s} {cells}  tokens@10 {report['overall']['tokens@10']:.0f}")
        for cat, row in sorted(report.get("by_category", {}).items()):
            if key in row:
                print(f"    {cat:28s} {key} {row[key]:.3f}")
    if args.format == "locomo":
        for budget in BUDGETS:
            cells = "  ".join(f"{name} {v:.3f}" for name, v in budget_recall(system.asked, budget).items())
            print(f"recall within {budget} tokens: {cells}")
    missed = {name: sorted(f["question_id"] for f in report["failures"]) for name, report in reports.items()}
    for name, ids in missed.items():
        print(f"{name}: missed {len(ids)}" + (f": {', '.join(ids)}" if len(ids) <= 12 else ""))
    print("memories after ingest:", dict(system.status_after_ingest), "after sleep:", dict(system.status_after_sleep))
    if args.per_question:
        changed = {q: rows for q, rows in system.ranked.items() if len({tuple(r) for r in rows.values()}) > 1}
        args.per_question.write_text(json.dumps({"failures": {name: r["failures"] for name, r in reports.items()},
                                                 "sessions_where_rows_differ": changed}, indent=1, ensure_ascii=False))
    return reports


if __name__ == "__main__":
    main()
