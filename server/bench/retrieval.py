"""The retrieval harness: ingest each conversation, ask its questions, score what comes back.

`evaluate` is system-agnostic (standard library only): a system opens a fresh store per
conversation, ingests it session by session, and answers a question with ranked hits, each hit
naming the turns it covers. `ReverieSystem` does this through the real service — every turn goes
through `remember_many` (the write policy decides add/noop/update/supersede/skip) and every question
through `recall` — and the peer scripts in `bench/peers/` implement the same three methods.

How a returned memory maps back to turns: its provenance holds `ref:<turn id>` entries and the ids of
the memories it replaced or consolidated (followed recursively), and each remember result names the
memory a turn landed in, so a turn the write path merged into an existing memory (noop) still counts
for that memory.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from server.bench.datasets import Conversation, Dataset, Question, Session
from server.bench.metrics import aggregate, approx_tokens, first_appearance, percentile, session_metrics, turn_metrics

DEFAULT_KS = (1, 5, 10, 20)
STRATEGIES = ("hybrid", "vector", "keyword")


@dataclass(frozen=True)
class Hit:
    """One returned item: the turn ids it stands for and the text handed to the model."""

    turns: frozenset[str]
    text: str
    ref: str = ""  # the system's own id, for failure reports
    scores: dict[str, Any] | None = None  # the system's own scores, if it gives any (Reverie's `Scores`)


class System(Protocol):
    """What the harness needs from a memory system (Reverie or a peer)."""

    variants: Sequence[str]  # ways to query one ingested store, e.g. ("hybrid", "keyword")

    def start(self, conversation: Conversation) -> None: ...
    def ingest(self, session: Session) -> None: ...
    def finish_ingest(self) -> None: ...
    def search(self, question: Question, depth: int, variant: str) -> list[Hit]: ...
    def close(self) -> None: ...


@dataclass
class _Run:
    """Accumulates one variant's per-question results."""

    rows: list[tuple[str, dict[str, float]]] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # process CPU time per recall: less sensitive to a busy machine
    first: list[bool] = field(default_factory=list)  # whether the recall was its conversation's first after the ingest
    returned: list[int] = field(default_factory=list)
    tokens: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    failures: list[dict[str, Any]] = field(default_factory=list)
    ranked: list[dict[str, Any]] = field(default_factory=list)


def evaluate(
    dataset: Dataset,
    system: System,
    ks: Sequence[int] = DEFAULT_KS,
    depth: int | None = None,
    failures_per_category: int = 3,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Run every conversation of `dataset` through `system`; one report per variant.

    Each report: `{"overall", "by_category", "timing", "ingest", "failures", "ranked"}` with metric names
    `recall@k`/`all_hit@k` (turn-level data sets) or `recall_all@k`/`recall_any@k`/`ndcg_any@k`
    (session-level). `depth` is how many hits to ask for (default: the largest k; session-level
    scoring needs more, since several hits can come from one session). `ranked` holds every question's hits in
    order (their turns and scores): two runs compare hit by hit, e.g. before and after a change meant to keep them.
    """
    ks = sorted(set(ks))
    max_k = ks[-1]
    if depth is None:
        depth = max_k if dataset.level == "turn" else min(100, 3 * max_k)
    runs = {v: _Run() for v in system.variants}
    load_start = _loadavg()
    ingest_s = sleep_s = ingest_cpu_s = 0.0
    n_turns = 0
    for ci, conv in enumerate(dataset.conversations, 1):
        turns = sum(len(s.turns) for s in conv.sessions)
        t0, c0 = time.perf_counter(), time.process_time()
        system.start(conv)
        for session in conv.sessions:
            if session.turns:
                system.ingest(session)
        t1, c1 = time.perf_counter(), time.process_time()
        system.finish_ingest()
        t2 = time.perf_counter()
        ingest_s += t1 - t0
        ingest_cpu_s += c1 - c0  # this process's CPU (all its threads): less sensitive to a busy machine than wall time
        sleep_s += t2 - t1
        n_turns += turns
        session_of = conv.turn_session()
        texts = {t.id: t.content() for s in conv.sessions for t in s.turns}
        first = True
        for q in conv.questions:
            for variant, run in runs.items():
                q0, c0 = time.perf_counter(), time.process_time()
                hits = system.search(q, depth, variant)
                run.latencies_ms.append((time.perf_counter() - q0) * 1000.0)
                run.cpu_ms.append((time.process_time() - c0) * 1000.0)
                run.first.append(first)
                first = False
                run.returned.append(min(len(hits), max_k))
                run.ranked.append({"question": q.id, "hits": [[sorted(h.turns), h.scores] for h in hits]})
                for k in ks:
                    run.tokens[k].append(sum(approx_tokens(h.text) for h in hits[:k]))
                row: dict[str, float] = {}
                if dataset.level == "turn":
                    for k in ks:
                        row.update(turn_metrics(q.evidence, [h.turns for h in hits], k))
                    missed = row[f"all_hit@{min(10, max_k)}"] < 1.0
                else:
                    ranked = first_appearance([h.turns for h in hits], session_of)
                    for k in ks:
                        row.update(session_metrics(q.evidence, ranked, k))
                    missed = row[f"recall_all@{min(5, max_k)}"] < 1.0
                run.rows.append((q.category, row))
                if missed and sum(f["category"] == q.category for f in run.failures) < failures_per_category:
                    run.failures.append(_failure(q, hits, texts, session_of, dataset.level))
        if progress:
            progress(f"[{ci}/{len(dataset.conversations)}] {conv.id}: {turns} turns ingested in {t1 - t0:.1f}s, {len(conv.questions)} questions")
    reports = {}
    for variant, run in runs.items():
        overall, by_category = aggregate(run.rows)
        overall["memories_returned"] = round(sum(run.returned) / max(1, len(run.returned)), 2)
        for k in ks:
            overall[f"tokens@{k}"] = round(sum(run.tokens[k]) / max(1, len(run.tokens[k])), 1)
        reports[variant] = {
            "overall": overall,
            "by_category": by_category,
            "timing": {
                "turns": n_turns,
                "ingest_s": round(ingest_s, 2),
                "ingest_turns_per_s": round(n_turns / ingest_s, 1) if ingest_s else None,
                "ingest_cpu_s": round(ingest_cpu_s, 2),
                "sleep_s": round(sleep_s, 2),
                "questions": len(run.latencies_ms),
                "recall_depth": depth,
                "recall_p50_ms": round(percentile(run.latencies_ms, 50), 2),
                "recall_p95_ms": round(percentile(run.latencies_ms, 95), 2),
                "recall_mean_ms": round(sum(run.latencies_ms) / max(1, len(run.latencies_ms)), 2),
                "recall_cpu_p50_ms": round(percentile(run.cpu_ms, 50), 2),
                "recall_cpu_p95_ms": round(percentile(run.cpu_ms, 95), 2),
                **first_and_later(run.latencies_ms, run.cpu_ms, run.first),
                "load_avg_1m": [load_start, _loadavg()],  # machine load at start and end: context for the timings
            },
            "failures": run.failures,
            "ranked": run.ranked,
            "samples": {"recall_ms": [round(x, 2) for x in run.latencies_ms], "recall_cpu_ms": [round(x, 2) for x in run.cpu_ms],
                        "recall_first": run.first},
        }
    return reports


def first_and_later(latencies_ms: Sequence[float], cpu_ms: Sequence[float], first: Sequence[bool]) -> dict[str, float | int]:
    """p50 wall and CPU of the recalls that were their conversation's first after the ingest, and of the others.

    Why apart: a conversation's first recall comes right after its import, so it can pay for work the import left
    behind; LongMemEval asks one question per haystack, so the strategy asked first holds every first recall and
    its p50 alone would say nothing about recall in steady state (bench/notes/recall-latency.md, Session 9).
    """
    out: dict[str, float | int] = {"first_recalls": sum(1 for f in first if f)}
    for name, want in (("first", True), ("later", False)):
        lat = [x for x, f in zip(latencies_ms, first) if f == want]
        cpu = [x for x, f in zip(cpu_ms, first) if f == want]
        out[f"recall_{name}_p50_ms"] = round(percentile(lat, 50), 2) if lat else None
        out[f"recall_{name}_cpu_p50_ms"] = round(percentile(cpu, 50), 2) if cpu else None
    return out


def merge_reports(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Join reports of shards of one data set (`--offset`/`--limit`) into the report of the whole run.

    Means are weighted by question counts; latency percentiles are recomputed from the samples.
    """
    def weighted(blocks: list[dict[str, float]]) -> dict[str, float]:
        blocks = [b for b in blocks if b and b.get("questions")]
        total = sum(b["questions"] for b in blocks)
        keys = [k for k in blocks[0] if k != "questions"] if blocks else []
        out = {k: round(sum(b[k] * b["questions"] for b in blocks) / total, 4) for k in keys}
        out["questions"] = total
        return out

    first = parts[0]
    cats = list(dict.fromkeys(c for p in parts for c in p["by_category"]))
    merged: dict[str, Any] = {
        "overall": weighted([p["overall"] for p in parts]),
        "by_category": {c: weighted([p["by_category"].get(c, {}) for p in parts]) for c in sorted(cats)},
        "failures": [f for p in parts for f in p["failures"]],
        "ranked": [r for p in parts for r in p.get("ranked", [])],
        "samples": {key: [x for p in parts for x in p["samples"].get(key, [])] for key in first["samples"]},
    }
    timing = {key: sum(p["timing"][key] for p in parts) for key in ("turns", "ingest_s", "sleep_s", "questions")}
    timing["ingest_cpu_s"] = round(sum(p["timing"].get("ingest_cpu_s", 0.0) for p in parts), 2)
    timing["ingest_turns_per_s"] = round(timing["turns"] / timing["ingest_s"], 1) if timing["ingest_s"] else None
    timing["recall_depth"] = first["timing"]["recall_depth"]
    lat, cpu = merged["samples"]["recall_ms"], merged["samples"]["recall_cpu_ms"]
    timing.update(
        recall_p50_ms=round(percentile(lat, 50), 2), recall_p95_ms=round(percentile(lat, 95), 2),
        recall_mean_ms=round(sum(lat) / max(1, len(lat)), 2),
        recall_cpu_p50_ms=round(percentile(cpu, 50), 2), recall_cpu_p95_ms=round(percentile(cpu, 95), 2),
        load_avg_1m=[x for p in parts for x in p["timing"].get("load_avg_1m", [])], shards=len(parts),
    )
    if "recall_first" in merged["samples"] and len(merged["samples"]["recall_first"]) == len(lat):
        timing.update(first_and_later(lat, cpu, merged["samples"]["recall_first"]))
    merged["timing"] = timing
    for key in ("system", "dataset"):
        if key in first:
            merged[key] = first[key]
    if "ingest" in first:
        ing = dict(first["ingest"])
        for key in ("decisions", "skip_reasons", "evidence_turns", "memories_after_ingest", "memories_after_sleep"):
            total: Counter[str] = Counter()
            for p in parts:
                total.update(p["ingest"].get(key, {}))
            ing[key] = dict(total.most_common())
        ing["turns_stored_nowhere"] = sum(p["ingest"]["turns_stored_nowhere"] for p in parts)
        ing["examples_stored_nowhere"] = [x for p in parts for x in p["ingest"]["examples_stored_nowhere"]][:10]
        ing["loader_notes"] = list(dict.fromkeys(x for p in parts for x in p["ingest"]["loader_notes"]))
        merged["ingest"] = ing
    return merged


def _loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _failure(q: Question, hits: list[Hit], texts: dict[str, str], session_of: dict[str, str], level: str) -> dict[str, Any]:
    """A missed question, with what it needed and what came back: material for whoever tunes ranking."""
    if level == "turn":
        found = set().union(*(h.turns for h in hits[:10])) if hits else set()
        needed = [{"turn": e, "text": texts.get(e, "")[:300], "in_top10": e in found} for e in q.evidence]
    else:
        found = set(first_appearance([h.turns for h in hits[:10]], session_of))
        needed = [{"session": e, "in_top10_sessions": e in found} for e in q.evidence]
    return {
        "question_id": q.id, "category": q.category, "question": q.question, "evidence": needed,
        "top5": [{"ref": h.ref, "turns": sorted(h.turns), "text": h.text[:200]} for h in hits[:5]],
    }


# -- Reverie -------------------------------------------------------------------------------------
def first_words(text: str | None, n: int | None) -> str | None:
    """`text` cut to its first `n` words (`n` None: whole).

    Why: a long assistant turn as a user turn's context costs an embedding of up to the model's `max_seq_length` (256 tokens for all-MiniLM-L6-v2)
    at ingest, and what the user's reply answers is mostly said early in it (bench/notes/retrieval.md, session 6).
    """
    if not text or n is None:
        return text
    words = text.split()
    return text if len(words) <= n else " ".join(words[:n])


class SleepUnavailable(RuntimeError):
    """`--sleep` was asked for but `server.sleep.run_sleep` does not exist (yet)."""


def sleep_hook() -> Callable[[Any, str], Any]:
    """`server.sleep.run_sleep(service, namespace)`, the consolidation pass.

    Raises:
        SleepUnavailable: the sleep package or its `run_sleep` function is missing.
    """
    import importlib

    try:
        module = importlib.import_module("server.sleep")
    except ImportError as exc:
        raise SleepUnavailable(f"--sleep needs server.sleep.run_sleep(service, namespace), but server.sleep cannot be imported ({exc})") from exc
    fn = getattr(module, "run_sleep", None)
    if not callable(fn):
        raise SleepUnavailable("--sleep needs server.sleep.run_sleep(service, namespace); server.sleep has no run_sleep")
    return fn


class ReverieSystem:
    """Reverie through its real service: a fresh SQLite file per conversation in `workdir`.

    The embedder and the memory-ops model are shared across conversations (loading them is the
    slow part); everything else — store, vector index, service — is new for each.
    """

    def __init__(self, settings, embedder, ops, workdir: Path, variants: Sequence[str] = ("hybrid",), sleep: Callable | None = None,
                 context: bool = True, replied: bool = False, context_words: int | None = None):
        self.settings, self.embedder, self.ops = settings, embedder, ops
        self.workdir = Path(workdir)
        self.variants = tuple(variants)
        self.sleep = sleep
        self.context = context
        self.replied = replied  # context: the turn a turn answers when that one is not ingested (LongMemEval's assistant turns)
        self.context_words = context_words  # such a turn longer than this is cut to its first words (what its embedding costs)
        self.decisions: Counter[str] = Counter()
        self.skip_reasons: Counter[str] = Counter()
        self.lost_turns: list[str] = []  # turns the write path stored nowhere (skip, block)
        self.evidence: Counter[str] = Counter()  # where evidence turns ended up after ingest
        self.status_after_ingest: Counter[str] = Counter()  # memories by status (active, superseded...) in all stores
        self.status_after_sleep: Counter[str] = Counter()
        self.store = None
        self._n = 0

    def start(self, conversation: Conversation) -> None:
        from server.service import MemoryService
        from server.store import open_store

        self.close()
        self._n += 1
        settings = self.settings.model_copy(update={"db": self.workdir / f"conv{self._n:04d}.db", "database_url": None})
        self.store = open_store(settings)
        self.service = MemoryService(self.store, self.embedder, self.ops, settings)
        self.namespace = re.sub(r"[^A-Za-z0-9_.:@-]", "-", conversation.id)[:120] or "bench"
        self.conversation = conversation
        self._turn_ids = {t.id for s in conversation.sessions for t in s.turns}
        self._landed: dict[str, set[str]] = defaultdict(set)  # memory id -> turns whose write ended in it
        self._cache: dict[str, frozenset[str]] = {}
        self._turn_memory: dict[str, str] = {}

    def ingest(self, session: Session) -> None:
        from server.models import RememberRequest

        # Each turn carries the turn before it in its session as context: an answer is found by its question.
        # With `replied`, a turn that answers one not ingested (LongMemEval keeps the user's turns) carries that one.
        reqs = [
            RememberRequest(
                namespace=self.namespace, content=t.content(), source_ref=t.id, valid_from=session.date,
                context=((self.replied and first_words(t.replies_to, self.context_words)) or (session.turns[j - 1].content() if j else None))
                if self.context else None,
            )
            for j, t in enumerate(session.turns)
        ]
        results = self.service.remember_many(reqs, actor="bench")
        for turn, result in zip(session.turns, results):
            self.decisions[result.decision] += 1
            if result.memory_ids:
                self._landed[result.memory_ids[0]].add(turn.id)
                self._turn_memory[turn.id] = result.memory_ids[0]
            else:
                self.lost_turns.append(f"{self.conversation.id}/{turn.id}")
                self.skip_reasons[result.reason[:80]] += 1

    def finish_ingest(self) -> None:
        self.status_after_ingest.update(self.store.counts().get(self.namespace, {}))
        if self.sleep is not None:
            self.sleep(self.service, self.namespace)
            self.status_after_sleep.update(self.store.counts().get(self.namespace, {}))
        self._audit_evidence()
        # Every memory's turns are resolved now, outside the timed recalls: else the strategy asked first paid for
        # resolving what it returned and the later ones found it cached (bench/notes/recall-latency.md, Session 9).
        ids = [memory.id for _, memory in self.store.iter_all(self.namespace)]
        for start in range(0, len(ids), 500):
            self._resolve(ids[start : start + 500])

    def _audit_evidence(self) -> None:
        """Where each evidence turn ended up: its own active memory, merged into another, or nowhere.

        Only meaningful for turn-level evidence; a turn merged by noop or whose memory was later
        superseded is still credited through provenance, but its own words are no longer recallable.
        """
        wanted = {e for q in self.conversation.questions for e in q.evidence if e in self._turn_ids}
        ids = {self._turn_memory[t] for t in wanted if t in self._turn_memory}
        status = {m.id: (m.status, m.provenance) for m in self.store.get_many(self.namespace, list(ids))} if ids else {}
        for turn in wanted:
            mid = self._turn_memory.get(turn)
            if mid is None:
                self.evidence["stored nowhere (skip/block)"] += 1
                continue
            state, prov = status.get(mid, ("missing", []))
            own = f"ref:{turn}" in prov
            if state == "active":
                self.evidence["own memory, active" if own else "merged into another memory (noop)"] += 1
            else:
                self.evidence[f"own memory, {state}" if own else f"merged into a memory now {state}"] += 1

    def search(self, question: Question, depth: int, variant: str) -> list[Hit]:
        from server.models import RecallRequest

        result = self.service.recall(
            RecallRequest(namespace=self.namespace, query=question.question, k=depth, now=question.date, reinforce=False, strategy=variant),
            actor="bench",
        )
        ids = [h.memory.id for h in result.results]
        self._resolve(ids)
        return [Hit(self._cache[i], h.memory.content, i, h.scores.model_dump()) for i, h in zip(ids, result.results)]

    def turns_of(self, memory_id: str) -> frozenset[str]:
        """Turns a memory stands for: its `ref:` provenance, the turns that landed in it, and its sources'."""
        self._resolve([memory_id])
        return self._cache[memory_id]

    def _resolve(self, memory_ids: Sequence[str]) -> None:
        """Fill `_cache` for `memory_ids`: their provenance graphs are read together, one query per level.

        Why together: one read per memory cost ~3 ms per recall on LongMemEval when this ran inside the timed
        region; `finish_ingest` now resolves every memory before the recalls, so `search` only looks them up.
        """
        roots = [m for m in dict.fromkeys(memory_ids) if m not in self._cache]
        if not roots:
            return
        sources: dict[str, list[str]] = {}  # memory id -> the memory ids in its provenance
        refs: dict[str, set[str]] = {}  # memory id -> the turns its provenance names
        frontier = set(roots)
        while frontier:
            for m in frontier:
                sources[m], refs[m] = [], set()
            for memory in self.store.get_many(self.namespace, sorted(frontier)):
                for item in memory.provenance:
                    if item.startswith("ref:"):
                        if item[4:] in self._turn_ids:
                            refs[memory.id].add(item[4:])
                    else:
                        sources[memory.id].append(item)
            frontier = {s for m in frontier for s in sources[m] if s not in sources}
        for root in roots:
            out: set[str] = set()
            seen, stack = {root}, [root]
            while stack:
                m = stack.pop()
                out |= refs[m] | self._landed.get(m, set())
                for s in sources[m]:
                    if s not in seen:
                        seen.add(s)
                        stack.append(s)
            self._cache[root] = frozenset(out)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None


def run_reverie(
    dataset: Dataset,
    *,
    embedding_model: str = "offline",
    cache_dir: Path | None = None,
    memops: str | None = None,
    strategies: Sequence[str] = ("hybrid",),
    ks: Sequence[int] = DEFAULT_KS,
    depth: int | None = None,
    sleep: bool = False,
    workdir: Path | None = None,
    context: bool = True,
    progress: Callable[[str], None] | None = None,
    replied: bool = False,
    context_words: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Benchmark Reverie on `dataset`; one report per strategy, each with the write-path diagnostics.

    Raises:
        SleepUnavailable: `sleep` was asked for and there is no sleep pass to run.
    """
    import tempfile

    from server import heap
    from server.app import load_ops
    from server.config import Settings
    from server.embed import FastEmbedEmbedder

    hook = sleep_hook() if sleep else None
    overrides: dict[str, Any] = {"embedding_model": embedding_model, "max_content_bytes": 1 << 20}
    if cache_dir is not None:
        overrides["embedding_cache_dir"] = cache_dir
    if memops is not None:
        overrides["memops"] = memops
    with tempfile.TemporaryDirectory(prefix="reverie-bench-", dir=workdir) as tmp:
        settings = Settings(db=Path(tmp) / "unused.db", **overrides)
        embedder = FastEmbedEmbedder.from_settings(settings)
        ops = load_ops(settings)
        heap.settle()  # as the server does once its models are loaded (server/heap.py)
        system = ReverieSystem(settings, embedder, ops, Path(tmp), strategies, hook, context, replied, context_words)
        try:
            reports = evaluate(dataset, system, ks=ks, depth=depth, progress=progress)
        finally:
            system.close()
    ingest = {
        "memops": settings.memops, "sleep": sleep, "context": context, "replied_context": replied, "context_words": context_words, "decisions": dict(system.decisions.most_common()),
        "turns_stored_nowhere": len(system.lost_turns), "examples_stored_nowhere": system.lost_turns[:10],
        "skip_reasons": dict(system.skip_reasons.most_common(8)), "evidence_turns": dict(system.evidence.most_common()),
        "memories_after_ingest": dict(system.status_after_ingest), "memories_after_sleep": dict(system.status_after_sleep),
        "loader_notes": dataset.notes[:50],
    }
    for name, report in reports.items():
        report["system"] = f"reverie-{name}"
        report["dataset"] = dataset.name
        report["ingest"] = ingest
    return reports


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
