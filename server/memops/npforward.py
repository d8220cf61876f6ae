"""The OpsNet forward pass in numpy, for serving.

torch spends ~100x longer in dispatch than in arithmetic for a net this small
(tens of ms per call on a busy 2-core box); numpy does the same maths in well
under a millisecond. `tests/memops/test_weights.py` checks both agree.
"""

from __future__ import annotations

import math

import numpy as np

from .features import RANK_BASE


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): exact-GELU parity with torch.
    s = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-a * a)
    return s * y


def gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


class NumpyOps:
    """Eval-mode OpsNet (dropout off) over numpy arrays, one decision at a time."""

    def __init__(self, net):
        sd = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in net.state_dict().items()}
        self.w = sd
        self.cfg = net.cfg

    def _lin(self, name: str, x: np.ndarray) -> np.ndarray:
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def forward(self, emb, stmt, nvec, pair, mask) -> dict:
        """Unbatched: emb (E,) stmt (S,) nvec (K,E) pair (K,P) mask (K,)."""
        hs = gelu(self._lin("stmt.3", gelu(self._lin("stmt.0", np.concatenate([emb, stmt])))))
        parts = [pair, self._lin("inter", emb[None, :] * nvec)]
        if self.cfg.pair_sees_statement:
            parts.append(np.broadcast_to(hs, (nvec.shape[0], hs.shape[0])))
        hp = self._lin("pair.3", gelu(self._lin("pair.0", np.concatenate(parts, axis=1))))
        hp = np.where(mask[:, None], hp, -1e4)
        logits = np.concatenate([self._lin("global_head", hs), hp.reshape(-1)])
        lo, hi = math.log(self.cfg.decay_min), math.log(self.cfg.decay_max)
        sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
        return {
            "action_logits": logits,
            "kind_logits": self._lin("kind_head", hs),
            "strength": float(sig(self._lin("strength_head", hs))[0]),
            "decay": float(np.exp(lo + (hi - lo) * sig(self._lin("decay_head", hs))[0])),
        }

    def rank_scores(self, feats: np.ndarray) -> np.ndarray:
        delta = np.tanh(self._lin("rank.2", gelu(self._lin("rank.0", feats)))[:, 0])
        gate = 1.0 / (1.0 + np.exp(-float(self.w["rank_gate"])))
        return feats[:, RANK_BASE] + self.cfg.rank_max_delta * gate * delta


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()
