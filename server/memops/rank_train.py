"""Train and judge the recall reranker on synthetic users whose candidates come from a copy of `recall`.

Why the copy: the reranker corrects the store's own ranking, so it must learn on that ranking, not on an
approximation. `_recall` does what `MemoryService.recall` does to a store of chat turns: vectors leaned
towards the previous turn (`_situate`), the top 50 by cosine and by BM25 over the FTS query terms,
`search.fuse` (min-max on both), the neighbour share of the top 10 (`_spread`), and the strength / recency /
confidence prior. The correction is trained on every candidate of that list, the way recall applies it.

Two kinds of synthetic user, all text from the curriculum lexicons:
* a personal store (20-60 statements, look-alike distractors such as the same attribute for another family
  member; some statements inside long requests to an assistant, whose many words match any question);
* a conversation between two people over several sessions, built to look like real chats where the first
  generator did not: the evidence is often the other speaker's turn (they retell it or react to it), or the
  answer to a question the other asked; a third of the questions name nobody ("When did she take the pottery
  class?"); questions paraphrase the turn instead of reusing its words ("start lessons" for "took a class");
  and some questions gather several turns across sessions ("What hobbies has Hana tried?").
A question can have several evidence turns; the loss and the metric (recall@10, as the LoCoMo benchmark
scores it) count each of them.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch

# Recall's own constants: the training lists must be ranked exactly as MemoryService.recall ranks them.
from server.service import CONTEXT_WEIGHT, NEIGHBOR_SHARE, NEIGHBOR_TOP, PRIOR

from . import lexicon as L
from . import text as T
from .chat import _ASK_BACK, _ASK_THEM, _CHEER, _FEEL, _NEED, _OPEN, _VENUES, _WHEN, _chat, chitchat, theme_turns
from .families import FAMILIES
from .frames import FRAME_FAMILIES
from .learned import rank_matrix
from .features import N_RANK
from .schema import RERANK_DEPTH, RankCandidate

POOL = 50  # candidates per index in the simulated recall (the shipped weights were trained so; recall now asks search.candidate_pool(k))
TEMPERATURE = 0.05  # final scores of rival candidates differ by a few hundredths


@dataclass
class User:
    """Memories in write order, the session each belongs to, and questions with their evidence indices."""

    mems: list[tuple[str, str]]
    session: list[int]
    questions: list[tuple[str, list[int]]]
    chat: bool = False


def _bm25(terms: list[str], docs: list[list[str]], k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    avg = np.mean([len(t) for t in docs]) or 1.0
    df = Counter(w for t in docs for w in set(t))
    n = len(docs)
    out = np.zeros(n, np.float32)
    for i, toks in enumerate(docs):
        tf = Counter(toks)
        for w in terms:
            if tf[w]:
                idf = math.log(1 + (n - df[w] + 0.5) / (df[w] + 0.5))
                out[i] += idf * tf[w] * (k1 + 1) / (tf[w] + k1 * (1 - b + b * len(toks) / avg))
    return out


def _fts_terms(query: str) -> list[str]:
    from server.search import fts_query

    return sorted({T.stem(t) for t in re.findall(r'"([^"]+)"', fts_query(query))})


# -- synthetic users ------------------------------------------------------------------------------------------
def _personal(r: random.Random) -> User:
    """A personal store: statements (some inside long requests), look-alikes, first-person questions."""
    mems, qs, seen = [], [], set()
    for _ in range(r.randint(20, 60)):
        fam = r.choice(FAMILIES + FRAME_FAMILIES)(r)
        if "ask" not in fam or fam["ask"][0].lower() in seen:
            continue
        seen.add(fam["ask"][0].lower())
        text = r.choice(fam["base"] + fam["detail"])
        text = text[0] if isinstance(text, tuple) else text
        if r.random() < 0.3:  # a fact inside a request to an assistant: many words, most of them not the fact
            need = r.choice(_NEED)
            text = f"{text}, so {need} " + r.choice(_LONG_ASKS)
        mems.append((text, fam["kind"]))
        qs.append((r.choice(fam["ask"]), [len(mems) - 1]))
        if r.random() < 0.6:
            other = r.choice(fam["other"])
            mems.append((other[0] if isinstance(other, tuple) else other, fam["kind"]))
        if r.random() < 0.3:
            mems.append((r.choice(_LONG_ASKS), "fact"))
    return User(mems, [0] * len(mems), qs)


_LONG_ASKS = ["Can you tell me what kind of things I should think about first and how many different options there are?",
              "I'd like to know when the best time would be and what you would do in my place, step by step.",
              "What are some things people usually forget, and how long does it take to get it right?",
              "Could you make me a list of what to do this week and how often I should check on it?",
              "Where would you start if you were me, and who could I ask for help with it?",
              "Please give me a short plan with times, and tell me which parts matter most."]

_PRON = {"she": [(r"\bdo I\b", "does she"), (r"\bDo I\b", "Does she"), (r"\b[Aa]m I\b", "is she"), (r"\b[Hh]ave I\b", "has she"),
                 (r"\b[Mm]y\b", "her"), (r"\bme\b", "her"), (r"\bI\b", "she")],
         "he": [(r"\bdo I\b", "does he"), (r"\bDo I\b", "Does he"), (r"\b[Aa]m I\b", "is he"), (r"\b[Hh]ave I\b", "has he"),
                (r"\b[Mm]y\b", "his"), (r"\bme\b", "him"), (r"\bI\b", "he")]}
_THIRD = [(r"\bdo I\b", "does {p}"), (r"\bDo I\b", "Does {p}"), (r"\bam I\b", "is {p}"), (r"\bhave I\b", "has {p}"), (r"\bAm I\b", "Is {p}"),
          (r"\bHave I\b", "Has {p}"), (r"\bmy\b", "{p}'s"), (r"\bMy\b", "{p}'s"), (r"\bme\b", "{p}"), (r"\bI\b", "{p}")]


def third_person(question: str, person: str) -> str:
    """'Where do I live?' -> 'Where does Hana live?', or with a pronoun ('she', 'he') 'Where does she live?'."""
    for pat, rep in _PRON.get(person) or [(p, rep.format(p=person)) for p, rep in _THIRD]:
        question = re.sub(pat, rep, question)
    return question[0].upper() + question[1:]


_SECOND = [(r"\bI'm\b", "you're"), (r"\bI've\b", "you've"), (r"\bI am\b", "you are"), (r"\bam\b", "are"),
           (r"\b[Mm]y\b", "your"), (r"\bme\b", "you"), (r"\bI\b", "you")]


def second_person(statement: str) -> str:
    """'I took a pottery class' -> 'you took a pottery class': the other person repeating what they heard."""
    for pat, rep in _SECOND:
        statement = re.sub(pat, rep, statement)
    return statement


# An event, the words a question about it uses instead of the turn's, and what the other person says back.
_EVENTS = [
    ("I took a {h} class {w}", ["When did {p} take a {h} class?", "When did {p} start {h} lessons?", "When did {p} sign up to learn {h}?"],
     ["A {h} class? {c}", "Learning {h}, that's so cool!", "How was the class?"]),
    ("I went {h} with my {rel} {w}", ["Who did {p} go {h} with?", "Who joined {p} for {h}?", "Which family member does {p} do {h} with?"],
     ["Aww, {h} with your {rel}! {c}", "That sounds like a lovely day out with family.", "Your {rel} must have loved it!"]),
    ("I finished my first {h} project {w}", ["When did {p} finish a {h} project?", "When did {p} complete their first {h} piece?"],
     ["Your first one, {c}", "I'd love to see what you made!", "All that work paid off!"]),
    ("We spent the whole day at {v} {w}", ["Where did {p} spend the day?", "What place did {p} visit with the family?"],
     ["{v}? {c}", "Sounds like a perfect day out.", "Did the kids enjoy it?"]),
    ("I signed up for a {h} workshop {w}", ["What workshop did {p} join?", "What did {p} register for?"],
     ["A workshop! {c}", "You're always learning something new.", "Let me know how it goes!"]),
    ("I entered a {h} competition {w} and came {place}", ["How did {p} do in the competition?", "What place did {p} get?"],
     ["Wow, {place}! {c}", "Congrats, that's huge!", "You must be so proud!"]),
]
_MULTI = ["What hobbies has {p} tried?", "What activities does {p} do in their free time?", "What has {p} been up to lately?",
          "What kinds of things does {p} enjoy doing?"]


def _conversation(r: random.Random) -> User:
    """Two people over 3-6 sessions: facts and events in chat turns, replies, answers, and questions about them."""
    a, b = r.sample(L.PEOPLE, 2)
    pron = {a: r.choice(["she", "he"]), b: r.choice(["she", "he"])}
    mems: list[tuple[str, str]] = []
    session: list[int] = []
    qs: list[tuple[str, list[int]]] = []
    did: dict[str, list[int]] = {a: [], b: []}
    seen = set()

    def say(s: int, who: str, text: str, kind: str = "fact") -> int:
        mems.append((f"{who}: {text}", kind))
        session.append(s)
        return len(mems) - 1

    def ask(template: str, who: str) -> str:
        return third_person(template, pron[who]) if r.random() < 0.35 else third_person(template, who)

    for s in range(r.randint(3, 6)):
        for _ in range(r.randint(3, 7)):
            me, you = (a, b) if r.random() < 0.5 else (b, a)
            roll = r.random()
            if roll < 0.45:  # an event, maybe asked about first, maybe retold by the other, usually reacted to
                h, rel, v = r.choice(L.HOBBIES), r.choice(L.RELATIONS), r.choice(_VENUES)
                text, asks, reacts = r.choice(_EVENTS)
                if (me, text, h) in seen:
                    continue
                seen.add((me, text, h))
                fill = dict(h=h, rel=rel, v=v, w=r.choice(_WHEN), place=r.choice(["second", "third", "fifth"]), c=r.choice(_CHEER))
                body = text.format(**fill)
                evidence, replier = [], you
                if r.random() < 0.3:  # the other asked; the answer shares few words with any question
                    say(s, you, f"{r.choice(_OPEN).format(o=me)} {r.choice(_ASK_BACK)}")
                    evidence.append(say(s, me, f"{r.choice(['Yes!', 'Well,', 'Actually,'])} {body}. {r.choice(_FEEL)}", "event"))
                elif r.random() < 0.2:  # told by the other person
                    evidence.append(say(s, you, f"So, {me}, {second_person(body)}! {r.choice(_CHEER)}", "event"))
                    replier = me
                else:
                    evidence.append(say(s, me, _chat(r, body, you), "event"))
                if r.random() < 0.7:
                    reply = r.choice(reacts).format(**fill) if replier == you else chitchat(r, you)
                    j = say(s, replier, reply + (f" {r.choice(_ASK_THEM)}" if r.random() < 0.5 else ""))
                    if replier == you and r.random() < 0.3:
                        evidence.append(j)  # the reaction holds part of the answer ("Aww, pottery with your mom!")
                did[me].append(evidence[0])
                qs.append((_event_question(r, asks, fill, me, pron[me]), evidence))
            elif roll < 0.7:  # a fact about oneself, asked about in other words (the families' questions)
                fam = r.choice(FAMILIES)(r)
                if "ask" not in fam or (me, fam["ask"][0]) in seen:
                    continue
                seen.add((me, fam["ask"][0]))
                text = r.choice(fam["base"] + fam["detail"])
                text = text[0] if isinstance(text, tuple) else text
                if r.random() < 0.2:
                    i = say(s, you, f"{r.choice(_CHEER)} I remember {second_person(text)}, {me}.", fam["kind"])
                else:
                    i = say(s, me, _chat(r, text, you), fam["kind"])
                qs.append((ask(r.choice(fam["ask"]), me), [i]))
                if r.random() < 0.5:  # the other person's own value of the same attribute: a look-alike
                    other = r.choice(fam["other"])
                    say(s, you, _chat(r, other[0] if isinstance(other, tuple) else other, me), fam["kind"])
            elif roll < 0.85:  # one person's reflections on a theme: shared words, no answer to anything asked
                t1, t2 = theme_turns(r)
                say(s, me, _chat(r, t1, you, 0.3))
                if r.random() < 0.5:
                    say(s, me, _chat(r, t2, you, 0.3))
            else:
                say(s, me, chitchat(r, you))
    for who in (a, b):  # questions that gather several turns across sessions
        if len(did[who]) >= 2 and r.random() < 0.7:
            q = r.choice(_MULTI)
            qs.append((q.format(p=pron[who] if r.random() < 0.35 else who), did[who]))
    return User(mems, session, qs, chat=True)


def _event_question(r: random.Random, asks: list[str], fill: dict, who: str, pronoun: str) -> str:
    """A question about an event in its own words; a third of them say "she"/"he" instead of the name."""
    q = r.choice(asks).format(p="{p}", **fill).replace("{p}", pronoun if r.random() < 0.35 else who)
    return q[0].upper() + q[1:]


# -- candidates, as recall builds them -------------------------------------------------------------------------
def _recall(r: random.Random, user: User, own: np.ndarray, qv: np.ndarray, query: str, docs: list[list[str]]):
    """The head of the list MemoryService.recall would rerank, best first by its final score, and its memory indices."""
    from server.search import fuse

    sims = own @ qv
    vhits = [(int(i), float(sims[i])) for i in np.argsort(-sims, kind="stable")[:POOL]]
    bm = _bm25(_fts_terms(query), docs)
    khits = [(int(i), float(bm[i])) for i in np.argsort(-bm, kind="stable")[:POOL] if bm[i] > 0]
    fused, vsim, kw = fuse(vhits, khits, limit=POOL)
    out = dict(fused)
    for i, score in list(fused.items())[:NEIGHBOR_TOP]:  # _spread: the turns written next to a strong candidate
        for j in (i - 1, i + 1):
            if 0 <= j < len(user.mems) and user.session[j] == user.session[i]:
                out[j] = max(out.get(j, 0.0), NEIGHBOR_SHARE * score)
    fmax = max(max(out.values()), 1e-9)
    rows, finals = [], []
    for i, f in out.items():
        strength, recency, conf = r.uniform(0.5, 1.0), r.uniform(0.3, 1.0), r.uniform(0.6, 0.95)
        base, ws, wr, wc = PRIOR
        finals.append(f / fmax * (base + ws * strength + wr * recency + wc * conf))
        rows.append((i, strength, recency, conf))
    order = np.argsort(-np.asarray(finals), kind="stable")[:RERANK_DEPTH]
    best = max(finals[order[0]], 1e-9)
    cands, idx = [], []
    for o in order:
        i, strength, recency, conf = rows[o]
        cands.append(RankCandidate(user.mems[i][0], user.mems[i][1], np.zeros(0, np.float32), float(vsim.get(i, 0.0)),
                                   float(kw.get(i, 0.0)), finals[o] / best, strength, recency, conf, r.uniform(0, 400)))
        idx.append(i)
    return cands, idx


def _situated(user: User, vec: dict) -> np.ndarray:
    """Each turn's index vector leaned towards the turn before it in its session (`MemoryService._situate`)."""
    own = np.stack([vec[m] for m, _ in user.mems])
    out = own.copy()
    for i in range(1, len(own)):
        if user.chat and user.session[i] == user.session[i - 1]:
            mixed = own[i] + CONTEXT_WEIGHT * own[i - 1]
            out[i] = mixed / max(float(np.linalg.norm(mixed)), 1e-9)
    return out


def build_lists(seed: int, n_users: int, embed) -> list[tuple[list[RankCandidate], str, list[int]]]:
    """(candidates, query, positions of the evidence among them) lists; two users in three are conversations."""
    r = random.Random(seed)
    users = [_personal(r) if i % 3 == 0 else _conversation(r) for i in range(n_users)]
    texts = sorted({m for u in users for m, _ in u.mems} | {q for u in users for q, _ in u.questions})
    vec = dict(zip(texts, embed(texts)))
    out = []
    for user in users:
        own = _situated(user, vec)
        docs = [[T.stem(t) for t in T.tokens(m)] for m, _ in user.mems]
        for q, evidence in r.sample(user.questions, min(len(user.questions), 10)):
            cands, idx = _recall(r, user, own, vec[q], q, docs)
            pos = [idx.index(e) for e in evidence if e in idx]
            if pos:
                out.append((cands, q, pos))
    return out


# -- training and judging ---------------------------------------------------------------------------------------
def _metrics(lists, score_fn) -> dict:
    """recall@1/5/10 over evidence items (as the LoCoMo benchmark scores it) and MRR of the first evidence."""
    rec = {1: [], 5: [], 10: []}
    rr = []
    for cands, q, pos in lists:
        s = np.asarray(score_fn(q, cands))
        ranks = [int((s > s[p]).sum()) for p in pos]
        for k in rec:
            rec[k].append(sum(rk < k for rk in ranks) / len(ranks))
        rr.append(1 / (min(ranks) + 1))
    return {**{f"recall@{k}": round(float(np.mean(v)), 4) for k, v in rec.items()}, "mrr": round(float(np.mean(rr)), 4), "n": len(lists)}


def _padded(lists) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(L, N, F) features, (L, N) candidate mask and (L, N) evidence mask, for one batched forward."""
    n = max(len(c) for c, _, _ in lists)
    x = torch.zeros(len(lists), n, N_RANK)
    mask = torch.zeros(len(lists), n, dtype=torch.bool)
    pos = torch.zeros(len(lists), n, dtype=torch.bool)
    for i, (c, q, p) in enumerate(lists):
        x[i, : len(c)] = torch.from_numpy(rank_matrix(q, c))
        mask[i, : len(c)] = True
        pos[i, p] = True
    return x, mask, pos


def _loss(scores: torch.Tensor, mask: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
    """Each evidence item against every non-evidence candidate (softmax over them plus itself), averaged."""
    logits = scores / TEMPERATURE
    neg = logits.masked_fill(~mask | pos, -1e4)
    neg_lse = torch.logsumexp(neg, dim=-1, keepdim=True)
    per = torch.nn.functional.softplus(neg_lse - logits)  # -log(e^p / (e^p + sum e^neg))
    return (per * pos).sum() / pos.sum().clamp(min=1)


def train_reranker(net, embed, seed: int = 0, n_users: int = 600, epochs: int = 30, max_steps: int | None = None) -> dict:
    """Train `net.rank` from a fresh seeded init; enable it only if it beats the store's ranking on held-out users.

    The rank parameters are re-initialised from their own generator, so this stage neither reads nor moves
    the global random state the write-path heads were trained with, and reruns on a trained net reproduce it.
    """
    lists = build_lists(seed + 101, n_users, embed)
    split = int(len(lists) * 0.8)
    train, hold = lists[:split], lists[split:]
    g = torch.Generator().manual_seed(seed + 7)
    with torch.no_grad():
        for layer in (net.rank[0], net.rank[2]):
            bound = 1 / math.sqrt(layer.in_features)
            layer.weight.copy_(torch.empty_like(layer.weight).uniform_(-bound, bound, generator=g))
            layer.bias.copy_(torch.empty_like(layer.bias).uniform_(-bound, bound, generator=g))
        net.rank_gate.fill_(-2.0)
    x, mask, pos = _padded(train)
    opt = torch.optim.AdamW([*net.rank.parameters(), net.rank_gate], lr=3e-3, weight_decay=1e-2)
    step = 0
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), 64):
            if max_steps is not None and step >= max_steps:
                break
            idx = perm[i : i + 64]
            loss = _loss(net.rank_scores(x[idx]), mask[idx], pos[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
    net.eval()
    score = lambda q, c: net.rank_scores(torch.from_numpy(rank_matrix(q, c))).detach().numpy()  # noqa: E731
    with torch.inference_mode():
        model = _metrics(hold, score)
        chat = [x for x in hold if x[0][0].content.split(":")[0] in L.PEOPLE]
        by_kind = {"chat": {"model": _metrics(chat, score), "hybrid": _metrics(chat, lambda q, c: [x.fused for x in c])}}
    hybrid = _metrics(hold, lambda q, c: [x.fused for x in c])
    vector = _metrics(hold, lambda q, c: [x.vector_sim for x in c])
    return {"enabled": model["recall@10"] > hybrid["recall@10"] + 0.005 and model["mrr"] >= hybrid["mrr"],
            "gate": round(float(torch.sigmoid(net.rank_gate.detach())), 4),
            "heldout": {"model": model, "hybrid": hybrid, "vector": vector, **by_kind}, "n_train_lists": len(train)}
