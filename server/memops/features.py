"""Hand-made signals the embedding alone misses.

MiniLM puts "my rent is 900" and "my rent is 1200" at cosine ~0.95: good for
finding the memory, useless for telling a duplicate from a contradiction. These
features name the difference (a number, a negation, a weekday, a person, an
antonym, a change marker) so a small network can weigh it.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np

from . import text as T
from .schema import KINDS

_EVALUATIVE = frozenset(T.stem(w) for w in T.EVALUATIVE)
_GLUE = _EVALUATIVE | frozenset(T.stem(w) for w in T.CHATTER)
_DISCOURSE = frozenset(T.stem(w) for w in ("actually", "now", "anymore", "longer", "instead", "still",
                                            "currently", "these", "days", "again", "correction", "update"))
_WH = ("what", "when", "where", "who", "whom", "whose", "why", "how", "which")
_AUX = ("do", "does", "did", "can", "could", "would", "will", "is", "are", "should", "shall", "may",
        "have", "has", "am", "was", "were")


# "Caroline: I went hiking..." - a chat transcript names its speaker; the name is who the fact is about,
# not part of the fact, so features read the body and compare speakers apart.
_SPEAKER = re.compile(r"^([A-Z][\w.'-]{0,30}(?: [A-Z][\w.'-]{0,30}){0,2}):\s+(?=\S)")
_CLAUSE_BREAK = re.compile(r"(?<=[.!?;])\s+|\s+[-\u2013\u2014]+\s+|\s*[\u2013\u2014]\s*")
_FIRST_PERSON = {"i", "my", "me", "mine", "i'm", "im", "we", "our", "us", "i've", "i'd", "i'll", "we're", "we've", "myself"}


@dataclass(frozen=True)
class Parsed:
    """Everything the features need from one text, computed once (`raw` is the text without a speaker prefix)."""

    raw: str
    toks: tuple[str, ...]
    content: frozenset[str]
    stems: frozenset[str]
    nums: frozenset[str]
    days: frozenset[str]
    months: frozenset[str]
    ents: frozenset[str]
    neg: int
    trigrams: frozenset[str]
    bigrams: frozenset[tuple[str, str]]
    speaker: str = ""
    told: int = 0  # content words in first-person sentences that are not questions: facts a question can carry
    asked: float = 0.0  # share of sentences that are questions
    episode: bool = False  # tells of something that happened once ("I went hiking last weekend"), not a standing fact


_EPISODE = re.compile(
    r"\b(?:yesterday|last (?:night|week|weekend|month|year|summer|winter|spring|fall|autumn|[a-z]+day)|[a-z0-9]+ (?:days?|weeks?|months?|years?) ago"
    r"|this (?:morning|afternoon|past)|earlier (?:today|this week)|the other day|on (?:the )?(?:[a-z]+day|weekend))\b"
    r"|\b(?:i|we) (?:just |finally |recently |also )?(?:went|took|had|got|made|saw|met|visited|tried|finished|started|did|"
    r"bought|joined|ran|won|attended|signed|came|gave|found|spent|painted|wrote|read|watched|played|cooked|baked|"
    r"hiked|celebrated|volunteered|picked|threw|hosted|organized|organised|entered|showed|booked)\b")


def _sentences(raw: str) -> tuple[int, float]:
    told, n, q = 0, 0, 0
    for sent in _CLAUSE_BREAK.split(raw):
        toks = T.tokens(sent)
        if not toks:
            continue
        n += 1
        if sent.rstrip().endswith("?"):
            q += 1
        elif _FIRST_PERSON & set(toks):
            told += sum(1 for t in toks if t not in T.STOPWORDS)
    return told, q / max(n, 1)


def parse(raw: str) -> Parsed:
    """The text tokenised once; every field is read from those tokens (text.py's helpers would tokenise it again each)."""
    m = _SPEAKER.match(raw)
    speaker = m.group(1).lower() if m else ""
    raw = raw[m.end():] if m else raw
    toks = tuple(T.tokens(raw))
    norm = " ".join(toks)
    told, asked = _sentences(raw)
    content = frozenset(t for t in toks if t not in T.STOPWORDS)  # T.content_tokens(raw)
    return Parsed(
        speaker=speaker,
        told=told,
        asked=asked,
        episode=bool(_EPISODE.search(raw.lower().replace("’", "'"))),
        raw=raw,
        toks=toks,
        content=content,
        stems=frozenset(T.stem(t) for t in content),  # T.stems(raw)
        nums=frozenset(T.numbers(raw)),
        days=frozenset(t.rstrip("s") for t in toks if t in T.DAYS),
        months=frozenset(t for t in toks if t in T.MONTHS),
        ents=frozenset(T.stem(e) for e in T.capitalised(raw)),  # "Sundays" and "Sunday" are one name
        neg=sum(1 for t in toks if t in T.NEGATIONS or t.endswith("n't")),  # T.negation_count(raw)
        trigrams=frozenset(norm[i : i + 3] for i in range(max(len(norm) - 2, 0))),
        bigrams=frozenset(zip(toks, toks[1:])),
    )


def _clip(x: float, hi: float = 3.0) -> float:
    return min(float(x), hi) / hi


# text.has_any(low, markers) for each marker list, with the text normalised once instead of once per list.
_PADDED = {name: tuple(f" {m.strip()} " for m in getattr(T, name))
           for name in ("HEDGES", "TRANSIENT", "SMALLTALK", "REQUEST", "PAST", "FUTURE", "CONSTRAINT", "PREFERENCE", "OUTCOME", "EVENT", "GOAL")}
_NON_WORD = re.compile(r"[^a-z0-9' ]+")


def _normalised(text: str) -> str:
    """What text.has_any matches its markers in."""
    return " " + _NON_WORD.sub(" ", text.lower().replace("’", "'")) + " "


def _has(norm: str, padded: tuple[str, ...]) -> int:
    return sum(1 for m in padded if m in norm)


def statement_features(p: Parsed) -> list[float]:
    """Signals about the new statement on its own: is it worth storing, and what kind is it."""
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


N_STATEMENT = len(statement_features(parse("x")))


@functools.lru_cache(maxsize=4096)
def _markers(low: str) -> tuple[float, float]:
    """Change and addition markers of the new statement (same for every neighbour)."""
    return _clip(T.has_any(low, T.CHANGE)), _clip(T.has_any(low, T.ADDITION))


_KIND_ONEHOT = {k: tuple(float(k == other) for other in KINDS) for k in KINDS}


@functools.lru_cache(maxsize=8192)
def _side(p: Parsed) -> tuple:
    """Per text, once for all its pairs: stemmed tokens, content words with their stems and every antonym of
    them (what text.antonym_hit builds per call), log length."""
    content_sa = frozenset(p.content | {T.stem(t) for t in p.content})
    opposite = frozenset().union(*(T._OPPOSITE.get(w, T._EMPTY) for w in content_sa))
    return tuple(T.stem(t) for t in p.toks), content_sa, opposite, math.log1p(len(p.toks))


def pair_features(new: Parsed, old: Parsed, old_kind: str, cos: float, best_cos: float, rank: int) -> list[float]:
    """How a stored memory and the new statement relate: same, more detailed, or different?"""
    new_stem_toks, _, new_opposite, new_len = _side(new)
    _, old_sa, _, old_len = _side(old)
    inter = new.stems & old.stems
    n_union = len(new.stems) + len(old.stems) - len(inter)
    # Discourse words ("actually", "now") mark a change but are not part of the
    # fact itself; keep them out of the "what differs" sets.
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
    # What the new statement adds: only judgements ("the best ever, in my opinion": a restatement) or something
    # concrete (a number, a name, a day: a refinement or a change).
    judged = len(new_only & _EVALUATIVE) / len(new_only) if new_only else 0.0
    # Overlap of what each says once judgements and chat glue are set aside: two turns of one chat share
    # "thanks, awesome, keep it up" and a theme, not a fact.
    names = new.ents | old.ents | {new.speaker, old.speaker}  # a name says who, not what (other features compare names)
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
        _clip(abs(new.neg - old.neg)),
        float(T.antonym_hit(new_only, old_only)),
        float(bool(new_opposite & old_sa)),  # T.antonym_hit(new.content, old.content)
        *_markers(new.raw.lower()),
        float(bool(rel_new) and bool(rel_old)),
        float(bool(rel_new) or bool(rel_old)),
        pos,
        n_bi / max(len(new.bigrams) + len(old.bigrams) - n_bi, 1),
        float(new.stems == old.stems and new.toks != old.toks),  # same words, new order: "X over Y" vs "Y over X"
        float(bool(new.nums) and bool(old.nums) and not (new.nums & old.nums)),
        new_len - old_len,
        float(bool(new.speaker) and bool(old.speaker) and new.speaker != old.speaker),  # another person's statement
        new_len / 4.0,
        judged,
        float(bool(new_only) and judged == 1.0),
        core_inter / max(len(core_new | core_old), 1),
        core_inter / max(len(core_old), 1),
        core_inter / max(len(core_new), 1),
        float(concrete),
        # Two things that happened: a later one does not make the earlier one false.
        float(new.episode and old.episode),
        float(old.episode and not new.episode),
        *_KIND_ONEHOT.get(old_kind, (0.0,) * len(KINDS)),
    ]


N_PAIR = len(pair_features(parse("a"), parse("b"), "fact", 0.0, 0.0, 0))


_WHEN_WORDS = frozenset({"yesterday", "today", "tonight", "tomorrow", "ago", "last", "next", "week", "weekend", "weekends",
                         "month", "year", "morning", "evening", "night", "since", "until"})
_YOU = frozenset({"you", "your", "you're", "yours", "you've", "yourself"})
_PRONOUNS = frozenset({"she", "he", "her", "his", "him", "they", "their", "them"})
RANK_BASE = 4  # index of the store's own score (final / best final) in `rank_features`: the reranker's residual base


@dataclass(frozen=True)
class RankList:
    """What a candidate is compared with: its list's best and spread of each signal."""

    max_vec: float
    max_kw: float
    max_score: float
    vec_mean: float = 0.0
    vec_sd: float = 1.0
    kw_mean: float = 0.0
    kw_sd: float = 1.0


@functools.lru_cache(maxsize=1024)
def _query_side(qp: Parsed) -> tuple:
    low = qp.raw.lower()
    qtoks = frozenset(qp.toks)
    wh = {w: float(w in qp.toks[:3]) for w in ("when", "where", "who")}
    many = float("how many" in low or "how much" in low or "how long" in low or "how often" in low)
    named = bool(qp.ents - {T.stem(w) for w in _WH})
    return (qtoks, qtoks & T.RELATIONS, wh["when"], wh["where"], wh["who"], many, named, max(len(qp.stems), 1),
            math.log1p(len(qp.toks)) / 4.0, float(bool(qtoks & _PRONOUNS)))


@functools.lru_cache(maxsize=8192)
def _memory_side(mp: Parsed) -> tuple:
    toks = frozenset(mp.toks)
    dated = bool(mp.days or mp.months)
    return (toks & T.RELATIONS, max(len(mp.stems), 1), float(bool(mp.ents)), float(bool(mp.nums)), float(dated),
            float(dated or bool(mp.nums)), math.log1p(mp.told) / 3.0, float(bool(toks & _WHEN_WORDS)), math.log1p(len(mp.toks)) / 4.0,
            float(mp.told == 0 and not mp.nums and not mp.ents - {mp.speaker}),
            sum(t in _YOU for t in mp.toks) / max(len(mp.toks), 1) * 5.0, float(mp.episode))


def rank_features(qp: Parsed, mp: Parsed, c, ls: RankList, rank: int = 0, gap: float = 0.0) -> list[float]:
    """Query-memory signals for the recall reranker; `c` is a RankCandidate, `rank` its place in the store's
    order and `gap` how far below the candidate ranked just above it.

    Why these: cosine and BM25 relative to their list (a learned re-weighting of the fixed 50/50 fusion: BM25
    over-rewards long turns that share many words with any question), how much of the question the memory
    covers, whose turn it is (asker named / someone else / nobody named), whether it states something or
    only reacts, and the question's type against what the memory holds (a date for "when"). What depends on
    one text only is cached per text: recall pays for the pairs.
    """
    qtoks, rel_q, when, where, who, many, named, n_q, q_len, q_pron = _query_side(qp)
    rel_m, n_m, has_ents, has_nums, dated, when_fit, told, time_words, m_len, bare, you, episode = _memory_side(mp)
    said_by_asked = bool(mp.speaker) and mp.speaker in qtoks
    n_inter = len(qp.stems & mp.stems)
    return [
        c.vector_sim,
        c.vector_sim - ls.max_vec,
        c.keyword,
        c.keyword - ls.max_kw,
        c.fused / max(ls.max_score, 1e-9),
        (c.vector_sim - ls.vec_mean) / max(ls.vec_sd, 1e-3) / 3.0,
        (c.keyword - ls.kw_mean) / max(ls.kw_sd, 1e-3) / 3.0,
        math.log1p(rank) / 4.0,
        min(gap, 0.2) * 5.0,
        n_inter / n_q,
        n_inter / n_m,
        float(bool(qp.ents & mp.ents)),
        has_ents,
        has_nums,
        dated,
        when * when_fit,
        where * has_ents,
        who * has_ents,
        many * has_nums,
        float(not named),  # the question names nobody ("when did she...")
        # Whose fact is it? "my sister's dentist" must not answer "who is my dentist".
        float(bool(rel_q & rel_m)),
        float(bool(rel_q) and not rel_q & rel_m),
        float(not rel_q and bool(rel_m)),
        # Chat transcripts: who said it, and did they say something about themselves or only react?
        float(said_by_asked),
        float(bool(mp.speaker) and not said_by_asked and named),
        told,
        mp.asked,
        when * time_words,
        m_len,
        q_len,
        bare,  # says nothing concrete: cheering, a question back
        you,  # addressed to the other person: a reaction or a retelling
        q_pron,
        float(c.keyword == 0.0),
        episode,
    ]


def _n_rank() -> int:
    from .schema import RankCandidate

    c = RankCandidate("", "fact", np.zeros(1, np.float32), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    return len(rank_features(parse("a"), parse("b"), c, RankList(0.0, 0.0, 0.0)))


N_RANK = _n_rank()


def as_array(rows: list[list[float]]) -> np.ndarray:
    return np.asarray(rows, dtype=np.float32)
