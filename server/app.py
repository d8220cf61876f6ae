"""Composition root: settings -> store, embedder, memory-ops model -> service -> MCP server.

Dependencies flow through the lifespan as one typed `AppContext`; tools and
resources read it from the request context. Nothing here is global.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from mcp.server import MCPServer

from server import __version__, heap
from server.clock import Clock, SystemClock
from server.config import Settings
from server.embed import MINILM, Embedder, LazyEmbedder, resolve_model
from server.errors import ConfigError
from server.memops.schema import MemoryOps
from server.policy import PolicyEngine, register_policy_job
from server.service import MemoryService
from server.store import Store, open_store
from server.working import WorkingMemory, register_working_job

log = logging.getLogger("reverie")

INSTRUCTIONS = """Reverie is your long-term memory for this user.
- recall before answering anything that may depend on the user's history, preferences or past decisions.
- remember durable facts, preferences, decisions, constraints, goals and outcomes as short self-contained statements
  (one fact each; no secrets: they are redacted or refused).
- correct a memory when the user says it is wrong or has changed; forget when asked (hard=true erases it for good).
- feedback on recalled memories that helped or misled you improves ranking."""


@dataclass
class Principal:
    """Who is calling: the namespaces they may touch and whether they may write (HTTP tokens narrow this)."""

    namespaces: tuple[str, ...] | None = None  # None: any namespace
    read_only: bool = False
    name: str = "local"


@dataclass
class AppContext:
    settings: Settings
    store: Store
    embedder: Embedder
    ops: MemoryOps
    service: MemoryService
    working: WorkingMemory
    policies: PolicyEngine
    principal: Principal = field(default_factory=Principal)


class AppHolder:
    """Static MCP resources get no request context; they read the lifespan's AppContext from here."""

    app: AppContext | None = None
    background: Background | None = None

    def get(self) -> AppContext:
        if self.app is None:
            raise RuntimeError("the server is not running")
        return self.app


def load_ops(settings: Settings, store: Store | None = None) -> MemoryOps:
    """The learned memory-ops model, or the rules baseline when configured (or when weights are missing).

    Weights promoted by sleep's refinement job (recorded in the database's `memops_weights`) win over the
    shipped ones, so a restart keeps what was learned.
    """
    from pathlib import Path

    from server.memops import RulesOps, load_ops as load_learned

    if settings.memops == "rules":
        return RulesOps()
    promoted = store.get_meta("memops_weights") if store is not None else None
    if promoted and not Path(promoted).is_dir():
        log.warning("promoted memory-ops weights %s are missing; using the shipped ones", promoted)
        promoted = None
    try:
        ops = load_learned(Path(promoted) if promoted else None)
    except FileNotFoundError:
        log.warning("memory-ops weights not found; using the rules baseline")
        return RulesOps()
    # The weights read the embedding model's vectors: beside another model (even one of the same width) their
    # inputs would mean nothing, so decisions fall back to the rules rather than go silently wrong. Checkpoints
    # from before the model was recorded were all trained on MiniLM.
    trained_on, configured = ops.meta.get("embedding_model", MINILM), _model_id(settings.embedding_model)
    if configured != trained_on:
        log.warning("the memory-ops model was trained on %s embeddings, the server runs %s; using the rules baseline",
                    trained_on, configured)
        return RulesOps()
    return ops


def _model_id(spec: str) -> str:
    """The model id the database would record for a configured embedding model (no model loaded)."""
    try:
        return resolve_model(spec)[0]
    except ConfigError:  # the embedder reports a bad model spec itself, with its fix
        return spec


class LazyOps:
    """Loads the memory-ops model (torch) in a background thread, started by `start()` or the first call."""

    def __init__(self, settings: Settings, store: Store | None = None):
        self._result: list = []
        self._thread = threading.Thread(target=lambda: self._result.append(_capture(load_ops, settings, store)), daemon=True)
        self._lock = threading.Lock()

    def start(self) -> LazyOps:
        with self._lock:
            if not self._thread.is_alive() and not self._result:
                self._thread.start()
        return self

    def wait(self) -> MemoryOps:
        """The loaded model (loading reads the database: call it before taking a write transaction)."""
        return self._ops()

    def _ops(self) -> MemoryOps:
        self.start()
        self._thread.join()
        ok, value = self._result[0]
        if not ok:
            raise value
        return value

    def decide(self, *args, **kwargs):
        return self._ops().decide(*args, **kwargs)

    def __getattr__(self, name: str):
        # rerank and other optional capabilities of whichever ops was loaded
        return getattr(self._ops(), name)


def warm_up(*loaders) -> None:
    """Start background loading of whatever can load (LazyEmbedder, LazyOps); others are ready already. Once all
    have loaded, what they loaded leaves the garbage collector's full passes (server/heap.py)."""
    for loader in loaders:
        start = getattr(loader, "start", None)
        if start is not None:
            start()
    heap.settle_after(*loaders)


class WarmUp:
    """MCP middleware: start the background work (models, sleep) once the handshake is done.

    Why: importing torch, onnxruntime and APScheduler during the handshake competes for the GIL and the
    CPU, and made `initialize` ~1 s slower on a 2-core machine. The first message after `initialize`
    (normally `notifications/initialized`) starts it; tool calls made before loading ends simply wait.
    """

    def __init__(self, holder: AppHolder):
        self.holder = holder

    async def __call__(self, ctx, call_next):
        result = await call_next(ctx)
        if ctx.method != "initialize" and self.holder.background is not None:
            self.holder.background.start()
        return result


class Background:
    """The stdio server's background work: model loading, and the sleep scheduler (in its own thread,
    so importing APScheduler does not hold up the first requests). Started once; stopped by the lifespan."""

    def __init__(self, app: AppContext, sleep: bool):
        self.app, self.sleep = app, sleep
        self._lock = threading.Lock()
        self._started = self._stopped = False
        self._sleeper = None

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        warm_up(self.app.embedder, self.app.ops)
        if self.sleep:
            threading.Thread(target=self._start_sleep, name="reverie-sleep-start", daemon=True).start()

    def _start_sleep(self) -> None:
        with self._lock:
            if not self._stopped:
                try:
                    self._sleeper = start_sleep(self.app)
                except Exception:
                    log.exception("could not start the sleep scheduler")

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            sleeper, self._sleeper = self._sleeper, None
        if sleeper is not None:
            sleeper.shutdown()


def _capture(fn, *args):
    try:
        return True, fn(*args)
    except BaseException as exc:  # re-raised in the caller's thread
        return False, exc


def build_context(
    settings: Settings, *, embedder: Embedder | None = None, clock: Clock | None = None, warm: bool = True
) -> AppContext:
    """Open everything. With `warm`, the embedding and memory-ops models start loading in the background now;
    the stdio server passes False and starts them once the MCP handshake is done (see `WarmUp`)."""
    store = open_store(settings)
    if embedder is None:
        embedder = LazyEmbedder(settings.embedding_model, settings.embedding_cache_dir, settings.embedding_precision, settings.query_precision)
    # Fail fast on a model mismatch: this needs only the model id, not the loaded model.
    store.check_embedding(embedder.model_id)
    ops = LazyOps(settings, store)
    if warm:
        warm_up(embedder, ops)
    service = MemoryService(store, embedder, ops, settings, clock or SystemClock())
    working = WorkingMemory(service, ttl_hours=settings.task_ttl_hours)
    policies = PolicyEngine(service)
    service.on_stored.append(policies.on_memories_stored)  # stored constraints become policies
    register_policy_job()  # policy learning runs with the other sleep jobs
    register_working_job()  # and so does dropping expired task states
    return AppContext(
        settings=settings, store=store, embedder=embedder, ops=ops, service=service, working=working, policies=policies
    )


def start_sleep(app: AppContext):
    """Schedule the sleep jobs (server/sleep/): fired from background threads, run in a child process; overdue work
    catches up shortly after start."""
    from server.sleep.scheduler import SleepScheduler

    sleeper = SleepScheduler(app.service)
    sleeper.start()
    return sleeper


def create_server(settings: Settings | None = None, *, context: AppContext | None = None) -> MCPServer:
    """The MCP server. Pass `context` to share one (tests, the HTTP app); else the lifespan builds it."""
    settings = settings or (context.settings if context else Settings())

    holder = AppHolder()

    @contextlib.asynccontextmanager
    async def lifespan(_server: MCPServer) -> AsyncIterator[AppContext]:
        if context is not None:
            holder.app = context
            yield context
            return
        app = holder.app = build_context(settings, warm=False)
        background = holder.background = Background(app, sleep=settings.sleep_enabled)
        try:
            yield app
        finally:
            background.stop()
            app.store.close()

    server = MCPServer(
        name="reverie",
        title="Reverie memory",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        log_level=settings.log_level,
        middleware=[WarmUp(holder)],
    )
    import resources
    import tools

    tools.register(server)
    resources.register(server, holder)
    return server
