"""Turn (statement, neighbours) into the arrays the network reads.

Shared by training and inference so the two can never drift apart.
"""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np

from .features import N_PAIR, N_STATEMENT, pair_features, parse, statement_features
from .schema import GLOBAL_ACTIONS, PAIR_ACTIONS, Neighbor


@functools.lru_cache(maxsize=8192)
def parsed(text: str):
    """`parse(text)`, cached: a stored memory is a neighbour of many statements, and the learned recall stage
    reads the same cache (`learned.rank_matrix`), so a memory written by this process is parsed once."""
    return parse(text)


def encode(text: str, vector: np.ndarray, neighbors: Sequence[Neighbor], k: int) -> dict:
    """Arrays for one decision; neighbours are re-sorted by similarity and cut to `k`.

    `order[j]` is the caller's index of the neighbour in slot j.
    """
    order = sorted(range(len(neighbors)), key=lambda i: -neighbors[i].similarity)[:k]
    p = parsed(text)
    dim = vector.shape[-1]
    nvec = np.zeros((k, dim), np.float32)
    pair = np.zeros((k, N_PAIR), np.float32)
    mask = np.zeros(k, bool)
    best = float(neighbors[order[0]].similarity) if order else 0.0
    for j, i in enumerate(order):
        n = neighbors[i]
        nvec[j] = n.vector
        pair[j] = pair_features(p, parsed(n.content), n.kind, float(n.similarity), best, j)
        mask[j] = True
    return {
        "emb": np.asarray(vector, np.float32),
        "stmt": np.asarray(statement_features(p), np.float32).reshape(N_STATEMENT),
        "nvec": nvec,
        "pair": pair,
        "mask": mask,
        "order": order,
    }


def action_index(action: str, slot: int | None) -> int:
    """Position of (action, neighbour slot) in the action head's output."""
    if action in GLOBAL_ACTIONS:
        return GLOBAL_ACTIONS.index(action)
    return len(GLOBAL_ACTIONS) + 3 * slot + PAIR_ACTIONS.index(action)


def decode_index(idx: int) -> tuple[str, int | None]:
    if idx < len(GLOBAL_ACTIONS):
        return GLOBAL_ACTIONS[idx], None
    slot, op = divmod(idx - len(GLOBAL_ACTIONS), 3)
    return PAIR_ACTIONS[op], slot
