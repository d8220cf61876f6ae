"""Query building and rank fusion for hybrid recall."""

from __future__ import annotations

import re
from collections.abc import Sequence

# Words that match nearly every memory and only slow BM25 down.
STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being am do does did
    have has had i me my mine we us our you your he him his she her it its they them their this that these those
    what which who whom whose when where why how there here than then so not no yes can could would should will
    shall may might must about into over under again just also very too any some all each more most other such
    only own same s t don doesn didn""".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str, max_terms: int = 24) -> str:
    """An FTS5 MATCH expression for free text: each term quoted (so no FTS syntax
    from the user is ever interpreted), stopwords dropped, terms OR-ed for BM25."""
    terms: list[str] = []
    for word in _WORD.findall(text.lower()):
        if word in STOPWORDS or word in terms:
            continue
        terms.append(word)
    if not terms:  # a query of only stopwords still deserves keyword candidates
        terms = list(dict.fromkeys(_WORD.findall(text.lower())))
    return " OR ".join(f'"{t}"' for t in terms[:max_terms])


def rrf(ranked_lists: Sequence[Sequence[tuple[int, float]]], k: int = 60) -> dict[int, float]:
    """Reciprocal rank fusion: each list contributes 1/(k + rank) per item, best first."""
    fused: dict[int, float] = {}
    for ranked in ranked_lists:
        for rank, (rowid, _score) in enumerate(ranked, start=1):
            fused[rowid] = fused.get(rowid, 0.0) + 1.0 / (k + rank)
    return dict(sorted(fused.items(), key=lambda kv: kv[1], reverse=True))
