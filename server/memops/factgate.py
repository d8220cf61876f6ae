"""Does a turn the write gate wants to drop still state something about the speaker?

The rules gate drops questions and small talk (the learned model has its own feature for this). But people ask while telling:
"I just adopted a dog, what food should I buy?" is a question that also says the user has a
dog, and that fact is what a later "what pet do I have?" needs. This check looks for one
clause that is a first-person statement with some substance, outside the question part.
It is language-level (English pronouns and question words), not tied to any data set.
"""

from __future__ import annotations

import re

_CLAUSE = re.compile(r"[^.!?;,\n()\[\]—–]+[.!?]?")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_FIRST_PERSON = frozenset("i i'm im i've i'd i'll my mine me we we're we've we'd we'll our ours us myself".split())
# A clause that opens like this asks rather than tells ("what food should I buy", "can you help me").
_ASKS = frozenset(
    """what which who whom whose when where why how can could would will should shall do does did is are was were
    am have has any anyone anything may might please""".split()
)
# Words that carry no fact on their own: function words and small-talk fillers.
_EMPTY = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being am do does did have has
    had i i'm im i've i'd i'll my mine me we we're we've we'd we'll our ours us myself you you're your yours he she it
    it's its they them their this that these those there here so very really just also too not no yes yeah yep
    oh ah wow hey hi hello thanks thank glad happy sorry sure okay ok cool nice great awesome amazing love lovely
    good well totally definitely absolutely feel feeling think know guess mean see get got go going gonna much
    more lot lots all some any what how about can could would will should can't don't didn't it's that's
    appreciate agree hope same too bit kind sort thing things way""".split()
)
MIN_CONTENT_WORDS = 2


def states_facts(text: str) -> bool:
    """True when some clause is a first-person statement with at least two content words.

    Clauses split on sentence punctuation, commas and brackets; a clause ending in "?" or opening
    with a question word or auxiliary is the asking part and does not count.
    """
    for match in _CLAUSE.finditer(text):
        clause = match.group().strip()
        if not clause or clause.endswith("?") and _asks(clause):
            continue
        words = _WORD.findall(clause.lower().replace("’", "'"))
        if not words or words[0] in _ASKS:
            continue
        if not any(w in _FIRST_PERSON for w in words):
            continue
        if sum(1 for w in words if w not in _EMPTY and len(w) > 2) >= MIN_CONTENT_WORDS:
            return True
    return False


def _asks(clause: str) -> bool:
    words = _WORD.findall(clause.lower())
    return bool(words) and (words[0] in _ASKS or len(words) <= 3)
