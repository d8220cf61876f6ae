"""Keyword search at 100k rows: what leaving a query's common terms out would save, and what it would change.

    python -m bench.keyword_prune --locomo /path/to/locomo10.json --longmemeval /path/to/longmemeval_s.json
        [--rows 100000] [--cuts 2000,5000,10000,20000]

Why: FTS5 computes BM25 for every row that matches any query term, however few it returns, and that is the
largest stage of a recall at 100k memories (bench/notes/recall-latency.md). A term in many rows adds little to
BM25 (its IDF is low) but many rows to score, so a query could leave out terms that match more than a cut.
This measures the idea before anyone builds it: FTS5 with the store's tokenizer over real texts (LongMemEval-S
turns, LoCoMo turns, then single sentences of them up to `--rows`), queried with the datasets' questions the
way recall queries (`search.fts_query`). For each cut it prints the CPU of the full query, of counting each
term's rows, and of the pruned query, and how much of the full query's top 10 and top 50 the pruned one keeps.
Prints a Markdown table; nothing is written to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from server.search import fts_query
from server.store.driver import Database

TOKENIZER = "porter unicode61 remove_diacritics 2"  # as memories_fts (server/store/migrations.py)


def corpus(locomo: Path, longmemeval: Path, rows: int) -> tuple[list[str], list[str]]:
    """(texts, questions): every distinct turn, then random single sentences of them up to `rows`."""
    lme = json.loads(longmemeval.read_text())
    loc = json.loads(locomo.read_text())
    texts = list(dict.fromkeys(t["content"] for q in lme for s in q["haystack_sessions"] for t in s))
    for conv in loc:
        for key, session in conv["conversation"].items():
            if key.startswith("session_") and isinstance(session, list):
                texts += [t["text"] for t in session if "text" in t]
    rng = random.Random(0)
    out = texts[:rows]
    while len(out) < rows:
        parts = [p for p in rng.choice(texts).split(". ") if len(p.split()) > 4]
        if parts:
            out.append(rng.choice(parts))
    questions = [q["question"] for q in lme] + [qa["question"] for c in loc for qa in c["qa"]][::10]
    return out, questions


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locomo", type=Path, required=True)
    parser.add_argument("--longmemeval", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cuts", default="2000,5000,10000,20000", help="leave out terms matching more rows than this")
    args = parser.parse_args(argv)

    texts, questions = corpus(args.locomo, args.longmemeval, args.rows)
    with tempfile.TemporaryDirectory(prefix="reverie-kwprune-") as tmp:
        db = Database(Path(tmp) / "fts.db")
        db.execute(f"CREATE VIRTUAL TABLE f USING fts5(content, tokenize='{TOKENIZER}')")
        with db.write():
            db.executemany("INSERT INTO f(content) VALUES (?)", [(t,) for t in texts])

        def top(match: str) -> list[int]:
            return [r[0] for r in db.execute("SELECT rowid, bm25(f) s FROM f WHERE f MATCH ? ORDER BY s LIMIT 50", (match,))]

        print(f"{len(texts)} rows, {len(questions)} questions\n")
        print("| leave out terms in more rows than | full query CPU p50 | counting terms' rows | pruned query | terms left out | top 10 kept (mean / min) | top 50 kept (mean / min) |")
        print("|---|---|---|---|---|---|---|")
        for cut in (int(c) for c in args.cuts.split(",")):
            full, count, pruned, kept10, kept50, left_out, terms_total = [], [], [], [], [], 0, 0
            for question in questions:
                match = fts_query(question)
                if not match:
                    continue
                terms = match.split(" OR ")
                terms_total += len(terms)
                t = time.thread_time(); a = top(match); full.append(time.thread_time() - t)
                t = time.thread_time()
                rows = {term: db.one("SELECT count(*) FROM f WHERE f MATCH ?", (term,))[0] for term in terms}
                count.append(time.thread_time() - t)
                keep = [term for term in terms if rows[term] <= cut] or [min(terms, key=rows.get)]
                left_out += len(terms) - len(keep)
                t = time.thread_time(); b = top(" OR ".join(keep)); pruned.append(time.thread_time() - t)
                kept10.append(len(set(a[:10]) & set(b[:10])) / max(1, min(10, len(a))))
                kept50.append(len(set(a) & set(b)) / max(1, len(a)))
            ms = lambda xs: f"{statistics.median(xs) * 1000:.2f} ms"
            print(f"| {cut} | {ms(full)} | {ms(count)} | {ms(pruned)} | {left_out} of {terms_total} "
                  f"| {statistics.mean(kept10):.3f} / {min(kept10):.2f} | {statistics.mean(kept50):.3f} / {min(kept50):.2f} |")


if __name__ == "__main__":
    main()
