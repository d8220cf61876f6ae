"""Questions that name two or more subjects ("in Hawaii and in New York City", "the bike or the car"): one
keyword query per subject, so each subject's best matches reach the top, not only the best-covered one's.

Why: one BM25 query over all the words ranks first the memories that match the most of them, and the
subject that fills more memories (a whole conversation about Hawaii) takes every place before the other's
single mention is reached. So each subject is also searched on its own, and a subject that none of the first
few candidates names gets its best match raised to the top score (`lift`); a ranking that already names every
subject near its top is left as it is.
A subject's query is its own words only, fused with the whole question's vector (one query embedding is all
a recall can afford: a second costs ~6 ms): the keywords say which memories name the subject, the vector
which of them answer the question. With the question's other words in it ("spend", "traveling"), the
subject's query was again won by the memories about the other subject, which say those words too.

A subject is the run of content words (not stopwords, not question frames) right before and right after an
"and"/"or", and further items of a comma list before it ("Paris, Rome and Vienna"). A run is at most
`MAX_WORDS` words: longer runs are clauses, not names ("I bought shoes and returned them").
"""

from __future__ import annotations

import re

from server.search import QUESTION_FRAMES, STOPWORDS, fuse

# Off, recall asks one keyword query as before session 8 (bench/recall_sweep.py variants flip it to measure).
SPLIT = True
MAX_WORDS = 3  # most words in one subject
MAX_SUBJECTS = 4  # keyword queries one recall may add
COVER = 5  # a subject named by one of the first COVER candidates is covered: nothing is raised for it
NAMES = 0.5  # share of a subject's best BM25 a memory needs to count as naming it
COMMON = 0.5  # a subject named by this share of the keyword pool or more is not one a question singles out
_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_CONJUNCTIONS = frozenset({"and", "or"})
# What may stand between a conjunction and its subject: "in Hawaii and in New York", "Mel and her kids". Anything
# else there (a pronoun, an auxiliary: "...and I wanted to") makes the conjunction join clauses, not subjects.
_LEAD = frozenset("a an the my your his her its our their in on at to for of from with by about both either neither".split())
_NOT_SUBJECT = STOPWORDS | QUESTION_FRAMES | {"both", "either", "neither"}


def _content(token: str) -> bool:
    return token[0].isalnum() and token not in _NOT_SUBJECT


def _run(tokens: list[str], i: int, step: int) -> tuple[list[str], int]:
    """The content words from `i` on in direction `step` (after skipping function words), and where they end."""
    while 0 <= i < len(tokens) and tokens[i] in _LEAD:
        i += step  # "in Hawaii and in New York": the preposition on either side is not the subject
    run: list[str] = []
    while 0 <= i < len(tokens) and _content(tokens[i]) and len(run) <= MAX_WORDS:
        run.append(tokens[i])
        i += step
    return (run if step > 0 else run[::-1]), i


def subjects(text: str) -> list[list[str]]:
    """The subjects `text` coordinates (each a list of lowercase words), or [] when it names fewer than two."""
    tokens = _TOKEN.findall(text.lower())
    found: list[list[str]] = []
    for i, token in enumerate(tokens):
        if token not in _CONJUNCTIONS or i == 0:
            continue
        right, _ = _run(tokens, i + 1, 1)
        left, at = _run(tokens, i - 1, -1)
        if not (0 < len(right) <= MAX_WORDS and 0 < len(left) <= MAX_WORDS):
            continue
        items = [left]
        while at >= 1 and tokens[at] == ",":  # "Paris, Rome and Vienna"
            more, at = _run(tokens, at - 1, -1)
            # An item stands after a comma, a preposition or the start ("...see first, Paris, Rome": not "see first").
            if not 0 < len(more) <= MAX_WORDS or (at >= 0 and tokens[at] != "," and tokens[at] not in _LEAD):
                break
            items.insert(0, more)
        for item in [*items, right]:
            if item not in found:
                found.append(item)
    return found[:MAX_SUBJECTS] if len(found) >= 2 else []


def queries(text: str) -> list[str]:
    """One keyword text per subject `text` names: the subject's own words ([] when it names fewer than two)."""
    return [" ".join(s) for s in subjects(text)] if SPLIT else []


def lift(fused: dict[int, float], vector_hits, subject_hits: list, limit: int | None) -> dict[int, float]:
    """`fused` (the whole query's scores, best first) with the best match of each subject that none of its first
    `COVER` names raised to the top score, best first.

    `subject_hits` holds each subject's BM25 list. A memory names a subject when its BM25 for the subject is at
    least `NAMES` of the subject's best (one of three words, "New Delhi" for "New York City", is not naming it).
    A subject's best match is the best of its keyword list fused with the question's vector (`search.fuse`).
    Why only uncovered subjects: where both are named near the top already ("Melanie and her kids"), the
    whole question's ranking already answers for both, and is left as it is. (Measured, it makes no difference
    to LoCoMo conversations 1-5: recall@10 0.752 with the rule, 0.754 raising every subject, 0.754 without
    subject queries; bench/notes/retrieval.md, Session 8.)
    """
    if not fused:
        return fused
    top = next(iter(fused.values()))
    head = list(fused)[:COVER]
    out = dict(fused)
    for hits in subject_hits:
        if not hits:
            continue
        best_bm25 = max(score for _, score in hits)
        names = {rowid for rowid, score in hits if score >= NAMES * best_bm25}
        # Covered, or named by so many memories (a speaker's name in a chat log) that naming it tells nothing.
        if names.intersection(head) or (limit is not None and len(names) >= COMMON * limit):
            continue
        scores, _, _ = fuse(vector_hits, hits, limit=limit)
        best = next((r for r in scores if r in names), None)
        if best is not None:
            out[best] = max(out.get(best, 0.0), top)
    return dict(sorted(out.items(), key=lambda kv: kv[1], reverse=True))
