"""Query building and score fusion for hybrid recall."""

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
# Words that frame a question about memories rather than name its subject ("how many different...",
# "what did I mention a couple of months ago"). Long stored messages contain them by chance, and BM25
# then ranks a message for "how many people can it serve" first for "how many doctors did I visit".
# Time frames belong to the date filters (`since`/`until`), not to word matching.
QUESTION_FRAMES = frozenset(
    """many much often different kind kinds type types sort sorts mentioned mention remember remind recall told
    tell said say something anything thing things ever ago last recently recent couple day days week weeks
    month months year years time times""".split()
)
# Any Unicode word (each goes to FTS5 quoted, and its own tokenizer splits it further): keyword search must keep
# non-English and non-ASCII words. The English-rule tokenisers (server/policy/rules.py, server/memops/factgate.py, server/memops/text.py)
# keep ASCII words with apostrophes, and text.py also numbers like 3.5 or 12:30; they differ on purpose.
_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str, max_terms: int = 24) -> str:
    """An FTS5 MATCH expression for free text: each term quoted (so no FTS syntax
    from the user is ever interpreted), stopwords and question frames dropped, terms OR-ed for BM25."""
    terms: list[str] = []
    for word in _WORD.findall(text.lower()):
        if word in STOPWORDS or word in QUESTION_FRAMES or word in terms:
            continue
        terms.append(word)
    if not terms:  # a query of only stopwords still deserves keyword candidates
        terms = list(dict.fromkeys(_WORD.findall(text.lower())))
    return " OR ".join(f'"{t}"' for t in terms[:max_terms])


VECTOR_WEIGHT = 0.5

# Candidates recall asks of each signal (vector KNN, BM25): at least POOL_MIN, and POOL_PER_RESULT per result.
POOL_MIN, POOL_PER_RESULT = 50, 5


def candidate_pool(k: int) -> int:
    """How many candidates recall asks each signal for when `k` results are wanted.

    A memory that answers only indirectly ("what activities does Melanie do?" -> "I just signed up for a
    pottery class") sits in the middle of both lists; cut short, it is in one list only and scores 0 on the
    other signal. A floor of 200 instead of 50 weighs more of them on both: LoCoMo conversations 1-5,
    recall@10 0.747 -> 0.752 (6-10: 0.691 -> 0.702; `bench/rerank_check.py --switch pool`). It is not the
    default because it costs more than it gives: recall reads the facts of four times the candidates, 15.4 ->
    22.5 ms p50 at 10k memories and 29.3 ms at 100k against the 25 ms target (`python -m bench.core` at
    floors 50 and 200, bench/notes/retrieval.md). Recalls that ask for 40 results or more (LongMemEval asks 60) get 5 per result.
    """
    return max(POOL_MIN, POOL_PER_RESULT * k)


def _spread01(hits: Sequence[tuple[int, float]], limit: int | None) -> dict[int, float]:
    """Scores mapped onto [0, 1]: the best 1, the floor 0 (all 1 when equal).

    The floor is the worst candidate's score when the list was cut at `limit` (every memory not listed
    scores at most that), else the signal's own zero (no shared term, an unrelated vector): in a store
    smaller than the pool, the second of two matches must not count as no match at all.
    """
    if not hits:
        return {}
    lo, hi = min(s for _, s in hits), max(s for _, s in hits)
    if limit is None or len(hits) < limit:
        lo = min(lo, 0.0)
    span = hi - lo
    return {rowid: (score - lo) / span if span > 0 else 1.0 for rowid, score in hits}


def fuse(
    vector_hits: Sequence[tuple[int, float]], keyword_hits: Sequence[tuple[int, float]], vector_weight: float | None = None,
    limit: int | None = None,
) -> tuple[dict[int, float], dict[int, float], dict[int, float]]:
    """Score the union of both candidate lists by the weighted mean of min-max normalised cosine and BM25.

    `limit` is the pool size both lists were asked for: a list that came back full was cut there.

    Returns (fused best first, vector similarity, max-normalised keyword score), each keyed by rowid; the
    last two are what `Scores` reports and what `find_matches` thresholds, so they keep their absolute scale.

    Why min-max on both sides: each signal then spans [0, 1] over its own candidates and the weight alone
    decides their shares. Max-normalised BM25 next to raw cosine gave BM25 the whole [0, 1] range while the
    pool's cosines sit in a band about 0.3 wide, so BM25 decided most orderings; on LongMemEval, whose long,
    request-like user turns share words with any question, hybrid fell below vector alone (recall_all@5
    0.83 vs 0.90). With the question frames out of `fts_query` it is level with vector alone (0.90), and
    LoCoMo recall@10 is unchanged (0.76 -> 0.77 on conversations 1-3, 0.71 on 4-5). Why not reciprocal-rank
    fusion: ranks throw away how much better the top hit is (LoCoMo 0.69 against 0.76). Numbers:
    bench/notes/retrieval.md.
    """
    vector_weight = VECTOR_WEIGHT if vector_weight is None else vector_weight
    vsim = dict(vector_hits)
    kmax = max((score for _, score in keyword_hits), default=0.0)
    kw = {rowid: (score / kmax if kmax > 0 else 0.0) for rowid, score in keyword_hits}
    nv, nk = _spread01(vector_hits, limit), _spread01(keyword_hits, limit)
    fused = {r: vector_weight * nv.get(r, 0.0) + (1 - vector_weight) * nk.get(r, 0.0) for r in {*vsim, *kw}}
    return dict(sorted(fused.items(), key=lambda kv: kv[1], reverse=True)), vsim, kw
