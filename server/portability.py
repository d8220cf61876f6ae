"""Moving memories in and out: JSONL export/import (every version, every field) and re-embedding.

A Reverie export is a restore format: importing it recreates each version as it
was (same ids, links and timestamps) rather than replaying it through the write
policy, so export -> import -> export is the identity. Imports are idempotent:
an id already present is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import IO

from pydantic import ValidationError

import numpy as np

from server import passages
from server.embed import Embedder
from server.governance.secrets import find_secrets
from server.models import Memory
from server.store import Store


def export_jsonl(store: Store, out: IO[str], namespace: str | None = None) -> int:
    count = 0
    for _rowid, memory in store.iter_all(namespace):
        # ASCII-escaped: U+0085 and U+2028 inside text would otherwise split lines for some readers.
        out.write(json.dumps(memory.model_dump(mode="json"), ensure_ascii=True) + "\n")
        count += 1
    return count


def import_jsonl(service, lines: Iterable[str], progress: Callable[[int], None] = lambda n=1: None, batch: int = 64) -> dict:
    """Restore exported memories. Returns {"imported", "skipped", "errors": [{"line", "error"}]}."""
    store, embedder = service.store, service.embedder
    service._bind()
    imported, skipped, errors = 0, 0, []
    pending: list[Memory] = []

    def flush() -> None:
        nonlocal imported
        texts = [m.content for m in pending if m.content]
        # Long memories get their passages' vectors too (server/passages.py), embedded in the same call.
        embedded = iter(passages.embed_with_passages(embedder, texts, service.settings.passage_vectors))
        with store.transaction():
            for memory in pending:
                store.insert(memory, *(next(embedded) if memory.content else (None, None)))
                imported += 1
        pending.clear()

    for number, line in enumerate(lines, start=1):
        progress(1)
        if not line.strip():
            continue
        try:
            memory = Memory(**json.loads(line))
        except (json.JSONDecodeError, ValidationError, TypeError) as exc:
            errors.append({"line": number, "error": f"not a Reverie memory record: {str(exc).splitlines()[0]}"})
            continue
        if find_secrets(memory.content):
            errors.append({"line": number, "error": "contains a secret; not imported"})
            continue
        if store.get(memory.namespace, memory.id) is not None or any(p.id == memory.id for p in pending):
            skipped += 1
            continue
        memory.embedding_model = embedder.model_id
        pending.append(memory)
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    return {"imported": imported, "skipped": skipped, "errors": errors}


def reembed(
    store: Store, embedder: Embedder, progress: Callable[[int], None] = lambda n=1: None, batch: int = 256, passage_vectors: bool = True,
) -> int:
    """Recompute every vector with `embedder` and rebind the database to it, in one transaction.

    With `passage_vectors` (Settings.passage_vectors) long memories get their passages' vectors again
    (server/passages.py); without, the old ones are dropped.
    """
    long_ones: list[tuple[int, str, np.ndarray]] = []

    def vectors():
        chunk: list[tuple[int, str, str]] = []
        for rowid, memory in store.iter_all():
            progress(1)
            if memory.content:
                chunk.append((rowid, memory.namespace, memory.content))
            if len(chunk) >= batch:
                yield from _embed_chunk(chunk)
                chunk = []
        if chunk:
            yield from _embed_chunk(chunk)

    def _embed_chunk(chunk):
        embedded = passages.embed_with_passages(embedder, [c[2] for c in chunk], passage_vectors)
        for (rowid, namespace, _), (vector, rows) in zip(chunk, embedded):
            if rows is not None:
                long_ones.append((rowid, namespace, rows))
            yield rowid, namespace, vector

    items = list(vectors())  # embed before taking the write lock
    return store.rebind_embedding(embedder.model_id, embedder.dim, items, long_ones)
