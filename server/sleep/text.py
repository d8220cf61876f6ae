"""Small text tests the sleep jobs share: sentences, near-duplicates, coverage and mismatch signals."""

from __future__ import annotations

import re
from functools import lru_cache

from server.memops.text import capitalised, content_tokens, negation_count, numbers

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


@lru_cache(maxsize=65536)
def facts(text: str) -> tuple[frozenset[str], frozenset[str], frozenset[str], int]:
    """(content tokens, numbers, entities, negation parity) of a text."""
    return frozenset(content_tokens(text)), frozenset(numbers(text)), frozenset(capitalised(text)), negation_count(text) % 2


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def near_duplicate(a: str, b: str, at: float = 0.8) -> bool:
    """Same words (mostly), same numbers, same polarity: saying one says the other."""
    ta, na, _, pa = facts(a)
    tb, nb, _, pb = facts(b)
    return na == nb and pa == pb and jaccard(ta, tb) >= at


def covers(summary: str, text: str, at: float = 0.9) -> bool:
    """Whether `summary` keeps everything `text` says: every sentence's numbers and names, its polarity, and
    nearly all its content words. A verbatim copy always passes; a paraphrase that drops a detail does not."""
    s_tokens, s_nums, _, _ = facts(summary)
    s_words = frozenset(w.lower() for w in re.findall(r"[A-Za-z]+", summary))
    s_sentences = sentences(summary)
    for sent in sentences(text):
        if any(sent == s for s in s_sentences):
            continue
        tokens, nums, ents, parity = facts(sent)
        if not nums <= s_nums or not ents <= s_words:
            return False
        if parity and not any(facts(s)[3] for s in s_sentences):
            return False
        if tokens and len(tokens & s_tokens) / len(tokens) < at:
            return False
    return True


def mismatch(a: str, b: str) -> str | None:
    """Why two very similar statements cannot both hold (numbers or polarity differ about the same names), or None."""
    ta, na, ea, pa = facts(a)
    tb, nb, eb, pb = facts(b)
    if ea != eb:
        return None  # about different people or things
    rest_a, rest_b = ta - na, tb - nb
    if jaccard(rest_a, rest_b) < 0.5:
        return None
    if na and nb and na != nb:
        return f"number differs: {', '.join(sorted(nb - na)) or '?'} vs {', '.join(sorted(na - nb)) or '?'}"
    if pa != pb:
        return "negation flipped"
    return None
