"""The in-process BM25 index against FTS5's bm25(): same scores, same top 50, what it costs, what it holds.

    python -m bench.keyword_index --locomo /path/locomo10.json --longmemeval /path/longmemeval_s.json [--db BENCH_CORE_100K.db]

Why: server/store/keyword_index.py replaces FTS5's ranking in recall's keyword search and must rank as FTS5
does. Two stores, filled through `SQLiteStore.insert` with every LoCoMo turn and every LongMemEval haystack turn
(no vectors: keyword search does not read them):
- "one namespace per file": each conversation (LoCoMo) or question haystack (LongMemEval) in a file of its own,
  as the retrieval harness runs them. FTS5's statistics are then the namespace's, so scores must be equal.
- "all namespaces in one file": the same conversations as namespaces of one file. FTS5 takes N, average length
  and document frequency over the whole file, the index over the namespace: this measures what that changes,
  in agreement and in keyword-only evidence recall@10 (LoCoMo: turns; LongMemEval: any answer session).
With `--real-rows N`, also one namespace of N real texts (bench/keyword_prune.py's corpus) and its 259 questions.
With `--db`, also a bench.core store (`python -m bench.recall_stages --size 100000 --db FILE` fills one) and its
queries. Prints the index's CPU per search against FTS5's (thread CPU), its build time on first search and
the resident memory it adds. Prints a Markdown table; writes nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from server.search import fts_query
from server.store.sqlite import SQLiteStore

TOP = 50


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def conversations(locomo: Path, longmemeval: Path) -> list[dict]:
    """[{name, turns: [(text, label)], questions: [(question, wanted labels)]}]: LoCoMo labels are dia_ids,
    LongMemEval's session ids."""
    out = []
    for i, conv in enumerate(json.loads(locomo.read_text())):
        turns = [(t["text"], t["dia_id"]) for k, s in conv["conversation"].items()
                 if k.startswith("session_") and isinstance(s, list) for t in s if "text" in t]
        qs = [(qa["question"], set(qa.get("evidence") or [])) for qa in conv["qa"] if qa.get("category") in (1, 2, 3, 4)]
        out.append({"name": f"locomo{i}", "turns": turns, "questions": qs})
    for i, q in enumerate(json.loads(longmemeval.read_text())):
        turns = [(t["content"], sid) for sid, s in zip(q["haystack_session_ids"], q["haystack_sessions"]) for t in s if t["role"] == "user"]
        out.append({"name": f"lme{i}", "turns": turns, "questions": [(q["question"], set(q["answer_session_ids"]))]})
    return out


def fill(store: SQLiteStore, namespace: str, turns: list[tuple[str, str]]) -> dict[int, str]:
    from server.models import Memory
    from server.service import content_hash, new_id

    now, labels = datetime.now(timezone.utc), {}
    with store.transaction():
        for text, label in turns:
            m = Memory(id=new_id("mem"), namespace=namespace, content=text, recorded_at=now, content_hash=content_hash(text), embedding_model="none")
            labels[store.insert(m, None)] = label
    return labels


def compare(store: SQLiteStore, namespace: str, questions, labels: dict[int, str] | None, stats: dict) -> None:
    t = time.thread_time()
    store.keyword_search(namespace, '"warm"', 1)  # the first search builds the namespace's postings: timed apart
    stats["build_cpu"].append(time.thread_time() - t)
    for question, wanted in questions:
        match = fts_query(question)
        if not match:
            continue
        t = time.thread_time()
        fts = store.fts5_search(namespace, match, TOP)
        t1 = time.thread_time()
        mine = store.keyword_search(namespace, match, TOP)
        t2 = time.thread_time()
        stats["fts_cpu"].append(t1 - t)
        stats["index_cpu"].append(t2 - t1)
        a, b = dict(fts), dict(mine)
        common = set(a) & set(b)
        stats["rel_diff"] = max([stats["rel_diff"], *(abs(a[r] - b[r]) / abs(a[r]) for r in common)])
        for depth, key in ((10, "top10"), (TOP, "top50")):
            fa, fb = {r for r, _ in fts[:depth]}, {r for r, _ in mine[:depth]}
            stats[key].append(len(fa & fb) / max(1, len(fa)))
            # A different member is only a tie at the cut when it scores what the cut scores.
            if fa != fb and fts[:depth] and mine[:depth]:
                cut = min(s for _, s in fts[:depth])
                stats[key + "_untied"] += any(abs(b[r] - cut) > 1e-9 * cut for r in fb - fa)
        if labels is not None and wanted:
            for name, hits in (("fts_recall", fts), ("index_recall", mine)):
                got = {labels[r] for r, _ in hits[:10]}
                # LoCoMo: the share of evidence turns found; LongMemEval: whether any answer session was.
                stats[name].append(float(bool(got & wanted)) if stats["any"] else len(got & wanted) / len(wanted))


def new_stats(any_hit: bool = False) -> dict:
    return {"any": any_hit, "fts_cpu": [], "index_cpu": [], "rel_diff": 0.0, "top10": [], "top50": [], "top10_untied": 0, "top50_untied": 0,
            "fts_recall": [], "index_recall": [], "build_cpu": []}


def row(name: str, s: dict) -> str:
    ms = lambda v: f"{statistics.median(v) * 1000:.2f}"  # noqa: E731
    n = len(s["top10"])
    recall = f"{statistics.mean(s['fts_recall']):.3f} / {statistics.mean(s['index_recall']):.3f}" if s["fts_recall"] else "-"
    return (f"| {name} | {n} | {s['rel_diff']:.1e} | {statistics.mean(s['top10']):.4f} ({s['top10_untied']}) | "
            f"{statistics.mean(s['top50']):.4f} ({s['top50_untied']}) | {recall} | {ms(s['fts_cpu'])} | {ms(s['index_cpu'])} | "
            f"{sum(s['build_cpu']) * 1000 / len(s['build_cpu']):.1f} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locomo", type=Path, required=True)
    parser.add_argument("--longmemeval", type=Path, required=True)
    parser.add_argument("--db", type=Path, help="a bench.core store (namespace 'r') to compare on too")
    parser.add_argument("--real-rows", type=int, default=0,
                        help="also one namespace of this many real texts (bench/keyword_prune.py's corpus: turns, then sentences of them)")
    args = parser.parse_args(argv)

    convs = conversations(args.locomo, args.longmemeval)
    print("| store | questions | max relative score difference | top 10 agreement (questions with a non-tie difference) | "
          "top 50 agreement (same) | keyword-only recall@10 FTS5 / index | FTS5 CPU p50 ms | index CPU p50 ms | index build CPU ms per namespace |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="reverie-kwindex-") as tmp:
        for family in ("locomo", "lme"):
            separate, shared = new_stats(family == "lme"), new_stats(family == "lme")
            one = SQLiteStore(Path(tmp) / f"{family}-all.db")
            for conv in (c for c in convs if c["name"].startswith(family)):
                own = SQLiteStore(Path(tmp) / f"{conv['name']}.db")
                labels = fill(own, "ns", conv["turns"])
                compare(own, "ns", conv["questions"], labels, separate)
                own.close()
                conv["labels"] = fill(one, conv["name"], conv["turns"])
            for conv in (c for c in convs if c["name"].startswith(family)):
                compare(one, conv["name"], conv["questions"], conv["labels"], shared)
            one.close()
            label = "LoCoMo (10 conversations)" if family == "locomo" else "LongMemEval-S (60 haystacks)"
            print(row(f"{label}, one namespace per file", separate))
            print(row(f"{label}, all namespaces in one file", shared))
        if args.real_rows:
            from bench.keyword_prune import corpus

            texts, questions = corpus(args.locomo, args.longmemeval, args.real_rows)
            store = SQLiteStore(Path(tmp) / "real.db")
            fill(store, "r", [(t, "") for t in texts])
            s = new_stats()
            compare(store, "r", [(q, set()) for q in questions], None, s)
            print(row(f"{len(texts)} real texts in one namespace", s))
            store.close()
        if args.db:
            from bench.core import QUERIES

            store = SQLiteStore(args.db)
            n = store.counts().get("r", {})
            rss, t, c = _rss_mb(), time.perf_counter(), time.process_time()
            store.keyword_search("r", fts_query(QUERIES[0]), TOP)
            build_s, build_cpu, added = time.perf_counter() - t, time.process_time() - c, _rss_mb() - rss
            s = new_stats()
            for _ in range(20):
                compare(store, "r", [(q, set()) for q in QUERIES], None, s)
            print(row(f"bench.core, {sum(n.values())} memories", s))
            part = store.keywords._parts["r"]
            arrays = sum(a.nbytes for a in (part.rowids, part.dl, part.df, part.offsets, part.docs, part.tfs))
            vocab = sys.getsizeof(part.terms) + sum(sys.getsizeof(t) for t in part.terms)
            print(f"\nbench.core store: index built on first search in {build_s:.2f} s ({build_cpu:.2f} s CPU); resident memory "
                  f"+{added:.0f} MB after the build; the index holds {arrays / 2**20:.1f} MB of arrays and a {len(part.terms)}-term "
                  f"vocabulary of {vocab / 2**20:.1f} MB ({len(part.docs)} postings)")
            store.close()


if __name__ == "__main__":
    main()
