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


# Auxiliaries a yes/no question opens with, in the forms a note about one person uses (not "have"/"do", which also
# open imperatives: "Have a great weekend"), and the words that can start the subject after them.
_AUXILIARY = frozenset("is was has had does did can could will would should may might must".split())
_SUBJECT_START = frozenset(
    """i you he she it we they there this that these those the my your his her its our their anyone anybody anything
    someone somebody something everyone everybody everything any some no nobody nothing what which whose""".split()
)


def subjectless_note(text: str) -> bool:
    """True for a note that states a predicate about the user with the subject left out, the way agents write
    ("Is allergic to nuts", "Has two kids", "Was born in Lyon"), which opens like a yes/no question.

    What tells them apart: a question puts its subject right after the auxiliary ("Is it raining", "Has the
    parcel arrived", "Is Alice coming"); a note goes straight to the predicate. No "?" either.
    """
    stripped = text.strip()
    if not stripped or stripped.endswith("?") or "?" in stripped:
        return False
    words = stripped.split()
    if len(words) < 2 or words[0].lower() not in _AUXILIARY:
        return False
    second = words[1]
    if second[:1].isupper():  # a name (or "I") as the subject: "Is Alice coming"
        return False
    token = second.lower().strip(",.!;:\"'()")
    return bool(_WORD.fullmatch(token)) and token not in _SUBJECT_START


# The write gate's second look at a message the model would drop: "I'm thinking of planning another
# trip. By the way, I recently got back from five days in Lisbon" opens with a hedge, but its second sentence tells
# of something that happened. The test is strict on purpose (`states_facts` is true for "I'm thinking of going to
# Europe"): a sentence must put "I" or "we" right before a verb in the past, with at most two adverbs between.
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_SUBJECT = frozenset("i we".split())
_PERFECT = frozenset("i've we've".split())  # "I've finished", "we've moved": the perfect also tells of a done thing
_BETWEEN = frozenset(
    """just recently finally already actually also once then even still never only first last really eventually
    have has had""".split()
)
# Past forms of common irregular verbs (regular ones end in -ed).
_IRREGULAR_PAST = frozenset(
    """got went came took made had did saw left bought spent met ran flew drove rode sold gave found lost won began
    broke brought built caught chose fell felt fought forgot grew held hurt kept knew led lent paid put
    quit read rang rose said sat sent set shot slept spoke stood stole swam taught threw told understood
    woke wore wrote was were gone done seen taken given eaten driven ridden flown begun broken chosen
    fallen forgotten grown known shown spoken stolen swum thrown woken worn written gotten become became moved""".split()
)
# Past forms that report a wish, a plan or hearsay, not an event: "I've always wanted to", "I've heard"; "been" too
# ("I've been thinking", "I've always been fascinated": a state, not an event, and strictness wins here).
_NOT_EVENTS = frozenset(
    """wanted hoped wished thought considered wondered heard planned intended needed expected supposed imagined
    guessed figured decided meant liked loved hated preferred dreamed dreamt been""".split()
)
# Modal and conditional words ("if I went", "I might have moved"); "thinking", "planning" are caught at the verb.
_HEDGE_WORDS = frozenset("maybe might perhaps possibly probably if would could should unless whether someday".split())


def past_event_sentence(sentence: str) -> bool:
    """True when the sentence tells of something the speaker did or that happened to them ("I recently got back
    from a trip", "we've moved to Porto"), with no hedge or condition in it and three content words at least."""
    if sentence.strip().endswith("?"):
        return False
    words = _WORD.findall(sentence.lower().replace("’", "'"))
    if not words or _HEDGE_WORDS.intersection(words) or words[0] in _ASKS:
        return False
    if sum(1 for w in words if w not in _EMPTY and len(w) > 2) < MIN_CONTENT_WORDS + 1:
        return False
    for i, word in enumerate(words):
        if word not in _SUBJECT and word not in _PERFECT:
            continue
        for at in range(i + 1, min(i + 4, len(words))):
            verb = words[at]
            if verb in _NOT_EVENTS:
                break
            if verb in _IRREGULAR_PAST or (verb.endswith("ed") and len(verb) > 4):
                if verb in ("was", "were") and not _was_event(words, at):
                    break
                return True
            if verb not in _BETWEEN:
                break
    return False


def _was_event(words: list[str], at: int) -> bool:
    """"I was in Lisbon", "we were able to save": yes; "I was wondering", "I was going to": no (a thought, a plan)."""
    following = words[at + 1] if at + 1 < len(words) else ""
    return bool(following) and not following.endswith("ing") and following not in ("gonna", "about", "supposed")


def tells_past_event(text: str) -> bool:
    """True when a message of two sentences or more has one that `past_event_sentence` accepts."""
    sentences = [s for s in (m.group().strip() for m in _SENTENCE.finditer(text)) if s]
    return len(sentences) > 1 and any(past_event_sentence(s) for s in sentences)
