"""Tune recall without re-ingesting: ingest conversations once, then score variants of the ranking constants.

    python -m bench.recall_sweep ingest /path/to/locomo10.json --store DIR --offset 0 --limit 3
    python -m bench.recall_sweep score /path/to/locomo10.json --store DIR --offset 0 --limit 3 \
        --variant base='{}' --variant share5='{"service.NEIGHBOR_SHARE": 0.5}'
    python -m bench.recall_sweep ingest /path/to/longmemeval_s.json --format longmemeval --store DIR --limit 20
    python -m bench.recall_sweep misses /path/to/locomo10.json --store DIR --limit 3 --show 20
    python -m bench.recall_sweep score /path/to/longmemeval_s.json --format longmemeval --store DIR --limit 30 --ranks 9a707b82
    python -m bench.recall_sweep explain /path/to/longmemeval_s.json --format longmemeval --store DIR --offset 0 --limit 1 --show 10

A variant sets module constants (`service.X` in server.service, likewise `search.X`, `sessionrank.X`, `timeframe.X`,
`passages.X`) for its run; each starts from the defaults. `--strategy vector` (or keyword) scores
that baseline on the same stores. Scores are those of `reverie bench retrieval`: turn-level evidence recall@k for LoCoMo,
session-level recall_all@k for LongMemEval. Ingest goes through the real write path, so write-side
changes need a new `ingest`; this is for the read side, where one ingest serves any number of variants.
`misses` tells, for each LoCoMo evidence turn, where recall put it and why it missed (see `misses`). `score` also
names the questions whose main metric a variant moved against the first; `explain` prints each question's top
results and evidence memories with their scores at every stage of recall.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

MODEL_CACHE = Path(__file__).resolve().parents[1] / ".pytest_cache" / "reverie-models"


def _system(store_dir: Path, cache_dir: Path, replied: bool = False, context_words: int | None = None):
    from server.app import load_ops
    from server.bench.retrieval import ReverieSystem
    from server.config import Settings
    from server.embed import FastEmbedEmbedder

    settings = Settings(db=store_dir / "unused.db", embedding_model="offline", embedding_cache_dir=cache_dir, max_content_bytes=1 << 20)
    return ReverieSystem(settings, FastEmbedEmbedder("offline", cache_dir), load_ops(settings), store_dir, replied=replied,
                         context_words=context_words)


def ingest(dataset, store_dir: Path, cache_dir: Path, replied: bool = False, context_words: int | None = None) -> None:
    system = _system(store_dir, cache_dir, replied, context_words)
    for conv in dataset.conversations:
        system.start(conv)
        for session in conv.sessions:
            if session.turns:
                system.ingest(session)
        system.close()
        shutil.move(store_dir / f"conv{system._n:04d}.db", store_dir / f"{system.namespace}.db")
        print(f"{conv.id}: {dict(system.decisions)}", file=sys.stderr)


def score(
    dataset, store_dir: Path, cache_dir: Path, variants: dict[str, dict], ks=(5, 10, 20), strategy: str = "hybrid",
    ranks: frozenset[str] = frozenset(), depth: int | None = None,
) -> None:
    """Print each variant's scores; for the questions (LongMemEval ids) in `ranks`, where each evidence session ranks."""
    from server import passages, search, service, sessionrank, timeframe
    from server.bench.metrics import aggregate, first_appearance, percentile, session_metrics, turn_metrics

    modules = {"service": service, "search": search, "sessionrank": sessionrank, "timeframe": timeframe, "passages": passages}
    turn_level = dataset.level == "turn"
    metric = "recall@{k}" if turn_level else "recall_all@{k}"
    if depth is None:  # as `evaluate` for these ks: sessions need more hits (the harness asks 60: its ks go to 20)
        depth = max(ks) if turn_level else min(100, 3 * max(ks))
    system = _system(store_dir, cache_dir)
    main_k = metric.format(k=10 if turn_level else 5)
    per_question: dict[str, dict[str, float]] = {}  # variant -> question -> its main metric
    for name, patch in variants.items():
        saved = {key: getattr(modules[key.split(".")[0]], key.split(".")[1]) for key in patch}
        for key, value in patch.items():
            setattr(modules[key.split(".")[0]], key.split(".")[1], tuple(value) if isinstance(value, list) else value)
        rows, latency, cpu = [], [], []
        try:
            for conv in dataset.conversations:
                _open(system, store_dir, conv)
                session_of = conv.turn_session()
                for q in conv.questions:
                    t0, c0 = time.perf_counter(), time.process_time()
                    hits = system.search(q, depth, strategy)
                    latency.append((time.perf_counter() - t0) * 1000)
                    cpu.append((time.process_time() - c0) * 1000)  # all threads: the keyword worker's too
                    row: dict[str, float] = {}
                    for k in ks:
                        if turn_level:
                            row.update(turn_metrics(q.evidence, [h.turns for h in hits], k))
                        else:
                            row.update(session_metrics(q.evidence, first_appearance([h.turns for h in hits], session_of), k))
                    if not turn_level and 5 not in ks:
                        row.update(session_metrics(q.evidence, first_appearance([h.turns for h in hits], session_of), 5))
                    rows.append((q.category, row))
                    per_question.setdefault(name, {})[f"{conv.id}/{q.id}" if turn_level else conv.id] = row[main_k]
                    if conv.id in ranks:
                        order = first_appearance([h.turns for h in hits], session_of)
                        where = sorted((order.index(e) + 1 if e in order else depth + 1) for e in q.evidence)
                        lost = sorted(set(q.evidence) - set(order) - _stored_sessions(system, session_of))
                        note = f"; stored nowhere (the write path skipped every turn): {lost}" if lost else ""
                        print(f"{name:<16} {conv.id}: evidence sessions rank {where} (of {len(order)}){note}", flush=True)
                system.close()
        finally:
            for key, value in saved.items():
                setattr(modules[key.split(".")[0]], key.split(".")[1], value)
        overall, by_cat = aggregate(rows)
        cells = " ".join(f"{metric.format(k=k)} {overall[metric.format(k=k)]:.3f}" for k in ks)
        if not turn_level:
            cells += f" ndcg_any@5 {overall['ndcg_any@5']:.3f} ndcg_any@10 {overall['ndcg_any@10']:.3f}"
        cats = ", ".join(f"{c} {v[main_k]:.3f}" for c, v in by_cat.items())
        print(f"{name:<16} {cells}  p50 {percentile(latency, 50):.1f} ms (CPU {percentile(cpu, 50):.1f} ms)  ({cats})", flush=True)
        base = per_question[next(iter(variants))]
        moved = {q: (base[q], v) for q, v in per_question[name].items() if abs(v - base[q]) > 1e-9}
        if moved and name != next(iter(variants)):
            gained = sum(1 for b, v in moved.values() if v > b)
            print(f"{'':<16} {main_k} against {next(iter(variants))}: {gained} up, {len(moved) - gained} down: "
                  + ", ".join(f"{q} {b:.2f}->{v:.2f}" for q, (b, v) in sorted(moved.items())[:40]), flush=True)


def _stored_sessions(system, session_of) -> set[str]:
    """Sessions with at least one turn in some memory's provenance (a missed one may not be in the store at all)."""
    refs = {p[4:] for _, memory in system.store.iter_all(system.namespace) for p in memory.provenance if p.startswith("ref:")}
    return {session_of[t] for t in refs if t in session_of}


def _open(system, store_dir: Path, conv) -> None:
    """Point `system` at the stored ingest of `conv` (made by `ingest`)."""
    from server import service
    from server.store import open_store

    system.start(conv)
    if not (store_dir / f"{system.namespace}.db").exists():
        raise SystemExit(f"{store_dir} holds no ingest of {conv.id}: run `ingest` with the same --offset/--limit first.")
    system.store.close()
    settings = system.settings.model_copy(update={"db": store_dir / f"{system.namespace}.db"})
    system.store = open_store(settings)
    system.service = service.MemoryService(system.store, system.embedder, system.ops, settings)


def misses(dataset, store_dir: Path, cache_dir: Path, depth: int = 20, show: int = 0) -> None:
    """Where each evidence turn ends up for its question: found in the top 10, or why not.

    The owner of a turn is the memory whose provenance names it directly (its own memory, or the one a
    noop merged it into). Outcomes: top 10 (split by how: the owner itself, or its successor through
    `_lift_history`), ranked 11-`depth`, in the candidate pools (vector or BM25) but ranked lower, in
    no candidate pool, or stored nowhere.
    """
    from collections import Counter

    from server.search import candidate_pool, fts_query

    table: Counter[tuple[str, str]] = Counter()
    examples: list[str] = []
    system = _system(store_dir, cache_dir)
    for conv in dataset.conversations:
        _open(system, store_dir, conv)
        owner: dict[str, object] = {}
        for rowid, memory in system.store.iter_all(system.namespace):
            refs = [p[4:] for p in memory.provenance if p.startswith("ref:")]
            for n, ref in enumerate(refs):
                owner[ref] = (rowid, memory, n == 0)
        texts = {t.id: t.content() for s in conv.sessions for t in s.turns}
        for q in conv.questions:
            hits = system.search(q, depth, "hybrid")
            pool = candidate_pool(depth)
            qvec = system.embedder.embed_query(q.question)
            vec = {r for r, _ in system.store.vector_search(system.namespace, qvec, pool, active_only=False)}
            match = fts_query(q.question)
            kw = {r for r, _ in system.store.keyword_search(system.namespace, match, pool)} if match else set()
            for e in q.evidence:
                if e not in owner:
                    table[("stored nowhere", "-")] += 1
                    continue
                rowid, memory, own = owner[e]
                state = ("own memory " if own else "merged (noop) into a memory ") + memory.status
                rank = next((i for i, h in enumerate(hits) if e in h.turns), None)
                if rank is not None and rank < 10:
                    how = "top 10, via successor" if hits[rank].ref != memory.id else "top 10"
                elif rank is not None:
                    how = f"ranked 11-{depth}"
                elif rowid in vec or rowid in kw:
                    how = "in candidates, ranked lower"
                else:
                    how = "in no candidate pool"
                table[(state, how)] += 1
                if how.startswith(("in ", "ranked")) and len(examples) < show:
                    examples.append(f"{q.category} | {q.question} | {e}: {texts.get(e, '')[:120]} | {how}")
        system.close()
    total = sum(table.values())
    for (state, how), n in sorted(table.items(), key=lambda kv: -kv[1]):
        print(f"{n:5d} {n / total:6.1%}  {state:<42} {how}")
    for line in examples:
        print(line)


def explain(dataset, store_dir: Path, cache_dir: Path, depth: int = 60, top: int = 8, texts: int = 110) -> None:
    """For each question, the scores by stage of its `top` results and of every candidate from an evidence session.

    Stages, as `MemoryService.recall` runs them: the cosine (own vector; with the best passage's, what recall
    uses), max-normalised BM25, the fused score, after neighbour spreading and the history lift, the final score
    before session support (prior, time frame), the support bonus, and the learned stage's final score.
    Recall itself is instrumented by wrapping those steps; nothing is recomputed beside it.
    """
    from server import service
    from server.bench.metrics import first_appearance

    system = _system(store_dir, cache_dir)
    seen: dict = {}
    fuse, cls = service.fuse, service.MemoryService
    originals = {n: getattr(cls, n) for n in ("_spread", "_lift_history", "_session_support", "_learned_rerank")}

    def record(name, fn):
        def wrapped(*args, **kwargs):
            out = fn(*args, **kwargs)
            seen[name] = (args, out)
            return out
        return wrapped

    service.fuse = record("fuse", fuse)
    for name in ("_spread", "_lift_history"):
        setattr(cls, name, record(name, originals[name]))
    cls._session_support = staticmethod(record("_session_support", originals["_session_support"]))
    cls._learned_rerank = record("_learned_rerank", originals["_learned_rerank"])
    try:
        for conv in dataset.conversations:
            _open(system, store_dir, conv)
            session_of = conv.turn_session()
            for q in conv.questions:
                seen.clear()
                hits = system.search(q, depth, "hybrid")
                fused, vsim, kw = seen["fuse"][1]
                spread = seen["_spread"][1] if "_spread" in seen else fused
                lifted = seen["_lift_history"][1][0] if "_lift_history" in seen else spread
                before = {s[1]: s[0] for s in seen["_session_support"][0][0]} if "_session_support" in seen else {}
                after = {s[1]: s[0] for s in seen["_session_support"][1]} if "_session_support" in seen else before
                heads = {h.rowid: h.final for h in seen["_learned_rerank"][0][3]} if "_learned_rerank" in seen else {}
                qvec = system.embedder.embed_query(q.question)
                own = dict(system.store.vector_search(system.namespace, qvec, 5000, active_only=False))
                facts = system.store.facts_by_rowids(system.namespace, list(lifted))
                rowid_of = {f.id: r for r, f in facts.items() if f is not None}
                order = [rowid_of.get(h.ref) for h in hits]
                final_rank = {r: i + 1 for i, r in enumerate(order) if r is not None}
                turns = {rowid_of[h.ref]: h.turns for h in hits if h.ref in rowid_of}
                level = (lambda t: session_of.get(t)) if dataset.level == "session" else (lambda t: t)
                sessions = first_appearance([h.turns for h in hits], session_of if dataset.level == "session" else None)
                print(f"\n{conv.id} {q.question!r} ({q.date or 'no date'}) evidence {sorted(q.evidence)}; by first appearance: "
                      + ", ".join(f"{i + 1}:{s}" + ("*" if s in q.evidence else "") for i, s in enumerate(sessions[:8])))
                evidence_rows = [r for r, ts in turns.items() if {level(t) for t in ts} & set(q.evidence)]
                rows = list(dict.fromkeys([*order[:top], *sorted(evidence_rows, key=lambda r: final_rank.get(r, 10**6))[:top]]))
                print("rank  rowid  session            cos-own  cos   bm25  fused  spread lifted  final  +supp  learned  text")
                for r in rows:
                    if r is None:
                        continue
                    sess = ",".join(sorted({session_of.get(t, "?") for t in turns.get(r, ())}))[:18]
                    text = system.store.get_many(system.namespace, [facts[r].id])[0].content.replace("\n", " ")[:texts]
                    print(f"{final_rank.get(r, '-'):>4} {r:>6}  {sess:<18} {own.get(r, 0):7.3f} {vsim.get(r, 0):5.3f} {kw.get(r, 0):5.3f}"
                          f" {fused.get(r, 0):6.3f} {spread.get(r, 0):6.3f} {lifted.get(r, 0):6.3f} {before.get(r, 0):6.3f}"
                          f" {after.get(r, 0) - before.get(r, 0):+6.3f}  {heads.get(r, float('nan')):6.3f}  {text}")
            system.close()
    finally:
        service.fuse = fuse
        for name, fn in originals.items():
            setattr(cls, name, fn)
        cls._session_support = staticmethod(originals["_session_support"])

def main(argv: list[str] | None = None) -> int:
    from server.bench.datasets import load

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["ingest", "score", "misses", "explain"])
    parser.add_argument("path", type=Path, help="locomo10.json or a LongMemEval file")
    parser.add_argument("--format", choices=["locomo", "longmemeval"], default="locomo")
    parser.add_argument("--strategy", choices=["hybrid", "vector", "keyword"], default="hybrid", help="what `score` runs")
    parser.add_argument("--store", type=Path, required=True, help="directory for the ingested stores (one SQLite file per conversation)")
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--limit", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path, default=MODEL_CACHE, help="embedding model cache (ONNX export)")
    parser.add_argument("--replied-context", action="store_true", help="ingest: LongMemEval user turns carry the assistant turn they answer as context")
    parser.add_argument("--context-words", type=int, help="ingest, with --replied-context: the assistant turn cut to its first N words")
    parser.add_argument("--ranks", help="score, LongMemEval: comma-separated question ids whose evidence sessions' ranks to print")
    parser.add_argument("--depth", type=int, help="score: results asked per question (default as the harness for these ks: LoCoMo 20, "
                        "LongMemEval 30; the harness asks LongMemEval for 60)")
    parser.add_argument("--show", type=int, default=0,
                        help="misses: print this many missed evidence turns; explain: this many results per question (default 8)")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=JSON", help="constants to set, e.g. share5='{\"service.NEIGHBOR_SHARE\": 0.5}'")
    args = parser.parse_args(argv)
    dataset = load(args.format, args.path, limit=args.limit, offset=args.offset)
    args.store.mkdir(parents=True, exist_ok=True)
    if args.action == "ingest":
        ingest(dataset, args.store, args.cache_dir, args.replied_context, args.context_words)
        return 0
    if args.action == "misses":
        misses(dataset, args.store, args.cache_dir, show=args.show)
        return 0
    if args.action == "explain":
        explain(dataset, args.store, args.cache_dir, depth=args.depth or (20 if dataset.level == "turn" else 60), top=args.show or 8)
        return 0
    variants = {"base": {}}
    for item in args.variant:
        name, _, spec = item.partition("=")
        try:
            variants[name] = json.loads(spec)
        except json.JSONDecodeError as exc:
            parser.error(f"--variant {name}: {exc}")
    ks = (5, 10, 20) if dataset.level == "turn" else (1, 5, 10)
    score(dataset, args.store, args.cache_dir, variants, ks, args.strategy, frozenset(args.ranks.split(",")) if args.ranks else frozenset(), args.depth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
