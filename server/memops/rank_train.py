"""Train and judge the recall reranker on synthetic memory stores.

Each synthetic user gets 20-60 memories from the curriculum lexicons (with
look-alike distractors: "my sister lives in X" next to "I live in Y") and a
question whose evidence memory is known. Candidates carry the same signals the
store computes (cosine, normalised bm25, reciprocal-rank fusion) plus random
strength/recency/confidence, which the reranker must learn not to trust blindly.
The reranker is enabled only if it beats the fused score on held-out users.
"""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import torch

from . import text as T
from .families import FAMILIES
from .frames import FRAME_FAMILIES
from .learned import rank_matrix
from .features import N_RANK
from .schema import RankCandidate

N_CANDIDATES = 30


def _bm25(query: str, docs: list[str], k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    qs = T.stems(query)
    toks = [[T.stem(t) for t in T.tokens(d) if t not in T.STOPWORDS] for d in docs]
    avg = np.mean([len(t) for t in toks]) or 1.0
    df = Counter(w for t in toks for w in set(t))
    n = len(docs)
    out = np.zeros(n, np.float32)
    for i, t in enumerate(toks):
        tf = Counter(t)
        for w in qs:
            if tf[w]:
                idf = math.log(1 + (n - df[w] + 0.5) / (df[w] + 0.5))
                out[i] += idf * tf[w] * (k1 + 1) / (tf[w] + k1 * (1 - b + b * len(t) / avg))
    return out


def _store(r: random.Random) -> tuple[list[tuple[str, str]], list[tuple[str, int]]]:
    """Memories (text, kind) and questions (query, evidence index) for one synthetic user."""
    mems, qs, seen = [], [], set()
    for _ in range(r.randint(20, 60)):
        fam = r.choice(FAMILIES + FRAME_FAMILIES)(r)
        if "ask" not in fam or fam["ask"][0].lower() in seen:
            continue
        seen.add(fam["ask"][0].lower())
        text = r.choice(fam["base"] + fam["detail"])
        text = text[0] if isinstance(text, tuple) else text
        mems.append((text, fam["kind"]))
        qs.append((r.choice(fam["ask"]), len(mems) - 1))
        if r.random() < 0.6:
            other = r.choice(fam["other"])
            mems.append((other[0] if isinstance(other, tuple) else other, fam["kind"]))
    return mems, qs


def build_lists(seed: int, n_users: int, embed) -> list[tuple[list[RankCandidate], str, int]]:
    """(candidates, query, index of the evidence among them) lists."""
    r = random.Random(seed)
    users = [_store(r) for _ in range(n_users)]
    texts = sorted({m for mems, qs in users for m, _ in mems} | {q for _, qs in users for q, _ in qs})
    vec = dict(zip(texts, embed(texts)))
    out = []
    for mems, qs in users:
        mv = np.stack([vec[m] for m, _ in mems])
        for q, ev in r.sample(qs, min(len(qs), 8)):
            sims = mv @ vec[q]
            kw = _bm25(q, [m for m, _ in mems])
            kw = kw / kw.max() if kw.max() > 0 else kw
            vrank = np.argsort(-sims)
            krank = np.argsort(-kw)
            fused = np.zeros(len(mems))
            for rank, i in enumerate(vrank[:50]):
                fused[i] += 1 / (60 + rank + 1)
            for rank, i in enumerate(krank):
                if kw[i] > 0:
                    fused[i] += 1 / (60 + rank + 1)
            top = list(np.argsort(-fused)[:N_CANDIDATES])
            if ev not in top:
                continue
            cands = [RankCandidate(mems[i][0], mems[i][1], mv[i], float(sims[i]), float(kw[i]), float(fused[i]),
                                   r.uniform(0.3, 1.0), r.random(), r.uniform(0.5, 1.0), r.uniform(0, 400)) for i in top]
            out.append((cands, q, top.index(ev)))
    return out


def _metrics(lists, score_fn) -> dict:
    hits, rr = [], []
    for cands, q, ev in lists:
        s = np.asarray(score_fn(q, cands))
        rank = int((s > s[ev]).sum())
        hits.append(rank == 0)
        rr.append(1 / (rank + 1))
    return {"hit@1": round(float(np.mean(hits)), 4), "mrr": round(float(np.mean(rr)), 4), "n": len(lists)}


def _padded(lists) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(L, N, F) features, (L, N) mask and (L,) evidence positions, for one batched forward."""
    x = torch.zeros(len(lists), N_CANDIDATES, N_RANK)
    mask = torch.zeros(len(lists), N_CANDIDATES, dtype=torch.bool)
    for i, (c, q, _) in enumerate(lists):
        x[i, : len(c)] = torch.from_numpy(rank_matrix(q, c))
        mask[i, : len(c)] = True
    return x, mask, torch.tensor([ev for _, _, ev in lists])


def train_reranker(net, embed, seed: int = 0, n_users: int = 260, epochs: int = 60, max_steps: int | None = None) -> dict:
    """Train `net.rank` listwise (softmax over candidates); enable it only if it beats fused RRF."""
    lists = build_lists(seed + 101, n_users, embed)
    split = int(len(lists) * 0.8)
    train, hold = lists[:split], lists[split:]
    x, mask, ev = _padded(train)
    opt = torch.optim.AdamW(net.rank.parameters(), lr=3e-3, weight_decay=1e-3)
    g = torch.Generator().manual_seed(seed)
    step = 0
    for _ in range(epochs):
        perm = torch.randperm(len(ev), generator=g)
        for i in range(0, len(ev), 64):
            if max_steps is not None and step >= max_steps:
                break
            idx = perm[i : i + 64]
            logits = net.rank(x[idx]).squeeze(-1).masked_fill(~mask[idx], -1e4)
            loss = torch.nn.functional.cross_entropy(logits, ev[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
    net.eval()
    with torch.inference_mode():
        model = _metrics(hold, lambda q, c: net.rank_scores(torch.from_numpy(rank_matrix(q, c))).numpy())
    fused = _metrics(hold, lambda q, c: [x.fused for x in c])
    vector = _metrics(hold, lambda q, c: [x.vector_sim for x in c])
    return {"enabled": model["mrr"] > fused["mrr"] + 0.01, "heldout": {"model": model, "fused": fused, "vector": vector},
            "n_train_lists": len(train)}
