"""LearnedOps: the trained network behind `remember` (decide) and `recall` (rerank)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Sequence

import numpy as np
from . import checkpoint
from . import text as T
from .encode import decode_index, encode, parsed  # `parsed`: the parses `encode` just cached; reasons and ranking reuse them
from .features import RankList, rank_features
from .npforward import NumpyOps, softmax
from .schema import KINDS, Neighbor, OpsDecision, RankCandidate

log = logging.getLogger(__name__)


def _why_skip(text: str) -> str:
    low = text.lower()
    if T.has_any(low, T.TRANSIENT):
        return "transient instruction"
    if T.has_any(low, T.HEDGES):
        return "hedged, not a decision"
    if text.strip().endswith("?"):
        return "a question, not a statement"
    if T.has_any(low, T.SMALLTALK):
        return "small talk"
    return "nothing worth remembering"


def _why_differs(new: str, old: str) -> str:
    a, b = parsed(new), parsed(old)
    if a.nums and b.nums and a.nums != b.nums:
        return f"number changed: {', '.join(sorted(b.nums - a.nums)) or '?'} -> {', '.join(sorted(a.nums - b.nums)) or '?'}"
    if a.days and b.days and a.days != b.days:
        return f"day changed: {', '.join(sorted(b.days - a.days))} -> {', '.join(sorted(a.days - b.days))}"
    if (a.neg > 0) != (b.neg > 0):
        return "negation flipped"
    if T.antonym_hit(set(a.content), set(b.content)):
        return "opposite wording"
    if a.ents - b.ents and b.ents - a.ents:
        return f"name changed: {', '.join(sorted(b.ents - a.ents))} -> {', '.join(sorted(a.ents - b.ents))}"
    if T.has_any(new, T.CHANGE):
        return "marked as a change"
    return "different value"


class LearnedOps:
    """Decides add/noop/update/supersede/skip with the trained OpsNet."""

    def __init__(self, net, meta: dict):
        self.net, self.meta = net, meta
        self.np = NumpyOps(net)
        self.k = net.cfg.max_neighbors
        self.has_rerank = bool(meta.get("rerank", {}).get("enabled"))

    def _forward(self, text, vector, neighbors):
        x = encode(text, np.asarray(vector, np.float32), neighbors, self.k)
        return x["order"], self.np.forward(x["emb"], x["stmt"], x["nvec"], x["pair"], x["mask"])

    def decide(
        self, text: str, vector: np.ndarray, neighbors: Sequence[Neighbor], kind_hint: str | None = None
    ) -> OpsDecision:
        order, out = self._forward(text, vector, neighbors)
        probs = softmax(out["action_logits"])
        idx = int(np.argmax(probs))
        action, slot = decode_index(idx)
        target = order[slot] if slot is not None else None
        kind = KINDS[int(np.argmax(out["kind_logits"]))]
        if action == "noop" and target is not None and neighbors[target].kind in KINDS:
            kind = neighbors[target].kind  # a restatement reinforces the memory as it is
        if kind_hint in KINDS:
            kind = kind_hint  # the user said so explicitly
        return OpsDecision(
            action=action,
            target=target,
            kind=kind,
            strength=round(float(out["strength"]), 3),
            decay_rate=round(float(out["decay"]), 4),
            confidence=float(probs[idx]),
            reason=self._reason(action, target, text, neighbors),
        )

    @staticmethod
    def _reason(action, target, text, neighbors) -> str:
        if action == "skip":
            return f"skip: {_why_skip(text)}"
        if action == "add":
            return "new information" + (f" (closest #0 cos {max(n.similarity for n in neighbors):.2f})" if neighbors else "")
        n = neighbors[target]
        if action == "noop":
            return f"restates #{target} (cos {n.similarity:.2f})"
        if action == "update":
            extra = sorted(parsed(text).content - parsed(n.content).content)[:4]
            return f"refines #{target}" + (f" (adds: {' '.join(extra)})" if extra else "")
        return f"contradicts #{target} ({_why_differs(text, n.content)})"

    @property
    def rank_bound(self) -> float:
        """The most `rerank` moves a score, as a share of the best candidate's (0 without a reranker)."""
        return float(self.net.cfg.rank_max_delta) if self.has_rerank else 0.0

    def rerank(self, query: str, qvec: np.ndarray, candidates: Sequence[RankCandidate]) -> list[float]:
        """Relevance scores, higher is better, one per candidate (the fused score if no reranker)."""
        if not candidates:
            return []
        if not self.has_rerank:
            return [float(c.fused) for c in candidates]
        return self.np.rank_scores(rank_matrix(query, candidates)).tolist()


def rank_matrix(query: str, candidates: Sequence[RankCandidate]) -> np.ndarray:
    """Rank features of every candidate against the query and against the rest of its list.

    Texts are parsed by `encode.parsed`, whose cache is the one the write path fills, so a memory
    written by this process is not parsed again at recall.
    """
    qp = parsed(query)
    vec = np.asarray([c.vector_sim for c in candidates], np.float32)
    kw = np.asarray([c.keyword for c in candidates], np.float32)
    base = np.asarray([c.fused for c in candidates], np.float32)
    ls = RankList(float(vec.max()), float(kw.max()), float(base.max()), float(vec.mean()), float(vec.std()), float(kw.mean()), float(kw.std()))
    order = np.argsort(-base, kind="stable")
    rank = np.empty(len(candidates), np.int64)
    rank[order] = np.arange(len(candidates))
    above = np.empty(len(candidates), np.float32)  # the score of the candidate ranked just above (itself for the top)
    above[order] = np.concatenate([base[order][:1], base[order][:-1]])
    return np.asarray([rank_features(qp, parsed(c.content), c, ls, int(rank[i]), float(above[i] - base[i]))
                       for i, c in enumerate(candidates)], np.float32)


def load_ops(weights_dir: Path | None = None) -> LearnedOps:
    """Load the shipped (or given) checkpoint.

    Raises: FileNotFoundError if there is no checkpoint; callers fall back to RulesOps.
    """
    wanted = weights_dir or checkpoint.WEIGHTS_DIR
    meta = json.loads((Path(wanted) / "ops.json").read_text()) if (Path(wanted) / "ops.json").exists() else {}
    if meta and meta.get("code_version") != checkpoint.code_version() and Path(wanted).resolve() != checkpoint.WEIGHTS_DIR.resolve():
        # Weights fine-tuned under older feature code read different inputs (even a different number of them).
        log.warning("memops weights in %s were trained with feature code %s, running %s; using the shipped weights",
                    wanted, meta.get("code_version"), checkpoint.code_version())
        wanted = checkpoint.WEIGHTS_DIR
    net, meta = checkpoint.load(wanted)
    if meta.get("code_version") != checkpoint.code_version():
        log.warning("memops weights were trained with feature code %s, running %s",
                    meta.get("code_version"), checkpoint.code_version())
    return LearnedOps(net, meta)
