"""`encode` for serving: the same arrays as `encode.encode`, with what depends on one text computed once per text.

Why a second copy: `checkpoint.code_version` fingerprints the source of features.py and encode.py into the
weights, so a speed edit there would orphan the shipped weights. This module is not the definition of the
features, only a faster evaluation of it: tests/memops/test_fastpair.py checks it bit for bit against
`encode.encode` on the dev cases and generated pairs, so a change to the features that is not mirrored here
fails the suite. In batch imports `pair_features` was the largest part of a decision (~8 neighbours each).
"""

from __future__ import annotations

import functools
import math
import re
from typing import Sequence

import numpy as np

from . import text as T
from .features import _AUX, _DISCOURSE, _EPISODE, _EVALUATIVE, _GLUE, _SPEAKER, _WH, N_PAIR, N_STATEMENT, Parsed, _clip, _markers, _sentences
from .schema import KINDS, Neighbor

@functools.lru_cache(maxsize=8192)
def parsed(raw: str) -> Parsed:
    """features.parse(raw), the text tokenised once instead of once per field."""
    m = _SPEAKER.match(raw)
    speaker = m.group(1).lower() if m else ""
    raw = raw[m.end():] if m else raw
    toks = tuple(T.tokens(raw))
    norm = " ".join(toks)
    told, asked = _sentences(raw)
    content = frozenset(t for t in toks if t not in T.STOPWORDS)
    return Parsed(
        speaker=speaker,
        told=told,
        asked=asked,
        episode=bool(_EPISODE.search(raw.lower().replace("’", "'"))),
        raw=raw,
        toks=toks,
        content=content,
        stems=frozenset(T.stem(t) for t in content),
        nums=frozenset(T.numbers(raw)),
        days=frozenset(t.rstrip("s") for t in toks if t in T.DAYS),
        months=frozenset(t for t in toks if t in T.MONTHS),
        ents=frozenset(T.stem(e) for e in T.capitalised(raw)),
        neg=sum(1 for t in toks if t in T.NEGATIONS or t.endswith("n't")),
        trigrams=frozenset(norm[i : i + 3] for i in range(max(len(norm) - 2, 0))),
        bigrams=frozenset(zip(toks, toks[1:])),
    )


_PADDED = {name: tuple(f" {m.strip()} " for m in getattr(T, name))
           for name in ("HEDGES", "TRANSIENT", "SMALLTALK", "REQUEST", "PAST", "FUTURE", "CONSTRAINT", "PREFERENCE", "OUTCOME", "EVENT", "GOAL")}
_NON_WORD = re.compile(r"[^a-z0-9' ]+")


def _normalised(text: str) -> str:
    """What text.has_any matches its markers in."""
    return " " + _NON_WORD.sub(" ", text.lower().replace("’", "'")) + " "


def _has(norm: str, padded: tuple[str, ...]) -> int:
    return sum(1 for m in padded if m in norm)


def statement_features(p: Parsed) -> list[float]:
    """features.statement_features(p), the text normalised once for its marker lists instead of once per list."""
    raw = p.raw.strip()
    low = raw.lower()
    norm = _normalised(low)
    first = p.toks[0] if p.toks else ""
    first2 = " ".join(p.toks[:2])
    n = len(p.toks)
    is_q = raw.endswith("?") or (first in _WH + _AUX and "?" in raw)
    return [
        float(is_q),
        float("?" in raw),
        float(first in _WH),
        float(first in _AUX),
        _clip(_has(norm, _PADDED["HEDGES"])),
        _clip(_has(norm, _PADDED["TRANSIENT"]) + bool(T.TRANSIENT_RE.search(low))),
        _clip(_has(norm, _PADDED["SMALLTALK"])) * float(n <= 8),
        float(n <= 4),
        _clip(_has(norm, _PADDED["REQUEST"])),
        float(any(low.startswith(r) for r in T.REQUEST)),
        float(first in ("use", "write", "answer", "reply", "respond", "keep", "make", "format", "be", "give", "don't", "do", "stop", "always", "never", "call", "remember", "note")),
        float(bool({"i", "my", "me", "mine", "i'm", "im", "we", "our", "i've", "i'd", "i'll", "myself"} & set(p.toks))),
        float(bool({"you", "your", "you're", "yourself"} & set(p.toks))),
        math.log1p(n) / 4.0,
        float(bool(p.nums)),
        float(bool(p.days)),
        float(bool(p.months)),
        _clip(len(p.ents)),
        _clip(_has(norm, _PADDED["PAST"])),
        _clip(_has(norm, _PADDED["FUTURE"])),
        _clip(_has(norm, _PADDED["CONSTRAINT"])),
        _clip(_has(norm, _PADDED["PREFERENCE"])),
        _clip(_has(norm, _PADDED["OUTCOME"])),
        _clip(_has(norm, _PADDED["EVENT"])),
        _clip(_has(norm, _PADDED["GOAL"])),
        _clip(p.neg),
        float("!" in raw),
        float(first2 in ("remember that", "note that", "fyi", "for the", "keep in")),
        float(bool(re.search(r"\b(always|from now on|every time|whenever|in general|by default)\b", low))),
        float(bool(re.search(r"\b(once|sometime|ever)\b", low))),
        # A question can carry a fact about the user ("I just adopted a dog - what food should I buy?").
        math.log1p(p.told) / 3.0,
        p.asked,
        float(is_q and p.told >= 2),
        float(bool(p.speaker)),
        float(p.episode),
    ]


_KIND_ONEHOT = {k: tuple(float(k == other) for other in KINDS) for k in KINDS}


@functools.lru_cache(maxsize=8192)
def _side(p: Parsed) -> tuple:
    """Per text: stemmed tokens, content words with their stems and every antonym of them, log length."""
    content_sa = frozenset(p.content | {T.stem(t) for t in p.content})
    opposite = frozenset().union(*(T._OPPOSITE.get(w, T._EMPTY) for w in content_sa))
    return tuple(T.stem(t) for t in p.toks), content_sa, opposite, math.log1p(len(p.toks))


def pair_features(new: Parsed, old: Parsed, old_kind: str, cos: float, best_cos: float, rank: int, low: str) -> list[float]:
    """features.pair_features(new, old, old_kind, cos, best_cos, rank); `low` is new.raw.lower()."""
    new_stem_toks, _, new_opposite, new_len = _side(new)
    _, old_sa, _, old_len = _side(old)
    inter = new.stems & old.stems
    n_union = len(new.stems) + len(old.stems) - len(inter)
    new_only = new.stems - old.stems - _DISCOURSE
    old_only = old.stems - new.stems
    n_tri = len(new.trigrams & old.trigrams)
    num_diff = bool(new.nums) and bool(old.nums) and new.nums != old.nums
    new_ents, old_ents = new.ents - old.ents, old.ents - new.ents
    rel_new, rel_old = new_only & T.RELATIONS, old_only & T.RELATIONS
    pos = 1.0
    for i, s in enumerate(new_stem_toks):
        if s in new_only:
            pos = i / max(len(new.toks) - 1, 1)
            break
    judged = len(new_only & _EVALUATIVE) / len(new_only) if new_only else 0.0
    names = new.ents | old.ents | {new.speaker, old.speaker}
    core_new, core_old = new.stems - _GLUE - names, old.stems - _GLUE - names
    core_inter = len(core_new & core_old)
    n_bi = len(new.bigrams & old.bigrams)
    concrete = bool(new.nums - old.nums) or bool(new_ents) or bool(new.days - old.days) or bool(new.months - old.months)
    return [
        cos,
        cos - best_cos,
        float(rank == 0),
        rank / 8.0,
        len(inter) / max(n_union, 1),
        n_tri / max(len(new.trigrams) + len(old.trigrams) - n_tri, 1),
        len(inter) / max(len(old.stems), 1),
        len(inter) / max(len(new.stems), 1),
        math.log1p(len(new_only)) / 3.0,
        math.log1p(len(old_only)) / 3.0,
        float(not new_only and not old_only),
        float(bool(new_only) and not old_only),
        float(bool(old_only) and not new_only),
        float(0 < len(new_only) <= 2 and 0 < len(old_only) <= 2),
        float(num_diff),
        float(bool(new.nums - old.nums) and not old.nums),
        float(bool(new.days) and bool(old.days) and new.days != old.days),
        float(bool(new.months) and bool(old.months) and new.months != old.months),
        float(bool(new_ents) and bool(old_ents)),
        float(bool(new_ents)),
        float((new.neg > 0) != (old.neg > 0)),
        min(float(abs(new.neg - old.neg)), 3.0) / 3.0,
        float(T.antonym_hit(new_only, old_only)),
        float(bool(new_opposite & old_sa)),
        *_markers(low),
        float(bool(rel_new) and bool(rel_old)),
        float(bool(rel_new) or bool(rel_old)),
        pos,
        n_bi / max(len(new.bigrams) + len(old.bigrams) - n_bi, 1),
        float(new.stems == old.stems and new.toks != old.toks),
        float(bool(new.nums) and bool(old.nums) and not (new.nums & old.nums)),
        new_len - old_len,
        float(bool(new.speaker) and bool(old.speaker) and new.speaker != old.speaker),
        new_len / 4.0,
        judged,
        float(bool(new_only) and judged == 1.0),
        core_inter / max(len(core_new | core_old), 1),
        core_inter / max(len(core_old), 1),
        core_inter / max(len(core_new), 1),
        float(concrete),
        float(new.episode and old.episode),
        float(old.episode and not new.episode),
        *_KIND_ONEHOT.get(old_kind, (0.0,) * len(KINDS)),
    ]


def encode(text: str, vector: np.ndarray, neighbors: Sequence[Neighbor], k: int) -> dict:
    """encode.encode(text, vector, neighbors, k)."""
    order = sorted(range(len(neighbors)), key=lambda i: -neighbors[i].similarity)[:k]
    p = parsed(text)
    low = p.raw.lower()
    nvec = np.zeros((k, vector.shape[-1]), np.float32)
    pair = np.zeros((k, N_PAIR), np.float32)
    mask = np.zeros(k, bool)
    best = float(neighbors[order[0]].similarity) if order else 0.0
    for j, i in enumerate(order):
        n = neighbors[i]
        nvec[j] = n.vector
        pair[j] = pair_features(p, parsed(n.content), n.kind, float(n.similarity), best, j, low)
        mask[j] = True
    return {
        "emb": np.asarray(vector, np.float32),
        "stmt": np.asarray(statement_features(p), np.float32).reshape(N_STATEMENT),
        "nvec": nvec,
        "pair": pair,
        "mask": mask,
        "order": order,
    }
