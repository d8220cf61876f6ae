"""The rules baseline: cosine thresholds, a regex write gate, keyword kinds.

It is what Reverie did before the learned model, the yardstick the model must
beat, and the fallback when weights are missing or fail to load.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from . import text as T
from .factgate import states_facts
from .schema import KINDS, Neighbor, OpsDecision

# Questions and small talk: skipped unless they also state a fact about the speaker (factgate).
_ASKS_OR_CHATS = re.compile(r"(\?\s*$)|^(hi|hello|hey|thanks|thank you|ok|okay|lol|haha|bye|cool|nice)\b", re.I)
# Hedges and transient markers: skipped.
_HEDGED = re.compile(r"\b(just for now|for now|this session|this conversation|maybe|might|perhaps)\b", re.I)
_KIND_WORDS = [
    ("constraint", T.CONSTRAINT),
    ("goal", T.GOAL),
    ("outcome", T.OUTCOME),
    ("preference", T.PREFERENCE),
    ("event", T.EVENT),
]
DEFAULT_STRENGTH = {"constraint": 0.9, "fact": 0.8, "preference": 0.75, "goal": 0.7, "outcome": 0.7, "event": 0.6}
DEFAULT_DECAY = {"constraint": 0.005, "fact": 0.01, "preference": 0.01, "goal": 0.02, "outcome": 0.03, "event": 0.08}


def guess_kind(text: str) -> str:
    for kind, words in _KIND_WORDS:
        if T.has_any(text, words):
            return kind
    return "fact"


class RulesOps:
    """Thresholds: sim > noop_at -> noop, sim > update_at -> update, else add."""

    def __init__(self, noop_at: float = 0.9, update_at: float = 0.75):
        self.noop_at, self.update_at = noop_at, update_at

    def decide(
        self, text: str, vector: np.ndarray, neighbors: Sequence[Neighbor], kind_hint: str | None = None
    ) -> OpsDecision:
        kind = kind_hint if kind_hint in KINDS else guess_kind(text)
        base = dict(kind=kind, strength=DEFAULT_STRENGTH[kind], decay_rate=DEFAULT_DECAY[kind])
        stripped = text.strip()
        if _HEDGED.search(stripped) or (_ASKS_OR_CHATS.search(stripped) and not states_facts(stripped)):
            return OpsDecision(action="skip", target=None, confidence=1.0, reason="rule: question/small talk/hedge/transient", **base)
        if neighbors:
            best = max(range(len(neighbors)), key=lambda i: neighbors[i].similarity)
            sim = neighbors[best].similarity
            if sim > self.noop_at:
                return OpsDecision(action="noop", target=best, confidence=sim, reason=f"rule: near-duplicate of #{best} (cos {sim:.2f})", **base)
            if sim > self.update_at:
                return OpsDecision(action="update", target=best, confidence=sim, reason=f"rule: close to #{best} (cos {sim:.2f})", **base)
        return OpsDecision(action="add", target=None, confidence=0.5, reason="rule: nothing close enough", **base)
