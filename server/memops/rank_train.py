"""Train and judge the recall reranker on synthetic memory stores.

Two kinds of synthetic user: a personal store (20-60 statements from the
curriculum lexicons, with look-alike distractors: "my sister lives in X" next to
"I live in Y") and a chat between two people (turns with a speaker, facts and
events wrapped in chit-chat, the other person's replies echoing the topic, the
same hobby on other days), each with questions whose evidence is known; chat
questions name the person ("When did Hana take a pottery class?"). Candidates
carry the signals the store computes (cosine, max-normalised bm25, and their
mean as the hybrid score, as `server/search.py` fuses them) plus random
strength/recency/confidence. The reranker is a bounded residual on the hybrid
score, and it is enabled only if it beats the hybrid score on held-out users.
"""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import torch

from . import lexicon as L
from . import text as T
from .chat import _ASK_THEM, _CHEER, _WHEN, _chat, chitchat
from .families import FAMILIES
from .frames import FRAME_FAMILIES
from .encode import parsed
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


_THIRD = [(r"\bdo I\b", "does {p}"), (r"\bDo I\b", "Does {p}"), (r"\bam I\b", "is {p}"), (r"\bhave I\b", "has {p}"), (r"\bAm I\b", "Is {p}"),
          (r"\bHave I\b", "Has {p}"), (r"\bmy\b", "{p}'s"), (r"\bMy\b", "{p}'s"), (r"\bme\b", "{p}"), (r"\bI\b", "{p}")]


def third_person(question: str, person: str) -> str:
    """'Where do I live?' -> 'Where does Hana live?' (questions about a chat participant)."""
    import re

    for pat, rep in _THIRD:
        question = re.sub(pat, rep.format(p=person), question)
    return question


_SECOND = [(r"\bI'm\b", "you're"), (r"\bI've\b", "you've"), (r"\bI am\b", "you are"), (r"\bam\b", "are"),
           (r"\b[Mm]y\b", "your"), (r"\bme\b", "you"), (r"\bI\b", "you")]


def second_person(statement: str) -> str:
    """'I took a pottery class' -> 'you took a pottery class': the other person repeating what they heard."""
    import re

    for pat, rep in _SECOND:
        statement = re.sub(pat, rep, statement)
    return statement


def _told(r: random.Random, me: str, you: str, text: str) -> str:
    """A fact about `me`, usually said by `me`, sometimes by the other person ("So, Hana, you took...")."""
    if r.random() < 0.25:
        return f"{you}: " + r.choice([f"So, {me}, {second_person(text)}!", f"Wait, {me}, {second_person(text)}? {r.choice(_CHEER)}",
                                      f"{r.choice(_CHEER)} I remember {second_person(text)}, {me}."])
    return f"{me}: " + _chat(r, text, you)


def _chat_store(r: random.Random) -> tuple[list[tuple[str, str]], list[tuple[str, int]]]:
    """A two-person chat: facts and events said by one speaker, replies by the other, and questions about them."""
    a, b = r.sample(L.PEOPLE, 2)
    mems, qs, seen = [], [], set()
    for _ in range(r.randint(8, 20)):
        me, you = (a, b) if r.random() < 0.5 else (b, a)
        if r.random() < 0.5:
            h, rel = r.choice(L.HOBBIES), r.choice(L.RELATIONS)
            whens = r.sample(_WHEN, 3)
            acts = [(f"I took a {h} class {whens[0]}", f"When did {me} take a {h} class?"),
                    (f"I went {h} with my {rel} {whens[1]}", f"Who did {me} go {h} with?"),
                    (f"I finished my first {h} project {whens[2]}", f"When did {me} finish a {h} project?")]
            if (me, h) in seen:
                continue
            seen.add((me, h))
            for text, q in r.sample(acts, r.choice([1, 2, 3])):
                mems.append((_told(r, me, you, text), "event"))
                qs.append((q, len(mems) - 1))
            if r.random() < 0.7:  # the other person reacts with the same topic words
                mems.append((f"{you}: " + r.choice([f"Wow, {me}, {h} sounds amazing!", f"{h.capitalize()}? {r.choice(_CHEER)}",
                                                     f"I love that you're into {h}, {me}! {r.choice(_ASK_THEM)}"]), "fact"))
            if r.random() < 0.3:
                mems.append((f"{you}: I tried {h} once {r.choice(_WHEN)} too.", "event"))
        else:
            fam = r.choice(FAMILIES)(r)
            if "ask" not in fam or (me, fam["ask"][0]) in seen:
                continue
            seen.add((me, fam["ask"][0]))
            text = r.choice(fam["base"] + fam["detail"])
            text = text[0] if isinstance(text, tuple) else text
            mems.append((_told(r, me, you, text), fam["kind"]))
            qs.append((third_person(r.choice(fam["ask"]), me), len(mems) - 1))
            if r.random() < 0.5:
                other = r.choice(fam["other"])
                mems.append((f"{you}: " + _chat(r, other[0] if isinstance(other, tuple) else other, me), fam["kind"]))
        if r.random() < 0.5:
            mems.append((f"{you}: " + chitchat(r, me), "fact"))
    return mems, qs


def build_lists(seed: int, n_users: int, embed) -> list[tuple[list[RankCandidate], str, int]]:
    """(candidates, query, index of the evidence among them) lists; half the users are chats."""
    r = random.Random(seed)
    users = [_chat_store(r) if i % 2 else _store(r) for i in range(n_users)]
    texts = sorted({m for mems, qs in users for m, _ in mems} | {q for _, qs in users for q, _ in qs})
    vec = dict(zip(texts, embed(texts)))
    out = []
    for mems, qs in users:
        mv = np.stack([vec[m] for m, _ in mems])
        for q, ev in r.sample(qs, min(len(qs), 8)):
            sims = mv @ vec[q]
            kw = _bm25(q, [m for m, _ in mems])
            kw = kw / kw.max() if kw.max() > 0 else kw
            fused = 0.5 * np.maximum(sims, 0.0) + 0.5 * kw  # as server/search.py fuses them
            top = list(np.argsort(-fused, kind="stable")[:N_CANDIDATES])
            if ev not in top:
                continue
            best = max(float(fused[top[0]]), 1e-9)
            cands = [RankCandidate(mems[i][0], mems[i][1], mv[i], float(sims[i]), float(kw[i]), float(fused[i]) / best,
                                   r.uniform(0.3, 1.0), r.random(), r.uniform(0.5, 1.0), r.uniform(0, 400)) for i in top]
            out.append((cands, q, top.index(ev)))
    return out


def _metrics(lists, score_fn) -> dict:
    hits, rr, top5 = [], [], []
    for cands, q, ev in lists:
        s = np.asarray(score_fn(q, cands))
        rank = int((s > s[ev]).sum())
        hits.append(rank == 0)
        top5.append(rank < 5)
        rr.append(1 / (rank + 1))
    return {"hit@1": round(float(np.mean(hits)), 4), "hit@5": round(float(np.mean(top5)), 4),
            "mrr": round(float(np.mean(rr)), 4), "n": len(lists)}


def _padded(lists) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(L, N, F) features, (L, N) mask and (L,) evidence positions, for one batched forward."""
    x = torch.zeros(len(lists), N_CANDIDATES, N_RANK)
    mask = torch.zeros(len(lists), N_CANDIDATES, dtype=torch.bool)
    for i, (c, q, _) in enumerate(lists):
        x[i, : len(c)] = torch.from_numpy(rank_matrix(q, c))
        mask[i, : len(c)] = True
    return x, mask, torch.tensor([ev for _, _, ev in lists])


TEMPERATURE = 0.05  # hybrid scores of rival candidates differ by a few hundredths


def train_reranker(net, embed, seed: int = 0, n_users: int = 400, epochs: int = 40, max_steps: int | None = None) -> dict:
    """Train `net.rank` listwise (softmax over candidates); enable it only if it beats the hybrid score."""
    lists = build_lists(seed + 101, n_users, embed)
    split = int(len(lists) * 0.8)
    train, hold = lists[:split], lists[split:]
    x, mask, ev = _padded(train)
    opt = torch.optim.AdamW([*net.rank.parameters(), net.rank_gate], lr=3e-3, weight_decay=1e-3)
    g = torch.Generator().manual_seed(seed)
    step = 0
    for _ in range(epochs):
        perm = torch.randperm(len(ev), generator=g)
        for i in range(0, len(ev), 64):
            if max_steps is not None and step >= max_steps:
                break
            idx = perm[i : i + 64]
            logits = (net.rank_scores(x[idx]) / TEMPERATURE).masked_fill(~mask[idx], -1e4)
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
    chat = [x for x in hold if parsed(x[0][0].content).speaker]
    by_kind = {"chat": {"model": _metrics(chat, lambda q, c: net.rank_scores(torch.from_numpy(rank_matrix(q, c))).detach().numpy()),
                        "hybrid": _metrics(chat, lambda q, c: [x.fused for x in c])}}
    return {"enabled": model["mrr"] > fused["mrr"] + 0.01, "gate": round(float(torch.sigmoid(net.rank_gate.detach())), 4),
            "heldout": {"model": model, "hybrid": fused, "vector": vector, **by_kind}, "n_train_lists": len(train)}
