"""The vocabulary the memory-ops model speaks: inputs, decisions and the protocol.

Kept free of torch so the service can import it (and fall back to rules) even
when the model cannot be loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

KINDS = ("fact", "preference", "event", "outcome", "constraint", "goal")
# Order matters: the model's action head scores [skip, add] once and
# [noop, update, supersede] once per neighbour.
GLOBAL_ACTIONS = ("skip", "add")
PAIR_ACTIONS = ("noop", "update", "supersede")
ACTIONS = GLOBAL_ACTIONS + PAIR_ACTIONS
# The recall reranker corrects the head of the store's ranking only: a candidate below this place needs more
# than the correction's bound to reach a top 10, and the head is where its CPU time is worth spending.
RERANK_DEPTH = 30


@dataclass(frozen=True)
class Neighbor:
    """A stored, active memory near the new statement (from vector search)."""

    content: str
    kind: str
    vector: np.ndarray  # (384,) float32, L2-normalised
    similarity: float  # cosine with the new statement


@dataclass(frozen=True)
class OpsDecision:
    """What to do with a new statement; `target` indexes the neighbours passed in."""

    action: str  # "add" | "noop" | "update" | "supersede" | "skip"
    target: int | None
    kind: str
    strength: float
    decay_rate: float
    confidence: float  # probability of the chosen action
    reason: str


@dataclass(frozen=True)
class RankCandidate:
    """One hybrid-recall candidate with the signals the store already computed."""

    content: str
    kind: str
    vector: np.ndarray
    vector_sim: float  # cosine, 0 if not a vector hit
    keyword: float  # normalised bm25, 0..1
    fused: float  # fused vector + keyword score, normalised to the best candidate (server/search.py)
    strength: float
    recency: float  # 0..1
    confidence: float
    age_days: float


class MemoryOps(Protocol):
    def decide(
        self, text: str, vector: np.ndarray, neighbors: Sequence[Neighbor], kind_hint: str | None = None
    ) -> OpsDecision: ...
