"""Passages of a long memory: sentence windows that get vectors of their own, so an aside can find its memory.

Why: one vector per memory is an average of everything the text says. A long message about croissants that
ends "By the way, I just baked a chocolate cake for my friend's birthday" has a vector about pastry, and a
question about the cake finds it only by chance; the embedder also reads only the first 256 tokens, so
whatever comes after them is not in the vector at all. Recall raises a memory's cosine towards that of its
best passage (`WEIGHT` below: half-way, `VectorIndex.search`), so the one sentence that matches counts.

Which memories: longer than `LONG_WORDS` words. Below it the text is a few sentences that one vector holds
well (all-MiniLM-L6-v2 was trained on sentence pairs of at most 128 tokens, about 100 words), and passages
would only add embedding work. A passage is a run of consecutive sentences of at most `PASSAGE_WORDS` words
(a longer sentence is cut into pieces of that size), and the passages cover the whole text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

LONG_WORDS = 40  # a memory with more words than this gets passages
PASSAGE_WORDS = 30  # most words in one passage
# A long memory's vector score: its own cosine plus WEIGHT x how much its best passage beats it (1: the best of
# the two, max-pooled; 0: passages ignored). Read by VectorIndex.search. Why halfway: a passage is a few
# sentences, and a short text's cosine runs higher than a long one's, so the full max lifts long messages
# that merely share a phrase. Measured on one ingest each (bench/notes/retrieval.md, Session 7), weights
# 0 / 0.5 / 1 on the dev slices: LoCoMo conv 1-5 recall@10 0.749 / 0.754 / 0.754, LongMemEval 1-30
# ndcg_any@10 0.884 / 0.895 / 0.881 (recall_all@5 equal).
WEIGHT = 0.5

# A sentence ends at . ! ? (and closing quotes or brackets) before whitespace, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\s*\n+\s*")


def sentences(text: str) -> list[str]:
    """The text's sentences, in order, stripped (an approximation: abbreviations split too, harmlessly)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def split(text: str, long_words: int = LONG_WORDS, passage_words: int = PASSAGE_WORDS) -> list[str]:
    """The passages of `text`, or [] when it is short enough for its own vector alone."""
    if len(text.split()) <= long_words:
        return []
    out: list[str] = []
    current: list[str] = []  # the words of the passage being filled
    for sentence in sentences(text):
        words = sentence.split()
        # A sentence longer than a passage is cut into passage-sized pieces.
        for i in range(0, len(words), passage_words):
            piece = words[i : i + passage_words]
            if current and len(current) + len(piece) > passage_words:
                out.append(" ".join(current))
                current = []
            current.extend(piece)
    if current:
        out.append(" ".join(current))
    return out if len(out) > 1 else []


def embed_with_passages(embedder, texts: Sequence[str], enabled: bool = True) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Each text's vector and its passages' vectors (None when it is short, or `enabled` is off), embedded in one
    call: for writes that are not pipelined (correct, import, reembed; remember_many queues passages itself)."""
    parts = [split(t) if enabled else [] for t in texts]
    embedded = embedder.embed([*texts, *(p for ps in parts for p in ps)]) if texts else []
    out, at = [], len(texts)
    for i, ps in enumerate(parts):
        out.append((embedded[i], embedded[at : at + len(ps)] if ps else None))
        at += len(ps)
    return out
