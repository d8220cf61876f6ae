"""Does the learned recall stage help? One ingest, recall with the reranker off and on.

    python bench/rerank_check.py LOCOMO.json [--limit 2] [--offset 0] [--memops learned|rules]
    python bench/rerank_check.py LONGMEMEVAL.json --format longmemeval --limit 20
    python bench/rerank_check.py LONGMEMEVAL.json --format longmemeval --limit 60 --switch time-frames
    python bench/rerank_check.py LOCOMO.json --limit 5 --switch pool [--sleep]
    python bench/rerank_check.py LONGMEMEVAL.json --format longmemeval --limit 30 --switch session-support [--replied-context]
    python bench/rerank_check.py LONGMEMEVAL.json --format longmemeval --limit 30 --switch frame-words --replied-context [--context-words 150]
    python bench/rerank_check.py LOCOMO.json --limit 5 --switch keyword-index
    python bench/rerank_check.py LONGMEMEVAL.json --format longmemeval --limit 30 --switch passages [--replied-context --context-words 100]
    python bench/rerank_check.py LOCOMO.json --limit 10 --switch query-int8

(`--switch time-frames` flips recall's preference for memories dated inside a time frame the question names,
`service.TIME_FRAME_BOOST`, instead of the reranker, which then stays at its default; `--switch pool` flips the
candidate pool's floor, `search.POOL_MIN`, between its default and 200; `--switch session-support` flips the
support a memory gets from its own session's other matches, `Settings.session_support`, server/sessionrank.py;
`--switch frame-words` flips whether the words of a time frame the question names stay out of its embedding and
keywords, `Settings.frame_out_of_query`, server/timeframe.py; `--switch keyword-index` flips the keyword search
between FTS5's bm25() and the in-process index, `Settings.keyword_index`, server/store/keyword_index.py;
`--switch passages` ingests long memories with their
passage vectors and flips whether recall scores a memory by the best of them, `Settings.passage_vectors`,
server/passages.py; `--switch query-int8` embeds each question with the fp32 model or its int8 copy,
`Settings.query_precision`, server/embed.py (the stored vectors are the same fp32 ones in both rows).
With any switch, the two rows differ in nothing else. `--sleep` runs a sleep pass after each ingest, as
`reverie bench retrieval --sleep` does; `--replied-context` gives LongMemEval's user turns the assistant turn they
answer as context, as `reverie bench retrieval --replied-context` does, cut to its first N words with
`--context-words N`.)

Ingests each conversation (LongMemEval: each question's haystack) once through the real service
(`remember_many` per session), then asks every question twice: with `learned_rerank` off (the hybrid
ranking) and on (the memory-ops model's correction of it). Prints recall@k (LoCoMo: turn-level evidence
recall; LongMemEval: session-level recall_all@k and ndcg_any@k) for both, the write decisions, and the
rerank stage's own CPU time per recall. Cheaper than two runs of `reverie bench retrieval`, and the two
rankings see exactly the same store.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.bench.datasets import load  # noqa: E402
from server import search as search_module  # noqa: E402
from server import service as service_module  # noqa: E402
from server.bench.retrieval import ReverieSystem, evaluate, sleep_hook  # noqa: E402

FRAME_BOOST = service_module.TIME_FRAME_BOOST
POOL_MIN = search_module.POOL_MIN


SWITCHES = {"rerank": ("hybrid", "learned"), "time-frames": ("no-frames", "frames"), "pool": (f"pool-{POOL_MIN}", "pool-200"),
            "session-support": ("no-support", "support"), "frame-words": ("frame-words-in", "frame-words-out"),
            "keyword-index": ("fts5-bm25", "keyword-index"),
            "passages": ("no-passages", "passages"), "query-int8": ("query-fp32", "query-int8")}


class _BothRankings(ReverieSystem):
    """The first variant recalls with the switch off, the second with it on; times the learned stage itself."""

    switch = "rerank"

    def search(self, question, depth, variant):
        on = variant == SWITCHES[self.switch][1]
        if self.switch == "rerank":
            self.service.settings = self.settings.model_copy(update={"learned_rerank": on})
        elif self.switch == "pool":
            search_module.POOL_MIN = 200 if on else POOL_MIN
        elif self.switch == "session-support":
            self.service.settings = self.settings.model_copy(update={"session_support": self.settings.session_support if on else 0.0})
        elif self.switch == "frame-words":
            self.service.settings = self.settings.model_copy(update={"frame_out_of_query": on})
        elif self.switch == "keyword-index":
            store = self.service.store
            store.__dict__.setdefault("_keyword_index", store.keywords)
            store.keywords = store._keyword_index if on else None
        elif self.switch == "passages":  # ingested with them; the off row's recall ignores them
            self.service.settings = self.settings.model_copy(update={"passage_vectors": on})
        elif self.switch == "query-int8":
            embedder = self.service.embedder
            embedder.__dict__.setdefault("_int8_query_session", embedder._query_session)
            embedder._query_session = embedder._int8_query_session if on else embedder._model.model.model
        else:
            service_module.TIME_FRAME_BOOST = FRAME_BOOST if on else 0.0
        return super().search(question, depth, "hybrid")

    def start(self, conversation) -> None:
        super().start(conversation)
        self.rerank_cpu = getattr(self, "rerank_cpu", [])  # CPU seconds of the learned stage, one per recall with it on
        stage = self.service._learned_rerank

        def timed(*args, **kwargs):
            t0 = time.thread_time()
            stage(*args, **kwargs)
            if self.service.settings.learned_rerank:
                self.rerank_cpu.append(time.thread_time() - t0)

        self.service._learned_rerank = timed
        self.support_cpu = getattr(self, "support_cpu", [])  # CPU seconds of the session support stage, when it runs
        support = self.service._session_support

        def timed_support(*args, **kwargs):
            t0 = time.thread_time()
            out = support(*args, **kwargs)
            self.support_cpu.append(time.thread_time() - t0)
            return out

        self.service._session_support = timed_support


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--limit", type=int, default=2)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--memops", choices=["learned", "rules"], default="learned")
    ap.add_argument("--format", choices=["locomo", "longmemeval"], default="locomo")
    ap.add_argument("--switch", choices=sorted(SWITCHES), default="rerank", help="what the two rows differ in")
    ap.add_argument("--sleep", action="store_true", help="run a sleep pass (server.sleep.run_sleep) after each ingest")
    ap.add_argument("--replied-context", action="store_true", help="LongMemEval: user turns carry the assistant turn they answer as context")
    ap.add_argument("--context-words", type=int, help="with --replied-context: the assistant turn cut to its first N words")
    args = ap.parse_args(argv)
    from server.app import load_ops
    from server.config import Settings
    from server.embed import FastEmbedEmbedder

    dataset = load(args.format, args.path, limit=args.limit, offset=args.offset)
    with tempfile.TemporaryDirectory(prefix="reverie-rerank-") as tmp:
        settings = Settings(db=Path(tmp) / "unused.db", embedding_model="offline", max_content_bytes=1 << 20, memops=args.memops)
        query_precision = "int8" if args.switch == "query-int8" else settings.query_precision
        embedder = FastEmbedEmbedder(settings.embedding_model, settings.embedding_cache_dir, precision=settings.embedding_precision, query_precision=query_precision)
        ops = load_ops(settings)
        if not getattr(ops, "has_rerank", False):
            print("note: the loaded checkpoint has no enabled reranker; both rows are the hybrid ranking")
        system = _BothRankings(settings, embedder, ops, Path(tmp), SWITCHES[args.switch], sleep_hook() if args.sleep else None,
                               replied=args.replied_context, context_words=args.context_words)
        system.switch = args.switch
        try:
            reports = evaluate(dataset, system, ks=(1, 5, 10, 20))
        finally:
            system.close()
    what = "LoCoMo conversations" if args.format == "locomo" else "LongMemEval questions"
    print(f"{what} {args.offset + 1}-{args.offset + len(dataset.conversations)}, write path {args.memops}" + (", after sleep" if args.sleep else ""))
    shown = ("recall@",) if args.format == "locomo" else ("recall_all@", "ndcg_any@")
    for name, report in reports.items():
        cells = "  ".join(f"{k} {v:.3f}" for k, v in report["overall"].items() if k.startswith(shown))
        timing = report["timing"]
        print(f"{name:9s} {cells}  tokens@10 {report['overall']['tokens@10']:.0f}  recall p50 {timing['recall_p50_ms']:.1f} ms"
              f" (CPU {timing['recall_cpu_p50_ms']:.1f} ms)")
        for cat, row in sorted(report.get("by_category", {}).items()):
            key = "recall@10" if args.format == "locomo" else "recall_all@5"
            if key in row:
                print(f"    {cat:28s} {key} {row[key]:.3f}")
    cpu = sorted(system.rerank_cpu)
    if cpu:
        print(f"rerank stage CPU per recall: p50 {1000 * cpu[len(cpu) // 2]:.2f} ms, p95 {1000 * cpu[int(len(cpu) * 0.95)]:.2f} ms (n={len(cpu)})")
    cpu = sorted(system.support_cpu)
    if cpu:
        print(f"session support stage CPU per recall: p50 {1000 * cpu[len(cpu) // 2]:.2f} ms, p95 {1000 * cpu[int(len(cpu) * 0.95)]:.2f} ms (n={len(cpu)})")
    timing = next(iter(reports.values()))["timing"]
    print(f"ingest: {timing['turns']} turns in {timing['ingest_s']:.0f} s wall, {timing['ingest_cpu_s']:.0f} s CPU (load average "
          f"{timing['load_avg_1m']})")
    print("write decisions:", dict(system.decisions.most_common()))
    return reports


if __name__ == "__main__":
    main()
