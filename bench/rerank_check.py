"""Does the learned recall stage help? One LoCoMo ingest, recall with the reranker off and on.

    python bench/rerank_check.py LOCOMO.json [--limit 2] [--offset 0] [--memops learned|rules]

Ingests each conversation once through the real service (`remember_many` per session), then asks
every question twice: with `learned_rerank` off (the hybrid ranking) and on (the memory-ops model's
residual on it). Prints evidence recall@k for both and the write decisions. Cheaper than two runs of
`reverie bench retrieval`, and the two rankings see exactly the same store.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.bench.datasets import load  # noqa: E402
from server.bench.retrieval import ReverieSystem, evaluate  # noqa: E402


class _BothRankings(ReverieSystem):
    """Variant "hybrid" recalls without the learned stage, "learned" with it."""

    def search(self, question, depth, variant):
        self.service.settings = self.settings.model_copy(update={"learned_rerank": variant == "learned"})
        return super().search(question, depth, "hybrid")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--limit", type=int, default=2)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--memops", choices=["learned", "rules"], default="learned")
    args = ap.parse_args(argv)
    from server.app import load_ops
    from server.config import Settings
    from server.embed import FastEmbedEmbedder

    dataset = load("locomo", args.path, limit=args.limit, offset=args.offset)
    with tempfile.TemporaryDirectory(prefix="reverie-rerank-") as tmp:
        settings = Settings(db=Path(tmp) / "unused.db", embedding_model="offline", max_content_bytes=1 << 20, memops=args.memops)
        embedder = FastEmbedEmbedder(settings.embedding_model, settings.embedding_cache_dir)
        ops = load_ops(settings)
        if not getattr(ops, "has_rerank", False):
            print("note: the loaded checkpoint has no enabled reranker; both rows are the hybrid ranking")
        system = _BothRankings(settings, embedder, ops, Path(tmp), ("hybrid", "learned"))
        try:
            reports = evaluate(dataset, system, ks=(1, 5, 10, 20))
        finally:
            system.close()
    print(f"LoCoMo conversations {args.offset + 1}-{args.offset + len(dataset.conversations)}, write path {args.memops}")
    for name, report in reports.items():
        cells = "  ".join(f"{k} {v:.3f}" for k, v in report["overall"].items() if k.startswith("recall@"))
        print(f"{name:8s} {cells}")
    print("write decisions:", dict(system.decisions.most_common()))
    return reports


if __name__ == "__main__":
    main()
