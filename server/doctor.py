"""`reverie doctor`: check what Reverie needs, and say how to fix what fails."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from server.config import Settings


def run_checks(settings: Settings, say: Callable[[str], None]) -> bool:
    ok = True

    def check(name: str, fn: Callable[[], str], fix: str) -> None:
        nonlocal ok
        try:
            say(f"ok    {name}: {fn()}")
        except Exception as exc:  # doctor reports every failure, whatever its type
            ok = False
            say(f"FAIL  {name}: {exc}\n      fix: {fix}")

    def python() -> str:
        if sys.version_info < (3, 10):
            raise RuntimeError(f"Python {sys.version.split()[0]} is too old")
        return sys.version.split()[0]

    def sqlite_driver() -> str:
        from server.store.driver import available_drivers, choose_driver

        chosen = choose_driver(settings.sqlite_driver)
        return f"{chosen} (usable: {', '.join(available_drivers())})"

    def database() -> str:
        from server.store import open_store

        store = open_store(settings)
        try:
            health = store.health()
            bound = store.embedding_binding()
        finally:
            store.close()
        return f"{store.path} (schema v{store.schema_version}, {health}, model {bound[0] if bound else 'not yet bound'})"

    def model() -> str:
        from server.embed import FastEmbedEmbedder

        start = time.perf_counter()
        embedder = FastEmbedEmbedder.from_settings(settings)
        from server.store import open_store

        store = open_store(settings)
        try:
            store.check_embedding(embedder.model_id)
        finally:
            store.close()
        return f"{embedder.model_id} ({embedder.dim} dims, {embedder.precision}, loaded in {time.perf_counter() - start:.1f}s)"

    def memops() -> str:
        from server.app import load_ops

        ops = load_ops(settings)
        return type(ops).__name__

    check("python", python, "install Python 3.10 or newer")
    check("sqlite driver", sqlite_driver, "pip install apsw (any platform) or pysqlite3-binary (Linux x86-64)")
    check("database", database, "check the path in REVERIE_DB / --db is writable; restore from `reverie export` if corrupt")
    check("embedding model", model, "online: let fastembed download it once; offline: pip install 'reverie-memory[offline]' and set REVERIE_EMBEDDING_MODEL=offline; after changing models run `reverie reembed`")
    check("memory-ops model", memops, "reinstall Reverie (the weights ship with it) or set REVERIE_MEMOPS=rules")
    return ok
