"""The memory service: remember, recall, forget, correct, feedback — the governed write and read paths.

Tools, resources, the CLI and the benchmarks all go through this class, so each
behaviour lives in one place. It is synchronous (SQLite and the embedder are
blocking); the MCP layer calls it from worker threads.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import secrets as _secrets
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from server import blas, passages, sessionrank, timeframe
from server.clock import Clock, SystemClock, ensure_utc
from server.config import NAMESPACE_PATTERN, Settings
from server.embed import Embedder
from server.errors import InvalidInput, NotFound
from server.governance.secrets import find_secrets, redact
from server.governance.transient import transient_marker
from server.memops.factgate import subjectless_note, tells_past_event
from server.memops.schema import RERANK_DEPTH, MemoryOps, Neighbor, OpsDecision, RankCandidate
from server.models import (
    CorrectResult,
    FeedbackResult,
    ForgetResult,
    Memory,
    RecallHit,
    RecallRequest,
    RecallResult,
    RememberRequest,
    RememberResult,
    Scores,
    Stats,
)
from server.search import candidate_pool, fts_query, fuse
from server.store import MemoryFacts, Neighbour, Store

log = logging.getLogger(__name__)

_NAMESPACE = re.compile(NAMESPACE_PATTERN)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_TAGS, MAX_TAG_LEN, MAX_K, MAX_QUERY_CHARS = 32, 64, 100, 2000
NEIGHBORS = 8
# How far a statement's search vector leans towards its context (see `_situate`).
CONTEXT_WEIGHT = 0.5
RECENCY_HALF_LIFE_DAYS = 30.0
# Neighbours (written next to a strong candidate) get this share of its score; see `_spread`.
NEIGHBOR_SHARE, NEIGHBOR_TOP, NEIGHBOR_WINDOW_S = 0.7, 10, 3600.0
# A memory dated inside the time frame the query names ranks as if this much more relevant: enough to lift
# the one cooking memory of "a couple of days ago" over equally worded older ones, not to bury a much better
# match outside a window people may misremember.
TIME_FRAME_BOOST = 0.5
PRIOR = (0.75, 0.1, 0.05, 0.1)  # relevance share untouched by the prior; weights of strength, recency, confidence
_NO_VECTOR = np.zeros(0, dtype=np.float32)  # the reranker reads scores and words, not the memory's vector


def new_id(prefix: str) -> str:
    """Time-ordered ids: sortable by creation, unguessable suffix."""
    return f"{prefix}_{time.time_ns() // 1_000_000:012x}{_secrets.token_hex(6)}"


def content_hash(text: str) -> str:
    """Hash of the normalised text: case, Unicode form and spacing don't make a new memory."""
    norm = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.sha256(norm.encode()).hexdigest()


def check_namespace(namespace: str) -> str:
    if not isinstance(namespace, str) or not _NAMESPACE.match(namespace):
        raise InvalidInput(
            f"Namespace {namespace!r} is not valid: use 1-128 letters, digits and _ . : @ -, starting with a letter or digit."
        )
    return namespace


def check_text(text: str, what: str, max_bytes: int) -> str:
    if not isinstance(text, str):
        raise InvalidInput(f"{what} must be a string.")
    if _CONTROL.search(text):
        raise InvalidInput(f"{what} contains control characters; send plain text (newlines and tabs are fine).")
    stripped = text.strip()
    if not stripped:
        raise InvalidInput(f"{what} is empty.")
    size = len(stripped.encode("utf-8", errors="surrogatepass"))
    if size > max_bytes:
        raise InvalidInput(f"{what} is {size} bytes; the limit is {max_bytes} (REVERIE_MAX_CONTENT_BYTES).")
    try:
        stripped.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(f"{what} is not valid Unicode text (lone surrogate).") from exc
    return stripped


def check_tags(tags: Sequence[str] | None) -> list[str]:
    tags = list(tags or [])
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"At most {MAX_TAGS} tags; got {len(tags)}.")
    out = []
    for tag in tags:
        if not isinstance(tag, str) or not tag.strip() or len(tag) > MAX_TAG_LEN or _CONTROL.search(tag):
            raise InvalidInput(f"Tag {tag!r} is not valid: 1-{MAX_TAG_LEN} printable characters.")
        if tag.strip() not in out:
            out.append(tag.strip())
    return out


EMBED_CHUNK = 16  # texts per embedding call: 8-32 cost the same per text, 64 more (bench/embed_variants.py); a short first wait


class _Vectors:
    """A batch's embeddings, chunk by chunk: one background thread embeds from the front of the batch, and the
    calling thread, when the chunk it needs is not ready, embeds a chunk itself instead of waiting (that one if
    nobody has begun it, else the next that nobody has).

    Why shared that way: the decisions are serial and cheaper than the embedding, so the embedding is the pace.
    With the embedding split over two pool threads beside the calling thread (three threads on two cores) it
    raced ahead, and each batch ended with the calling thread deciding alone while a core idled; with one
    embedding thread and a calling thread that helps when it would wait, two threads keep two cores busy to the
    end (bench/notes/write-throughput.md). fp32 vectors do not depend on how texts are chunked
    (bench/embed_variants.py: alone vs batched, max |diff| 0), so decisions do not either.

    A long statement's passages (server/passages.py) follow it in the queue, so its whole write waits for
    nothing embedded after it.
    """

    def __init__(self, texts: list[str], indices: list[int], passages: list[list[str]] | None = None):
        self.texts: list[str] = []
        self.slot: dict[int, int] = {}
        self.spans: dict[int, tuple[int, int]] = {}  # statement index -> its passages' positions in `texts`
        for n, (text, index) in enumerate(zip(texts, indices)):
            self.slot[index] = len(self.texts)
            self.texts.append(text)
            if passages and passages[n]:
                self.spans[index] = (len(self.texts), len(self.texts) + len(passages[n]))
                self.texts.extend(passages[n])
        chunks = (len(self.texts) + EMBED_CHUNK - 1) // EMBED_CHUNK
        self._lock = threading.Lock()
        self._next = 0  # the first chunk nobody has begun; chunks are begun in order, or out of it by the caller
        self._begun = [False] * chunks
        self._done = [threading.Event() for _ in range(chunks)]
        self._out: list = [None] * chunks  # vectors, or the exception embedding them raised
        self._embedder: Embedder | None = None

    def start(self, embedder: Embedder, pool) -> None:
        self._embedder = embedder
        if self._begun:
            pool.submit(self._background)

    def stop(self) -> None:
        """Let the background thread go: the batch is abandoned (an error), its later chunks are not needed."""
        with self._lock:
            self._begun = [True] * len(self._begun)

    def _claim(self, c: int | None = None) -> int | None:
        """Begin chunk `c` (or the first not begun): its number, or None if it (or every chunk) is taken."""
        with self._lock:
            if c is None:
                while self._next < len(self._begun) and self._begun[self._next]:
                    self._next += 1
                c = self._next if self._next < len(self._begun) else None
            if c is None or self._begun[c]:
                return None
            self._begun[c] = True
            return c

    def _embed(self, c: int) -> None:
        try:
            self._out[c] = self._embedder.embed(self.texts[c * EMBED_CHUNK : (c + 1) * EMBED_CHUNK])
        except BaseException as exc:  # handed to whoever reads the chunk
            self._out[c] = exc
        self._done[c].set()

    def _background(self) -> None:
        while (c := self._claim()) is not None:
            self._embed(c)

    def _at(self, n: int) -> np.ndarray:
        c = n // EMBED_CHUNK
        while not self._done[c].is_set():
            # Embed the chunk needed, or, while the background thread finishes it, the next one nobody has begun.
            ahead = self._claim(c)
            if ahead is None:
                ahead = self._claim()
            if ahead is None:
                self._done[c].wait()
            else:
                self._embed(ahead)
        out = self._out[c]
        if isinstance(out, BaseException):
            raise out
        return out[n % EMBED_CHUNK]

    def get(self, index: int) -> np.ndarray:
        return self._at(self.slot[index])

    def passages(self, index: int) -> np.ndarray | None:
        """The statement's passage vectors, or None when it is short."""
        span = self.spans.get(index)
        return None if span is None else np.stack([self._at(n) for n in range(*span)])

    def ready(self, index: int) -> bool:
        last = self.spans[index][1] - 1 if index in self.spans else self.slot[index]
        return all(d.is_set() for d in self._done[self.slot[index] // EMBED_CHUNK : last // EMBED_CHUNK + 1])


# Batches that store at least this many memories catch the keyword index up in the background; a single remember
# leaves its row to the next search, which loads every row written since in one go. A hand-off per single write
# added ~3 ms of CPU per remember (`python -m bench.core --writes-only` at cb4943c, which caught up after every
# write, against 5783658; two alternated pairs on a machine with a wide spread).
KEYWORD_CATCH_UP_MIN = 2
# Within a batch, the keyword index catches up behind its commits at most this often: each catch-up has a fixed cost
# (a read transaction, the tokenizer table, the postings' bookkeeping), and commits come every few milliseconds.
CATCH_UP_EVERY_S = 0.1
GROUP_COMMIT_S = 0.02  # longest a batch holds the write lock before it commits what it has written


class _GroupCommit:
    """Consecutive statements of a batch share one write transaction, committed every GROUP_COMMIT_S.

    Why: a transaction per statement costs more than the statement (BEGIN IMMEDIATE, the vector index's
    generation bookkeeping, COMMIT), and a batch of 256 paid it 256 times. Why bounded: the transaction
    holds the connection, so a recall in this process and a writer in another (a sleep job) wait for it;
    and it is closed before waiting for the embedding model, so nobody waits on the lock while the model
    runs. Decisions read inside it, so each one still sees every write before it.
    """

    def __init__(self, store: Store, on_commit: Callable[[], None] | None = None):
        self.store = store
        self.on_commit = on_commit  # called after each commit (remember_many: the keyword index catches up behind it)
        self._open = None
        self._since = 0.0

    def enter(self) -> None:
        if self._open is not None and time.monotonic() - self._since > GROUP_COMMIT_S:
            self.commit()
        if self._open is None:
            self._open = self.store.transaction()
            self._open.__enter__()
            self._since = time.monotonic()

    def commit(self) -> None:
        if self._open is not None:
            cm, self._open = self._open, None
            cm.__exit__(None, None, None)
            if self.on_commit is not None:
                self.on_commit()

    def abort(self, exc: BaseException) -> None:
        if self._open is not None:
            cm, self._open = self._open, None
            cm.__exit__(type(exc), exc, exc.__traceback__)


@dataclass
class _Plan:
    """What remember decided, before (or instead of) writing."""

    decision: str
    reason: str
    content: str
    kind: str | None = None
    target: Memory | None = None
    ops: OpsDecision | None = None
    vector: np.ndarray | None = None
    passages: np.ndarray | None = None  # a long statement's passage vectors (server/passages.py), when it is stored
    redactions: tuple[str, ...] = ()
    target_rowid: int | None = None  # the target's rowid, when the decision read it (saves looking it up to write)


@dataclass(slots=True)
class _Head:
    """A candidate that may be returned: its scores and its text row, decoded into a `Memory` only if it is.

    `vector`, `keyword`, `strength` and `recency` are rounded to 6 places once, here: the learned stage reads them
    as `Scores` reports them."""

    rowid: int
    row: Neighbour
    fact: MemoryFacts
    final: float
    fused: float
    vector: float
    keyword: float
    strength: float
    recency: float
    in_frame: bool
    learned: float | None = None


class MemoryService:
    def __init__(self, store: Store, embedder: Embedder, ops: MemoryOps, settings: Settings, clock: Clock | None = None):
        self.store = store
        self.embedder = embedder
        self.ops = ops
        self.settings = settings
        self.clock = clock or SystemClock()
        self._bound = False
        self._embed_pool = self._query_pool = self._index_pool = None
        self._keyword_pending: set[str] = set()
        self._pool_lock = threading.Lock()
        # Called with the (memory, decision) pairs a remember or a batch committed (add, update, supersede,
        # redact), once per batch so a hook can batch its own work; e.g. the policy engine turns stored
        # constraints into policies, embedding their triggers together.
        self.on_stored: list[Callable[[list[tuple[Memory, str]]], None]] = []

    # -- plumbing ----------------------------------------------------------------------------
    def _bind(self) -> None:
        """Bind the database to the embedding model on first use (needs the model's dimension)."""
        if not self._bound:
            self.store.check_embedding(self.embedder.model_id)
            self.store.bind_embedding(self.embedder.model_id, self.embedder.dim)
            self._bound = True

    def _now(self) -> datetime:
        return self.clock.now()

    # -- remember ------------------------------------------------------------------------------
    def remember(self, req: RememberRequest, actor: str = "tool") -> RememberResult:
        """Run one statement through the write policy and store it (unless `dry_run`).

        Raises:
            InvalidInput: empty or oversized content, bad namespace, tags, dates or confidence.
        """
        return self.remember_many([req], actor=actor)[0]

    def remember_many(self, reqs: Sequence[RememberRequest], actor: str = "tool") -> list[RememberResult]:
        """Batch writes: embeddings computed ahead in the background, then each statement's decision in order."""
        for req in reqs:
            self._validate_remember(req)
        plans = [self._pre_gate(req) for req in reqs]
        pending = [i for i, plan in enumerate(plans) if plan.decision == "decide"]
        long_passages = [passages.split(plans[i].content) for i in pending] if self.settings.passage_vectors else None
        vectors = _Vectors([plans[i].content for i in pending], pending, long_passages)
        if pending:
            self._bind()
            vectors.start(self.embedder, self._pool_for("_embed_pool", 1))
        by_content = {plans[i].content: i for i in pending}
        # Contexts that are not statements of this batch: embedded together, once.
        outside = list(dict.fromkeys(
            text for i in pending if reqs[i].context and (text := redact_all(reqs[i].context.strip())) and text not in by_content
        ))
        context_vectors = dict(zip(outside, self.embedder.embed(outside))) if outside else {}
        results: list[RememberResult] = []
        stored: list[tuple[Memory, str]] = []
        if pending and hasattr(self.ops, "wait"):
            self.ops.wait()  # a lazily loading model reads the database: let it finish before the group holds it
        # A batch's rows go into the keyword index behind its commits, in the background, and the last of them
        # before it returns (`_finish_keywords`): the next recall has nothing left to tokenise.
        last_catch_up = [time.monotonic()]

        def catch_up() -> None:
            if time.monotonic() - last_catch_up[0] >= CATCH_UP_EVERY_S:
                last_catch_up[0] = time.monotonic()
                self._catch_up_keywords({memory.namespace for memory, _ in stored})

        group = _GroupCommit(self.store, on_commit=catch_up if len(reqs) >= KEYWORD_CATCH_UP_MIN else None)
        try:
            with blas.one_thread():  # the decisions' matrices are small: one BLAS thread is faster (server/blas.py)
                # Decide and apply in order, so a statement sees the ones before it in the same batch.
                for i, (req, plan) in enumerate(zip(reqs, plans)):
                    own = None
                    if plan.decision == "decide":
                        if not vectors.ready(i):
                            group.commit()
                        own = vectors.get(i)
                    if not req.dry_run:
                        group.enter()
                    if own is not None:
                        plan = self._decide(req, plan.content, own, plan.redactions)
                        if req.context and req.context.strip() and plan.vector is not None:
                            plan.vector = self._situate(own, req.context, vectors, by_content, context_vectors)
                        if plan.decision in ("add", "update", "supersede"):
                            plan.passages = vectors.passages(i)
                    results.append(self._apply(req, plan, actor, stored))
        except BaseException as exc:
            vectors.stop()
            group.abort(exc)
            raise
        group.on_commit = None
        group.commit()
        if len(stored) >= KEYWORD_CATCH_UP_MIN:
            self._finish_keywords({memory.namespace for memory, _ in stored})
        if stored:
            for callback in self.on_stored:
                callback(stored)
        return results

    def _catch_up_keywords(self, namespaces: set[str]) -> None:
        """Tokenise what was just committed into the keyword index in the background, while the batch goes on.

        One pending catch-up per namespace: a burst of commits queues one, which loads all of them.
        """
        if not namespaces:
            return
        with self._pool_lock:
            todo = namespaces - self._keyword_pending
            self._keyword_pending |= todo
        if not todo:
            return
        pool = self._pool_for("_index_pool", 1)
        for namespace in todo:
            pool.submit(self._keyword_catch_up_job, namespace)

    def _finish_keywords(self, namespaces: set[str]) -> None:
        """Load a batch's last rows into the keyword index before the batch returns (after a catch-up still running).

        Why not leave them to the background: the caller's next call is often a recall (an agent imports a
        conversation, then asks about it), and a recall that met the catch-up still running waited for its lock
        and shared the CPU with it: 3-4 ms more CPU and up to tens of ms of wall for a namespace's first recall
        after a LongMemEval import (bench/notes/recall-latency.md, Session 9). Behind the commits most of the batch
        is loaded already, so this costs the batch the rows of its last commit.
        """
        for namespace in sorted(namespaces):
            try:
                self.store.catch_up_keywords(namespace)
            except Exception:  # the batch is committed whatever happens here; the next search catches up itself
                log.debug("keyword index catch-up for %s failed", namespace, exc_info=True)

    def _keyword_catch_up_job(self, namespace: str) -> None:
        with self._pool_lock:
            self._keyword_pending.discard(namespace)
        try:
            self.store.catch_up_keywords(namespace)
        except Exception:  # the store closed meanwhile, or a read failed: the next search catches up itself
            log.debug("keyword index catch-up for %s failed", namespace, exc_info=True)

    @staticmethod
    def _situate(own: np.ndarray, context: str, vectors: _Vectors, by_content: dict[str, int], outside: dict[str, np.ndarray]) -> np.ndarray:
        """The index vector of a statement that came with a `context`: its own vector leaned towards the context's.

        Why: "Yes, last Tuesday" means nothing alone; next to the turn it answers ("Did you go to the
        concert?") a question about the concert can find it. The decision still uses the statement's own
        vector; only what search compares against moves. A context that is another statement of the batch
        reuses its vector, so a conversation costs no extra embedding. The context is not stored, so
        `reembed` (a model change) indexes the statement alone again.
        """
        text = redact_all(context.strip())
        j = by_content.get(text)
        ctx = vectors.get(j) if j is not None else outside[text]
        mixed = own + CONTEXT_WEIGHT * ctx
        return (mixed / max(float(np.linalg.norm(mixed)), 1e-9)).astype(np.float32)

    def _pool_for(self, name: str, workers: int):
        """A lazily started thread pool: `_embed_pool` embeds batches ahead of remember_many, `_query_pool`
        runs recall's keyword searches (separate, so a recall never queues behind a batch), `_index_pool`
        catches the keyword index up after writes."""
        with self._pool_lock:
            if getattr(self, name) is None:
                from concurrent.futures import ThreadPoolExecutor

                setattr(self, name, ThreadPoolExecutor(workers, thread_name_prefix=f"reverie{name}"))
            return getattr(self, name)

    def _validate_remember(self, req: RememberRequest) -> None:
        check_namespace(req.namespace)
        check_text(req.content, "content", self.settings.max_content_bytes)
        req.tags[:] = check_tags(req.tags)
        if req.confidence is not None and not 0.0 <= req.confidence <= 1.0:
            raise InvalidInput(f"confidence must be between 0 and 1; got {req.confidence}.")
        if req.valid_from and req.valid_until and ensure_utc(req.valid_until) < ensure_utc(req.valid_from):
            raise InvalidInput("valid_until is before valid_from.")
        if req.source_ref is not None:
            check_text(req.source_ref, "source_ref", 512)
        if req.context is not None:
            check_text(req.context, "context", self.settings.max_content_bytes)

    def _pre_gate(self, req: RememberRequest) -> _Plan:
        """Deterministic gates, before any model: secrets, confidence floor, transient markers.

        Returns a final plan, or one with decision "decide" that goes on to `_decide`.
        """
        content = req.content.strip()
        redactions: tuple[str, ...] = ()
        findings = find_secrets(content)
        if findings:
            kinds = tuple(dict.fromkeys(f.kind for f in findings))
            # Trigger: a secret in the text. Why: secrets must never be stored, whatever any model says.
            if self.settings.secrets == "block":
                return _Plan("block", f"blocked: contains a secret ({', '.join(kinds)}); nothing stored", content, redactions=kinds)
            content = redact(content, findings)
            redactions = kinds
        if req.confidence is not None and req.confidence < self.settings.min_confidence:
            return _Plan("skip", f"skipped: confidence {req.confidence} is below the minimum {self.settings.min_confidence}", content)
        marker = transient_marker(content)
        if marker and not req.session_id:
            return _Plan("skip", f"skipped: transient ('{marker}'); pass a session_id to keep it in working memory", content)
        return _Plan("decide", "", content, redactions=redactions)

    def _decide(self, req: RememberRequest, content: str, vector: np.ndarray, redactions: tuple[str, ...]) -> _Plan:
        existing = self.store.find_active_by_hash(req.namespace, content_hash(content))
        if existing is not None:
            return _Plan("noop", f"exact duplicate of {existing.id}; reinforced it", content, target=existing, redactions=redactions)
        hits = self.store.vector_search(req.namespace, vector, NEIGHBORS, active_only=True)
        rows = self.store.texts_by_rowids(req.namespace, [r for r, _ in hits])
        # One read, not one per neighbour; the dimension is this vector's (the database was bound to it in _bind).
        stored = self.store.vectors_by_rowid(req.namespace, [r for r, _ in hits], dim=len(vector))
        neighbors, found = [], []
        for rowid, sim in hits:
            row = rows.get(rowid)
            vec = stored.get(rowid) if row else None
            if row is None or vec is None:
                continue
            neighbors.append(Neighbor(content=row.content, kind=row.kind, vector=vec, similarity=sim))
            found.append((rowid, row))
        kind_hint = req.kind.value if req.kind is not None else None
        decision = self.ops.decide(content, vector, neighbors, kind_hint=kind_hint)
        target = target_rowid = None
        if decision.target is not None and decision.target < len(found):
            target_rowid, row = found[decision.target]
            target = row.memory()
        action = decision.action
        if action in ("noop", "update", "supersede") and target is None:
            action = "add"
        reason = decision.reason
        if action == "skip" and transient_marker(content) and req.session_id:
            action = "add"  # kept in the working tier for this session (see _apply)
        elif action == "skip" and subjectless_note(content):
            # Trigger: the model read an auxiliary-first note as a yes/no question. Why: agents write notes
            # without a subject ("Is allergic to nuts", "Has two kids"); a question would name its subject
            # first and usually ends in "?". Outcome: keep it.
            action, reason = "add", "kept: a note about the user with its subject left out, not a question"
        elif action == "skip" and tells_past_event(content):
            # Trigger: the model dropped a message for its opener ("I'm thinking of planning a trip ...") while a
            # later sentence tells of a past event ("... I recently got back from five days in Lisbon"). Why: the
            # model reads the message as one hedge or request, and the event is what a later question asks about.
            # Outcome: keep the message.
            action, reason = "add", "kept: a sentence tells of a past event, whatever the rest hedges or asks"
        elif action == "skip" and decision.confidence < self.settings.skip_confidence:
            # Trigger: the model leans towards "not worth keeping" but is unsure. Why: a stored statement costs
            # little and can decay; a dropped one is gone. Outcome: keep it.
            action, reason = "add", f"kept: the model was unsure this is small talk or a question (p={decision.confidence:.2f})"
        return _Plan(action, reason, content, kind=kind_hint or decision.kind, target=target, ops=decision, vector=vector,
                     redactions=redactions, target_rowid=target_rowid)

    def _apply(self, req: RememberRequest, plan: _Plan, actor: str, stored: list[tuple[Memory, str]]) -> RememberResult:
        """Write what `plan` decided; a committed new memory is appended to `stored` for the `on_stored` hooks."""
        now = self._now()
        decision = plan.decision
        shown = "redact" if plan.redactions and decision not in ("block", "skip") else decision
        reason = plan.reason
        if plan.redactions and decision != "block":
            reason = f"redacted {', '.join(plan.redactions)}; {reason}"
        result = RememberResult(decision=shown, memory_ids=[], reason=reason, kind=plan.kind, redactions=list(plan.redactions), dry_run=req.dry_run)
        if decision in ("block", "skip"):
            if not req.dry_run:
                # Why: the audit trail explains writes that did not happen too, without the text.
                self.store.audit(req.namespace, decision, None, actor, now, reason=plan.reason, content_sha256=content_hash(req.content))
            return result
        if decision == "noop":
            assert plan.target is not None
            result.memory_ids = [plan.target.id]
            result.kind = plan.target.kind
            if not req.dry_run:
                with self.store.transaction():
                    self.store.reinforce(req.namespace, [plan.target.id], now, boost=0.1)
                    ref = f"ref:{req.source_ref}" if req.source_ref else None
                    if ref and ref not in plan.target.provenance:
                        # Why: the memory now stands for this source too, so whoever follows
                        # provenance back (export, the benchmarks) finds both.
                        self.store.update_fields(req.namespace, plan.target.id, provenance=[*plan.target.provenance, ref])
                    self.store.audit(req.namespace, "noop", plan.target.id, actor, now, reason=plan.reason)
            return result

        ops = plan.ops
        transient = bool(transient_marker(plan.content)) and bool(req.session_id)
        memory = Memory(
            id=new_id("mem"),
            namespace=req.namespace,
            content=plan.content,
            kind=plan.kind or "fact",
            tier="working" if transient else "episodic",
            confidence=req.confidence if req.confidence is not None else (ops.confidence if ops else 0.8),
            strength=ops.strength if ops else 1.0,
            decay_rate=(max(ops.decay_rate, 0.5) if transient else ops.decay_rate) if ops else 0.02,
            recorded_at=now,
            valid_from=req.valid_from or now,
            valid_until=req.valid_until,
            source=req.source,
            provenance=[f"ref:{req.source_ref}"] if req.source_ref else [],
            tags=req.tags,
            session_id=req.session_id,
            content_hash=content_hash(plan.content),
            embedding_model=self.embedder.model_id,
        )
        target = plan.target if decision in ("update", "supersede") else None
        if target is not None:
            memory.supersedes = target.id
            memory.provenance.append(target.id)
        result.memory_ids = [memory.id] + ([target.id] if target else [])
        if req.dry_run:
            return result
        with self.store.transaction():
            self.store.insert(memory, plan.vector, plan.passages)
            if target is not None:
                # Trigger: the model judged the new statement a refinement (update) or a contradiction
                # (supersede) of `target`. Why: history is kept, so the old version stays readable
                # and `as_of` can still show it; it just stops being current.
                ended = {"status": "superseded", "superseded_by": memory.id, "ended_at": now}
                if decision == "supersede" and target.valid_until is None:
                    ended["valid_until"] = memory.valid_from
                self.store.update_fields(req.namespace, target.id, rowid=plan.target_rowid, **ended)
            self.store.audit(
                req.namespace, decision, memory.id, actor, now,
                reason=reason, target=target.id if target else None, kind=memory.kind, tier=memory.tier,
                redactions=list(plan.redactions), source=memory.source, source_ref=req.source_ref,
            )
        stored.append((memory, shown))
        return result

    # -- recall ----------------------------------------------------------------------------------
    def recall(self, req: RecallRequest, actor: str = "tool", *, log: bool = True) -> RecallResult:
        """Hybrid retrieval: vector KNN and FTS5 BM25 candidates, fused (`search.fuse`), spread to neighbours, then ranked.

        Raises:
            InvalidInput: empty or oversized query, k out of range, bad dates or namespace.
        """
        check_namespace(req.namespace)
        query = check_text(req.query, "query", MAX_QUERY_CHARS * 4)
        if len(query) > MAX_QUERY_CHARS:
            raise InvalidInput(f"query is {len(query)} characters; the limit is {MAX_QUERY_CHARS}.")
        if not 1 <= req.k <= MAX_K:
            raise InvalidInput(f"k must be between 1 and {MAX_K}; got {req.k}.")
        tags = check_tags(req.tags) if req.tags else None
        since, until = (ensure_utc(req.since) if req.since else None), (ensure_utc(req.until) if req.until else None)
        if since and until and until < since:
            raise InvalidInput("until is before since.")
        now = ensure_utc(req.now) if req.now else self._now()
        as_of = ensure_utc(req.as_of) if req.as_of else None

        self._bind()
        pool = candidate_pool(req.k)
        # Superseded versions stay searchable: a query phrased like the old wording should still find the
        # memory, and `_lift_history` then answers with the version that replaced it.
        active_only = False
        vector_hits: list[tuple[int, float]] = []
        keyword_hits: list[tuple[int, float]] = []
        qvec = None
        # The keyword search (FTS5 on its own SQLite connection, see SQLiteStore._keyword_db) runs in a worker
        # thread while this one embeds the query (ONNX Runtime, GIL released) and scans vectors: a recall
        # costs max(FTS, embedding + vector scan), not their sum, when a second core is free. The embedding
        # stays on this thread: handed to a worker, waiting for it put one more sleep and wake-up on the
        # critical path. Not when this thread holds a transaction: a worker could not join it.
        keywords = None
        frame = timeframe.window(query, as_of or now)
        # A time frame the query names ranks by date below, so its words stay out of the match (timeframe.without_frame).
        words = timeframe.without_frame(query, frame) if self.settings.frame_out_of_query else query
        # The query is tokenised before the keyword search starts and the model runs after it, so the worker's Python
        # runs while the model has released the GIL, not while this thread needs it to tokenise (submitted first, a
        # hybrid recall's embedding took 1.5-2 ms more wall than CPU; a vector-only one's 0-0.3 ms).
        embed_query = self.embedder.prepare_query(words) if req.strategy in ("hybrid", "vector") else None
        if req.strategy in ("hybrid", "keyword"):
            match = fts_query(words)
            if match and self.store.db.in_transaction():
                keyword_hits = self.store.keyword_search(req.namespace, match, pool)
            elif match:
                keywords = self._pool_for("_query_pool", 4).submit(self.store.keyword_search, req.namespace, match, pool)
        if embed_query is not None:
            qvec = embed_query()
            # A long memory's cosine is raised towards its best passage's (server/passages.py).
            vector_hits = self.store.vector_search(req.namespace, qvec, pool, active_only=active_only, passages=self.settings.passage_vectors)
        if keywords is not None:
            keyword_hits = keywords.result()
        fused, vsim, kw = fuse(vector_hits, keyword_hits, limit=pool)
        # Candidates are weighed on their MemoryFacts; only the ones returned (and the head the learned stage
        # may reorder: it reads the text) are read whole.
        facts = self.store.facts_by_rowids(req.namespace, list(fused))
        own = dict(fused) if sessionrank.LEND_OWN_MATCH else None  # each candidate's own match, before spreading
        if NEIGHBOR_SHARE and req.strategy == "hybrid":
            fused = self._spread(req.namespace, fused, facts)
        via_history: set[int] = set()
        if not (req.include_superseded or as_of):
            fused, via_history = self._lift_history(req.namespace, fused, facts, vsim, kw, lift_archived=not req.include_archived, own=own)
        fmax = max(max(fused.values(), default=1.0), 1e-9)
        # A memory sleep consolidated stands for episodes of several dates, and its own date is only the latest:
        # a time frame or a since/until range holds it when it holds any of its sources (timeframe.SOURCE_DATES).
        sources: dict[str, list[datetime]] = {}
        if (frame is not None or since or until) and timeframe.SOURCE_DATES:
            sources = self.store.source_dates(req.namespace, [facts[r].id for r in fused if facts.get(r) is not None])

        scored: list[tuple[float, int, float, float, float, bool]] = []  # (final, rowid, fused, strength, recency, in frame)
        for rowid, fscore in fused.items():
            fact = facts.get(rowid)
            dates = sources.get(fact.id, ()) if fact is not None else ()
            if fact is None or not self._visible(fact, req, as_of, since, until, tags, dates):
                continue
            strength = effective_strength(fact, now)
            when = fact.valid_from or fact.recorded_at
            age_days = max(0.0, (now - when).total_seconds() / 86400.0)
            recency = 0.5 ** (age_days / RECENCY_HALF_LIFE_DAYS)
            relevance = fscore / fmax
            in_frame = frame is not None and frame.holds_any(when, dates)
            if in_frame:  # the query names this stretch of time ("a couple of days ago", "last month")
                relevance *= 1.0 + TIME_FRAME_BOOST
            # Why these weights: relevance decides; strength, recency and confidence only
            # break near-ties, so a strong old memory can't bury the one that answers.
            base, w_strength, w_recency, w_confidence = PRIOR
            final = relevance * (base + w_strength * strength + w_recency * recency + w_confidence * fact.confidence)
            scored.append((round(final, 6), rowid, fscore, strength, recency, in_frame))
        scored.sort(key=lambda s: s[0], reverse=True)  # stable: ties keep the fused order
        # Session support (server/sessionrank.py): conversations that match as a whole rank higher.
        if self.settings.session_support and req.strategy == "hybrid":
            lends = None if own is None else {s[1]: s[0] * own.get(s[1], 0.0) / s[2] for s in scored if s[2] > 0}
            scored = self._session_support(scored, facts, self.settings.session_support, lends)
        # The learned stage (hybrid recalls only: the vector and keyword baselines stay what they say)
        # reorders the best RERANK_DEPTH by at most `rank_bound` x the best score, so only the candidates
        # that could still reach the top k after it are read whole.
        bound = self._rerank_bound() if req.strategy == "hybrid" and qvec is not None else None
        head = req.k
        if bound is not None and scored:
            floor = scored[min(req.k, len(scored)) - 1][0] - bound * scored[0][0]
            head = max(req.k, RERANK_DEPTH, sum(1 for s in scored if s[0] >= floor))
        # The head is read as text rows; only the k returned are decoded into Memory objects and typed hits (the
        # head runs to 30-50 at k=10, and decoding all of it was most of this step's CPU).
        rows = self.store.texts_by_rowids(req.namespace, [s[1] for s in scored[:head]])
        # rows are never deleted (a hard delete empties one); a damaged file still answers
        heads = [_Head(rowid, rows[rowid], facts[rowid], final, fscore, round(vsim.get(rowid, 0.0), 6), round(kw.get(rowid, 0.0), 6),
                       round(strength, 6), round(recency, 6), in_frame)
                 for final, rowid, fscore, strength, recency, in_frame in scored[:head] if rowid in rows]
        candidates = [[facts[rowid].id, final] for final, rowid, *_ in scored[: 4 * req.k]]
        if bound is not None:
            self._learned_rerank(query, qvec, heads, now)
            heads.sort(key=lambda h: h.final, reverse=True)
            moved = {h.fact.id: h.final for h in heads}
            candidates = sorted(([i, moved.get(i, f)] for i, f in candidates), key=lambda c: c[1], reverse=True)
        returned: list[RecallHit] = []
        for h in heads[: req.k]:
            memory = h.row.memory()
            scores = Scores(
                vector=h.vector, keyword=h.keyword, fused=round(h.fused, 6),
                strength=h.strength, recency=h.recency, confidence=memory.confidence, final=h.final,
                learned=h.learned,
            )
            flags = ([] if memory.status == "active" else [memory.status]) + (["matched_earlier_version"] if h.rowid in via_history else [])
            if h.in_frame:
                flags.append("in_time_frame")
            returned.append(RecallHit(memory=memory, scores=scores, flags=flags))

        recall_id = new_id("rec")
        returned_ids = [h.memory.id for h in returned]
        # Sleep's conflicts job flags memories that contradict another; one query marks them here.
        conflicted = self.store.conflicted(req.namespace, returned_ids)
        for hit in returned:
            if hit.memory.id in conflicted:
                hit.flags.append("conflict")
        if not log:  # matching for forget/correct: its query may hold the very text a hard delete removes
            return RecallResult(recall_id=recall_id, results=returned)
        with self.store.transaction():
            if req.reinforce and returned_ids and not as_of:
                self.store.reinforce(req.namespace, returned_ids, now, boost=0.05)
            self.store.log_recall(
                recall_id, req.namespace, now, query, hashlib.sha256(query.encode()).hexdigest(),
                params=req.model_dump(mode="json", exclude={"query", "namespace"}),
                candidates=candidates, returned=returned_ids,
            )
            self.store.audit(req.namespace, "recall", None, actor, now, recall_id=recall_id, returned=returned_ids)
        return RecallResult(recall_id=recall_id, results=returned)

    @staticmethod
    def _session_support(
        scored: list[tuple], facts: dict[int, MemoryFacts], weight: float, lends: dict[int, float] | None = None
    ) -> list[tuple]:
        """`scored` with each memory's session support (`sessionrank`) added to its final score, best first."""
        bonus = sessionrank.session_support(
            [(s[0], s[1]) for s in scored], lambda r: facts[r].session_id or facts[r].valid_from, weight, lends
        )
        if not bonus:
            return scored
        out = [(round(s[0] + bonus.get(s[1], 0.0), 6), *s[1:]) for s in scored]
        out.sort(key=lambda s: s[0], reverse=True)
        return out

    def _spread(self, namespace: str, fused: dict[int, float], rows: dict[int, MemoryFacts]) -> dict[int, float]:
        """Give the memories written just before and after a strong candidate a share of its score.

        Why: statements written together belong together: the turn after a matching question is often the
        answer, and a fact told over two messages matches the query only in one of them.
        """
        top = list(fused.items())[:NEIGHBOR_TOP]
        near = [r + d for r, _ in top for d in (-1, 1) if r + d not in rows]
        if near:
            rows.update(self.store.facts_by_rowids(namespace, near))
        out = dict(fused)
        for rowid, score in top:
            memory = rows.get(rowid)
            if memory is None:
                continue
            for other in (rowid - 1, rowid + 1):
                neighbour = rows.get(other)
                if neighbour is None or abs(((neighbour.valid_from or neighbour.recorded_at) - (memory.valid_from or memory.recorded_at)).total_seconds()) > NEIGHBOR_WINDOW_S:
                    continue
                out[other] = max(out.get(other, 0.0), NEIGHBOR_SHARE * score)
        return dict(sorted(out.items(), key=lambda kv: kv[1], reverse=True))

    def _lift_history(
        self, namespace: str, fused: dict[int, float], rows: dict[int, MemoryFacts], vsim: dict, kw: dict, *, lift_archived: bool = True,
        own: dict[int, float] | None = None,
    ) -> tuple[dict[int, float], set[int]]:
        """Credit each match on a replaced memory to the memory that stands for it now.

        Trigger: a candidate was superseded by an update or a correction, or (with `lift_archived`) it is an
        episode that sleep folded into a semantic memory and archived. Why: its words may be what the query
        uses ("where does Alex live" matches the old "Alex lives in Paris"; a question matches one turn of a
        consolidated conversation), but the answer is the memory that holds it now, and a summary's own
        vector, an average of several episodes, matches any one question less well than the episode did.
        Outcome: the current memory takes the best score of everything it replaced; replaced ones drop out.
        `own` (scores before neighbour spreading, `sessionrank.LEND_OWN_MATCH`), like `vsim` and `kw`, is lifted in place.
        """
        # The two kinds of link chain: an update's successor may itself have been folded into a summary by sleep
        # (and a summary corrected since). One read per link level, for all chains at once: links are looked up
        # (supersede: `superseded_by`; sleep: `consolidated_into`, for archived ones) for every memory reached.
        folded_into: dict[str, str] = {}
        by_id: dict[str, MemoryFacts] = {}
        asked: set[str] = set()
        reached = [m for m in rows.values() if m is not None]
        for _ in range(32):  # chains are short; the bound guards against a corrupt cycle
            archived = [m.id for m in reached if lift_archived and m.status == "archived" and m.id not in asked]
            asked.update(archived)
            if archived:
                folded_into.update(self.store.consolidated_into(namespace, archived))
            links = {m.superseded_by for m in reached if m.status == "superseded" and m.superseded_by}
            links |= {folded_into[i] for i in archived if i in folded_into}
            links -= by_id.keys()
            if not links:
                break
            found = self.store.facts_by_ids(namespace, sorted(links))
            by_id.update(found)
            reached = list(found.values())

        def successor(memory: MemoryFacts) -> MemoryFacts | None:
            if memory.status == "superseded":
                return by_id.get(memory.superseded_by) if memory.superseded_by else None
            return by_id.get(folded_into[memory.id]) if memory.id in folded_into else None

        lifted: dict[int, float] = {}
        via: set[int] = set()
        for rowid, score in fused.items():
            memory = rows.get(rowid)
            target = rowid
            current = None
            if memory is not None and (memory.status == "superseded" or memory.id in folded_into):
                current = memory
                for _ in range(32):
                    nxt = successor(current)
                    if nxt is None:
                        break
                    current = nxt
            if current is not None:
                if current.status != "active":
                    continue
                target = current.rowid
                rows[target] = current
                vsim[target] = max(vsim.get(target, 0.0), vsim.get(rowid, 0.0))
                kw[target] = max(kw.get(target, 0.0), kw.get(rowid, 0.0))
                if own is not None:
                    own[target] = max(own.get(target, 0.0), own.get(rowid, 0.0))
                if target not in fused:
                    via.add(target)
            lifted[target] = max(lifted.get(target, 0.0), score)
        return dict(sorted(lifted.items(), key=lambda kv: kv[1], reverse=True)), via

    def _rerank_bound(self) -> float | None:
        """How far the learned stage may move a score (times the best one), or None when it will not run."""
        if not self.settings.learned_rerank or getattr(self.ops, "rerank", None) is None:
            return None
        return float(getattr(self.ops, "rank_bound", 1.0))

    def _learned_rerank(self, query: str, qvec, heads: list[_Head], now: datetime) -> None:
        """Add the memory-ops model's bounded correction to the final score of the first `RERANK_DEPTH` of `heads`.

        Called only when `_rerank_bound` says the stage runs; `heads` are in the store's order. The model sees
        the best `RERANK_DEPTH` (final score over the best one) and returns it plus a correction of at most
        `rank_bound`, so it can swap close candidates but not bury a clear winner.
        """
        if not heads:
            return
        heads = heads[:RERANK_DEPTH]
        best = max(heads[0].final, 1e-9)
        candidates = [
            RankCandidate(
                content=h.row.content, kind=h.row.kind, vector=_NO_VECTOR, vector_sim=h.vector, keyword=h.keyword,
                fused=h.final / best, strength=h.strength, recency=h.recency, confidence=h.fact.confidence,
                age_days=max(0.0, (now - (h.fact.valid_from or h.fact.recorded_at)).total_seconds() / 86400.0),
            )
            for h in heads
        ]
        utilities = self.ops.rerank(query, qvec, candidates)
        if utilities is None:
            return
        for head, utility in zip(heads, utilities):
            head.learned = round(float(utility), 6)
            head.final = round(float(utility) * best, 6)

    @staticmethod
    def _visible(memory: MemoryFacts, req: RecallRequest, as_of, since, until, tags, dates: Sequence[datetime] = ()) -> bool:
        """Whether recall may return `memory`; `dates` are a consolidated memory's sources' dates (a since/until
        range that holds any of them holds it)."""
        if not memory.has_text:  # purged by a hard delete
            return False
        if as_of is not None:
            if memory.recorded_at > as_of or (memory.ended_at is not None and memory.ended_at <= as_of):
                return False
            if memory.status == "forgotten":
                return False
        elif memory.status == "forgotten":
            return False
        elif memory.status == "superseded" and not req.include_superseded:
            return False
        elif memory.status == "archived" and not req.include_archived:
            return False
        if req.kinds and memory.kind not in {k.value if hasattr(k, "value") else k for k in req.kinds}:
            return False
        if tags and not set(tags) <= set(memory.tags):
            return False
        when = memory.valid_from or memory.recorded_at
        return not (since or until) or any((not since or d >= since) and (not until or d <= until) for d in (when, *dates))

    # -- forget, correct, feedback -----------------------------------------------------------------
    def find_matches(self, namespace: str, query: str, limit: int = 10) -> list[Memory]:
        """Memories a query plainly refers to: strong vector match or every keyword present."""
        res = self.recall(RecallRequest(namespace=namespace, query=query, k=limit, reinforce=False), actor="match", log=False)
        return [h.memory for h in res.results if h.scores.vector >= 0.6 or h.scores.keyword >= 0.999]

    def forget(
        self, namespace: str, *, memory_id: str | None = None, query: str | None = None, confirm: bool = False,
        reason: str = "", hard: bool = False, actor: str = "tool",
    ) -> ForgetResult:
        """Soft-forget (default) or hard-delete a memory and every version of it.

        Raises:
            InvalidInput: neither or both of id and query; a query without confirm.
            NotFound: the id is not in this namespace, or the query matches nothing.
        """
        check_namespace(namespace)
        if (memory_id is None) == (query is None):
            raise InvalidInput("Pass exactly one of id or query.")
        reason = (reason or "").strip()
        if _CONTROL.search(reason) or len(reason) > 1000:
            raise InvalidInput("reason must be printable text of at most 1000 characters.")
        if memory_id is not None:
            memory = self.store.get(namespace, memory_id)
            if memory is None:
                raise NotFound(f"No memory {memory_id!r} in namespace {namespace!r}.")
            targets = [memory]
        else:
            check_text(query, "query", MAX_QUERY_CHARS)
            targets = self.find_matches(namespace, query)
            if not targets:
                raise NotFound(f"No memory in {namespace!r} clearly matches {query!r}; nothing forgotten.")
            if not confirm:
                listing = "; ".join(f"{m.id}: {m.content[:80]}" for m in targets)
                raise InvalidInput(f"{len(targets)} memories match; call again with confirm=true to forget them: {listing}")
        now = self._now()
        ids: list[str] = []
        for memory in targets:
            for version in self.store.versions(namespace, memory.id):
                if version.id not in ids:
                    ids.append(version.id)
        with self.store.transaction():
            for mid in ids:
                version = self.store.get(namespace, mid)
                if version.status != "forgotten":
                    self.store.update_fields(namespace, mid, status="forgotten", ended_at=now)
                if hard:
                    self.store.purge(namespace, mid, version.content_hash)
                self.store.audit(namespace, "hard_delete" if hard else "forget", mid, actor, now, reason=reason, content_sha256=version.content_hash)
        if hard:
            self.store.compact()
        return ForgetResult(forgotten=ids, hard=hard, reason=reason)

    def correct(
        self, namespace: str, correction: str, *, memory_id: str | None = None, query: str | None = None,
        reason: str = "", actor: str = "tool",
    ) -> CorrectResult:
        """The correction becomes the current version at top confidence; the old one is kept, closed and linked.

        Raises:
            InvalidInput: bad correction text, neither or both of id and query, or a correction that is a secret.
            NotFound: nothing to correct.
        """
        check_namespace(namespace)
        correction = check_text(correction, "correction", self.settings.max_content_bytes)
        if (memory_id is None) == (query is None):
            raise InvalidInput("Pass exactly one of id or query.")
        if memory_id is not None:
            old = self.store.get(namespace, memory_id)
            if old is None or not old.content:
                raise NotFound(f"No memory {memory_id!r} in namespace {namespace!r}.")
        else:
            matches = self.find_matches(namespace, check_text(query, "query", MAX_QUERY_CHARS), limit=3)
            if not matches:
                raise NotFound(f"No memory in {namespace!r} clearly matches {query!r}; nothing to correct.")
            old = matches[0]
        if old.status != "active":
            raise InvalidInput(f"Memory {old.id} is {old.status}; correct its current version {old.superseded_by or ''}".strip())
        findings = find_secrets(correction)
        if findings:
            if self.settings.secrets == "block":
                raise InvalidInput("The correction contains a secret; it was not stored.")
            correction = redact(correction, findings)
        self._bind()
        now = self._now()
        [(vector, passage_vectors)] = passages.embed_with_passages(self.embedder, [correction], self.settings.passage_vectors)
        new = Memory(
            id=new_id("mem"), namespace=namespace, content=correction, kind=old.kind, tier=old.tier, confidence=1.0,
            strength=1.0, decay_rate=old.decay_rate, recorded_at=now, valid_from=now, source="explicit",
            provenance=[old.id], tags=old.tags, session_id=old.session_id, supersedes=old.id,
            content_hash=content_hash(correction), embedding_model=self.embedder.model_id,
        )
        with self.store.transaction():
            self.store.insert(new, vector, passage_vectors)
            self.store.update_fields(namespace, old.id, status="superseded", superseded_by=new.id, ended_at=now, valid_until=now)
            self.store.audit(namespace, "correct", new.id, actor, now, target=old.id, reason=reason or "corrected by the user")
        return CorrectResult(old=self.store.get(namespace, old.id), new=self.store.get(namespace, new.id))

    def feedback(self, namespace: str, recall_id: str, memory_id: str, signal: str, actor: str = "tool") -> FeedbackResult:
        """Record whether a recalled memory helped: the utility signal that later trains ranking.

        Raises:
            NotFound: unknown recall id, or the memory was not returned by that recall.
            InvalidInput: unknown signal.
        """
        check_namespace(namespace)
        if signal not in ("helpful", "irrelevant", "wrong"):
            raise InvalidInput(f"signal must be helpful, irrelevant or wrong; got {signal!r}.")
        recall = self.store.get_recall(namespace, recall_id)
        if recall is None:
            raise NotFound(f"No recall {recall_id!r} in namespace {namespace!r}.")
        if memory_id not in recall["returned"]:
            raise NotFound(f"Memory {memory_id!r} was not returned by recall {recall_id!r}.")
        now = self._now()
        with self.store.transaction():
            self.store.add_feedback(namespace, recall_id, memory_id, signal, now)
            if signal == "helpful":
                self.store.reinforce(namespace, [memory_id], now, boost=0.1)
            elif signal == "wrong":
                memory = self.store.get(namespace, memory_id)
                if memory is not None:
                    self.store.update_fields(namespace, memory_id, strength=max(0.0, memory.strength - 0.2))
            self.store.audit(namespace, "feedback", memory_id, actor, now, recall_id=recall_id, signal=signal)
        return FeedbackResult(recall_id=recall_id, memory_id=memory_id, signal=signal)

    # -- inspection ---------------------------------------------------------------------------------
    def get(self, namespace: str, memory_id: str) -> Memory:
        check_namespace(namespace)
        memory = self.store.get(namespace, memory_id)
        if memory is None:
            raise NotFound(f"No memory {memory_id!r} in namespace {namespace!r}.")
        return memory

    def stats(self) -> Stats:
        counts = self.store.counts()
        bound = self.store.embedding_binding()
        info = self.store.info()
        return Stats(
            namespaces=counts, total_memories=sum(sum(c.values()) for c in counts.values()),
            embedding_model=bound[0] if bound else None, embedding_dim=bound[1] if bound else None,
            embedding_precision=getattr(self.embedder, "precision", None), query_precision=getattr(self.embedder, "query_precision", None),
            schema_version=info["schema_version"], database=info["database"], driver=info["driver"],
        )


def redact_all(text: str) -> str:
    """Context text with any secret in it redacted: it is embedded, so it must be as clean as content."""
    findings = find_secrets(text)
    return redact(text, findings) if findings else text


def effective_strength(memory: Memory | MemoryFacts, now: datetime) -> float:
    """Strength decays exponentially at the memory's own rate since it was last reinforced."""
    since = memory.last_recalled_at or memory.recorded_at
    days = max(0.0, (now - since).total_seconds() / 86400.0)
    return memory.strength * math.exp(-memory.decay_rate * days)
