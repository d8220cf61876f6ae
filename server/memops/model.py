"""The memory-ops network: one statement encoder, one pair scorer, a few heads.

The action head is a single softmax over [skip, add] plus [noop, update,
supersede] for every neighbour, so "which memory" and "what to do with it" are
one decision with one calibrated probability. Neighbours are scored by the same
weights whatever their position, which keeps the model small and lets it handle
any number of neighbours up to `max_neighbors`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .features import N_PAIR, N_RANK, N_STATEMENT, RANK_BASE


@dataclass
class OpsConfig:
    emb_dim: int = 384
    n_stmt: int = N_STATEMENT
    n_pair: int = N_PAIR
    n_rank: int = N_RANK
    n_kinds: int = 6
    max_neighbors: int = 8
    hidden: int = 96
    inter_dim: int = 24  # learned projection of new*old: a similarity that knows what matters
    rank_hidden: int = 32
    rank_max_delta: float = 0.1  # the reranker moves a candidate at most this far from the store's score (best = 1)
    dropout: float = 0.1
    emb_dropout: float = 0.5  # drop embedding dims so the heads cannot memorise curriculum templates
    pair_sees_statement: bool = True
    decay_min: float = 0.003
    decay_max: float = 0.3

    def to_dict(self) -> dict:
        return asdict(self)


class OpsNet(nn.Module):
    def __init__(self, cfg: OpsConfig):
        super().__init__()
        self.cfg = cfg
        h = cfg.hidden
        self.stmt = nn.Sequential(
            nn.Linear(cfg.emb_dim + cfg.n_stmt, h), nn.GELU(), nn.Dropout(cfg.dropout), nn.Linear(h, h), nn.GELU()
        )
        self.global_head = nn.Linear(h, 2)  # skip, add
        self.kind_head = nn.Linear(h, cfg.n_kinds)
        self.strength_head = nn.Linear(h, 1)
        self.decay_head = nn.Linear(h, 1)
        self.emb_drop = nn.Dropout(cfg.emb_dropout)
        self.inter = nn.Linear(cfg.emb_dim, cfg.inter_dim)
        self.pair = nn.Sequential(
            nn.Linear(cfg.n_pair + cfg.inter_dim + (h if cfg.pair_sees_statement else 0), h), nn.GELU(), nn.Dropout(cfg.dropout), nn.Linear(h, 3)
        )
        self.rank = nn.Sequential(nn.Linear(cfg.n_rank, cfg.rank_hidden), nn.GELU(), nn.Linear(cfg.rank_hidden, 1))
        self.rank_gate = nn.Parameter(torch.tensor(-2.0))  # starts near "trust the hybrid score"

    def forward(self, emb, stmt, nvec, pair, mask):
        """emb (B,E) stmt (B,S) nvec (B,K,E) pair (B,K,P) mask (B,K) -> dict of heads.

        `action_logits` is (B, 2 + 3K): skip, add, then noop/update/supersede per neighbour.
        """
        B, K, _ = nvec.shape
        hs = self.stmt(torch.cat([self.emb_drop(emb), stmt], dim=-1))
        parts = [pair, self.inter(self.emb_drop(emb.unsqueeze(1) * nvec))]
        if self.cfg.pair_sees_statement:
            parts.append(hs.unsqueeze(1).expand(B, K, -1))
        hp = self.pair(torch.cat(parts, dim=-1))
        hp = hp.masked_fill(~mask.unsqueeze(-1), -1e4)
        logits = torch.cat([self.global_head(hs), hp.reshape(B, K * 3)], dim=-1)
        lo, hi = math.log(self.cfg.decay_min), math.log(self.cfg.decay_max)
        decay = torch.exp(lo + (hi - lo) * torch.sigmoid(self.decay_head(hs).squeeze(-1)))
        return {
            "action_logits": logits,
            "kind_logits": self.kind_head(hs),
            "strength": torch.sigmoid(self.strength_head(hs).squeeze(-1)),
            "decay": decay,
        }

    def rank_scores(self, feats):
        """feats (N, n_rank) -> (N,) relevance: the hybrid score plus a bounded, gated correction.

        Why a residual: the hybrid ranking is already good; a learned stage that can only nudge it
        (by at most `rank_max_delta`, scaled by a learned gate) cannot bury a strong hybrid match.
        """
        delta = torch.tanh(self.rank(feats).squeeze(-1))
        return feats[..., RANK_BASE] + self.cfg.rank_max_delta * torch.sigmoid(self.rank_gate) * delta


def action_loss(logits, target_index):
    return F.cross_entropy(logits, target_index)
