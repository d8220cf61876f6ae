"""Session support: a memory whose conversation around it also matches the query ranks a little higher.

Why: a question is usually answered by a conversation about its subject, not by one stray sentence. The
session that talked about the fun runs has several turns that match "how many fun runs did I miss"; a
session about something else has at most one turn that shares a word or two with it. Memories are ranked
one by one, so the best single sentence of an unrelated session can outrank the conversation that holds
the answer. Each candidate gets a share of the scores of the best other candidates written near it in
the same session, so conversations that match as a whole rise together.

A session is the memories written with one `session_id`, else with one explicit `valid_from` (the date a
client gives every turn of an imported conversation); memories with neither get no support. "Near" is
within `WINDOW` rows (about as many turns) either side: a long session drifts across topics, and a match
twenty turns away says little about this one (LoCoMo's sessions run to 30 turns and more).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence

SUPPORT = 2  # how many of the best neighbours in the session make a memory's support (absent ones count 0)
WINDOW = 10  # rows either side that count as the same stretch of conversation
DEPTH = 100  # candidates looked at, best first: support comes from the head of the ranking
# What a neighbour lends: its own match (True, the default) or its whole score (False). Neighbour spreading
# (`MemoryService._spread`) gives the turns next to a strong match 0.7 of its score, and with False they lend
# that share back as support: a lone match with two unrelated turns around it gets +17% of its own score from
# itself. True lends each neighbour's match before spreading (prior and time frame applied alike). Measured
# (bench/notes/retrieval.md, Session 9): LongMemEval recall_all@5 53 -> 54 of 58 (06878be2), with the assistant
# turn as context 55 -> 56; LoCoMo recall@10 0.733 -> 0.732 over the ten conversations (16 questions up, 18 down:
# noise). On because it removes a self-echo, not for the one question. bench/recall_sweep.py flips it.
LEND_OWN_MATCH = True


def session_support(scored: Sequence[tuple[float, int]], session_of: Callable[[int], Hashable | None], weight: float,
                    lends: Mapping[int, float] | None = None) -> dict[int, float]:
    """Bonus per rowid: `weight` x the mean of the `SUPPORT` best scores of other candidates of its session near it.

    `scored` is (score, rowid) best first; `session_of` maps a rowid to its session (None: none); `lends`, when
    given, is what each candidate lends its neighbours instead of its score (see `LEND_OWN_MATCH`).
    """
    if weight <= 0:
        return {}
    members: dict[Hashable, list[tuple[int, float]]] = {}
    for score, rowid in scored[:DEPTH]:
        session = session_of(rowid)
        if session is not None:
            members.setdefault(session, []).append((rowid, score if lends is None else lends.get(rowid, 0.0)))
    bonus: dict[int, float] = {}
    for rows in members.values():
        if len(rows) < 2:
            continue
        if lends is not None:
            rows.sort(key=lambda row: row[1], reverse=True)
        for rowid, _ in rows:  # rows are best first, so the first SUPPORT neighbours found are the best
            total, found = 0.0, 0
            for other, score in rows:
                if other != rowid and -WINDOW <= other - rowid <= WINDOW:
                    total += score
                    found += 1
                    if found == SUPPORT:
                        break
            if found:
                bonus[rowid] = weight * total / SUPPORT
    return bonus
