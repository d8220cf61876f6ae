"""Seeded generator of training examples for the memory-ops model.

Every example has the dev-case shape: {"existing": [...], "new": ..., "expect":
{"action", "target", "kind"}} plus "strength" and "decay" targets. Examples
are composed from `families` (store-worthy statements and how they relate) and
the skip generators below (questions, requests, small talk, transient and
hedged statements), padded with unrelated memories so the target is rarely the
only neighbour. The same seed always yields the same list (and hash).
"""

from __future__ import annotations

import hashlib
import json
import random
import re

from . import lexicon as L
from . import text as T
from .chat import STATE_FAMILIES, chat_example, chitchat, _chat
from .families import FAMILIES, _a
from .frames import FRAME_FAMILIES
from .paraphrase import PARAPHRASE_FAMILIES, restate

_TRANSIENT_PRE = ["Just for now", "For this session only", "Only for this chat", "For this answer",
                  "Temporarily", "Just this once", "For the rest of this conversation", "For the next reply",
                  "In this thread only", "For today only", "Right now, just for this task"]
_TRANSIENT_POST = ["just for now", "for this session only", "but only in this chat", "for this answer only",
                   "just this once", "for the moment", "only for this task", "until we finish this thread",
                   "for now", "just for today's chat"]
_HEDGE_PRE = ["Maybe I'll", "I might", "Perhaps I'll", "I'm thinking about whether to", "I guess I could",
              "Not sure yet, but I may", "Possibly I'll", "I'm toying with the idea to", "Someday I might",
              "I could maybe", "Who knows, I might"]
_HEDGE_POST = [", maybe", ", not sure yet", ", but I haven't decided", ", possibly", " someday, perhaps",
               ", if I find the time", ", I'm on the fence"]


def _instruction(r):
    return r.choice([
        f"answer in {r.choice(L.SPOKEN)}", f"use {r.choice(L.LANGS)} for the examples",
        f"keep it under {r.randint(2, 9)}0 words", f"assume I live in {r.choice(L.CITIES)}",
        f"call me {r.choice(L.PEOPLE)}", f"pretend I'm {_a(r.choice(L.JOBS))}", "skip the pleasantries",
        "use bullet points", "be extra formal", "write everything in lowercase", "don't include code",
        f"treat me as a beginner in {r.choice(L.TOPICS)}", "respond like a pirate", "use British spelling",
        f"I prefer answers in {r.choice(L.SPOKEN)}", "I'd like shorter replies", f"I'm using {r.choice(L.TOOLS)}",
        f"my budget is {r.randint(2, 9)}00 euros", f"I'm {r.choice(['vegetarian', 'vegan', 'gluten-free'])}",
    ])


def _action_phrase(r):
    return r.choice([
        f"move to {r.choice(L.CITIES)}", f"{r.choice(L.GOALS)}", f"adopt a {r.choice(L.PETS)}",
        f"take up {r.choice(L.HOBBIES)}", f"switch to {r.choice(L.TOOLS)}", f"learn {r.choice(L.SPOKEN)}",
        f"quit my job at {r.choice(L.COMPANIES)}", f"go vegan", f"buy {r.choice(L.VEHICLES)}",
        f"visit {r.choice(L.COUNTRIES)} next year", f"start {r.choice(L.HOBBIES)} lessons",
    ])


_MINE = ["sourdough", "pizza dough", "laptop", "sourdough starter", "tomato plants", "espresso", "phone battery", "rice",
         "cheesecake", "basil", "wifi", "handwriting", "bike chain"]
_ADJ = ["dense", "slow", "bitter", "dry", "flat", "soggy", "sticky", "weak", "noisy", "pale"]


def question(r):
    c, t, f = r.choice(L.CITIES), r.choice(L.TOPICS), r.choice(L.FOODS)
    tool, tool2 = r.sample(L.TOOLS, 2)
    return r.choice([
        f"What's the best way to learn about {t}?", f"How does {t} work?", f"Can you explain {t}?",
        f"Do you know any good {f} places in {c}?", f"What time is it in {c} right now?", f"Is {f} healthy?",
        f"Which is better, {tool} or {tool2}?", f"Why does my {r.choice(L.PROBLEMS)} keep happening?",
        f"Should I {_action_phrase(r)}?", f"what do you think about {t}", f"How do I make {f} at home?",
        f"Do you think I should {_action_phrase(r)}?", f"What should I cook for my {r.choice(L.RELATIONS)} tonight?",
        f"Where is {c}?", f"how many calories are in {f}?", f"Any tips for {r.choice(L.HOBBIES)}?",
        f"When does the {r.choice(L.APPOINTMENTS)} usually take place?", f"Who invented {t}?",
        f"Is it worth learning {r.choice(L.LANGS)} in 2025?", f"what's the weather like in {c} in {r.choice(L.MONTHS)}?",
        f"Remind me, what did I say about {t}?", f"Could you recommend a book on {t}?",
        f"Why is my {r.choice(_MINE)} always so {r.choice(_ADJ)}?", f"Why does my {r.choice(_MINE)} turn out so {r.choice(_ADJ)}?",
        f"What am I doing wrong with my {r.choice(_MINE)}?", f"How can I make my {r.choice(_MINE)} less {r.choice(_ADJ)}?",
    ])


def request(r):
    t, p = r.choice(L.TOPICS), r.choice(L.PEOPLE)
    return r.choice([
        f"Write a short poem about {t}", f"Summarize this article on {t}", f"Translate this into {r.choice(L.SPOKEN)}",
        f"Give me three gift ideas for my {r.choice(L.RELATIONS)}", f"Draft an email to {p} about the {r.choice(L.PROBLEMS)}",
        f"Fix this {r.choice(L.LANGS)} function", f"Make a packing list for {r.choice(L.CITIES)}",
        f"Explain {t} like I'm five", f"List the pros and cons of {r.choice(L.TOOLS)}",
        f"Please rewrite this paragraph to sound friendlier", f"Generate a SQL query that counts orders per day",
        f"Help me plan a {r.randint(2, 9)}-day trip to {r.choice(L.COUNTRIES)}", f"Check this code for bugs",
        f"Convert {r.randint(2, 99)} miles to kilometres", f"Let's brainstorm names for {r.choice(L.PROJECTS)}",
        f"Tell me a joke about {r.choice(L.JOBS)}s", f"Continue the story from where we left off",
    ])


def smalltalk(r):
    a = r.choice(L.SMALLTALK)
    return r.choice([a, a.capitalize(), f"{a} {r.choice(L.SMALLTALK)}", f"{a}!", f"{a} :)"])


_ONE_OFF = ["screenshot", "draft", "email", "example", "document", "reply", "query", "slide", "chart", "paragraph", "table",
            "translation", "snippet", "summary"]


def transient(r):
    ins = _instruction(r)
    u = r.random()
    if u < 0.25:  # a one-off scope named by its object, or by the day
        noun = r.choice(_ONE_OFF)
        return r.choice([f"{ins[0].upper() + ins[1:]} for this {noun} only", f"Today only, {ins}", f"Only for this {noun}, {ins}",
                         f"Just for this {noun}: {ins}", f"{ins[0].upper() + ins[1:]}, today only"])
    if u < 0.6:
        return f"{r.choice(_TRANSIENT_PRE)}, {ins}"
    return f"{ins[0].upper() + ins[1:]} {r.choice(_TRANSIENT_POST)}"


def hedge(r):
    act = _action_phrase(r)
    if r.random() < 0.6:
        return f"{r.choice(_HEDGE_PRE)} {act}"
    return f"I want to {act}{r.choice(_HEDGE_POST)}"


def firm_goal(r):
    """Not a hedge: a decided plan is a goal worth storing (the contrast that keeps 'I want to' out of skip)."""
    act = _action_phrase(r)
    return r.choice([f"I want to {act}", f"I've decided to {act}", f"I'm going to {act}", f"My plan is to {act}",
                     f"I'm determined to {act}", f"This year I will {act}"])


SKIPS = [(question, 3), (request, 2), (smalltalk, 2), (transient, 3), (hedge, 3)]


def _text_kind(item, family_kind):
    return item if isinstance(item, tuple) else (item, family_kind)


def labels(text: str, kind: str) -> tuple[float, float]:
    """Strength and decay targets: a prior by kind, nudged by emphasis and time words.

    Why: constraints and preferences keep mattering for months; a Tuesday haircut
    stops mattering by Wednesday.
    """
    strength = {"constraint": 0.9, "fact": 0.8, "preference": 0.75, "goal": 0.7, "outcome": 0.7, "event": 0.6}[kind]
    decay = {"constraint": 0.005, "fact": 0.01, "preference": 0.01, "goal": 0.02, "outcome": 0.03, "event": 0.08}[kind]
    low = text.lower()
    if re.search(r"\b(always|never|severe|must|strictly|every)\b", low):
        strength += 0.08
    if re.search(r"\b(today|tonight|tomorrow|this week|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", low) and kind == "event":
        decay = 0.15
    return round(min(strength, 1.0), 3), decay


class _Pool:
    """Unrelated memories used as padding neighbours."""

    def __init__(self, r: random.Random, n: int = 900):
        self.items = []
        for _ in range(n):
            fam = r.choice(FAMILIES)(r)
            text, kind = _text_kind(r.choice(fam["base"] + fam["detail"] + fam["other"]), fam["kind"])
            if r.random() < 0.25:  # stores fed from chats hold chat turns, with a speaker and chit-chat around facts
                a, b = r.sample(L.PEOPLE, 2)
                text = f"{a}: " + (chitchat(r, b) if r.random() < 0.3 else _chat(r, text, b))
            self.items.append({"content": text, "kind": kind})

    def sample(self, r, k):
        return [dict(x) for x in r.sample(self.items, k)]


def _unrelated(a: str, b: str) -> bool:
    sa, sb = T.stems(a), T.stems(b)
    return len(sa & sb) / max(len(sa | sb), 1) < 0.34


def _example(r, pool, existing, new, kind, action, target_mem=None):
    n_pad = min(r.choice([0, 1, 2, 3, 3, 4, 5, 6, 7]), 8 - len(existing))  # the model sees at most 8 neighbours
    # Padding must not accidentally be a duplicate or rival of the new statement.
    pad = [p for p in pool.sample(r, n_pad) if _unrelated(p["content"], new)]
    ex = existing + pad
    r.shuffle(ex)
    target = ex.index(target_mem) if target_mem is not None else None
    strength, decay = labels(new, kind)
    return {"existing": ex, "new": new, "expect": {"action": action, "target": target, "kind": [kind]},
            "strength": strength, "decay": decay}


def _family_example(r, pool):
    u = r.random()
    fam = r.choice(FRAME_FAMILIES if u < 0.27 else PARAPHRASE_FAMILIES if u < 0.47 else STATE_FAMILIES if u < 0.62 else FAMILIES)(r)
    fk = fam["kind"]
    base = [_text_kind(x, fk) for x in fam["base"]]
    pick = lambda key: _text_kind(r.choice(fam[key]), fk)  # noqa: E731
    op = r.choices(["add_fresh", "noop", "update", "supersede", "add_near"], [0.2, 0.2, 0.17, 0.25, 0.18])[0]
    hard = [{"content": t, "kind": k} for t, k in [pick("other")]] if r.random() < 0.4 else []
    if op == "add_fresh":
        text, kind = pick(r.choice(["base", "base", "detail", "change", "other"]))
        return _example(r, pool, hard if op != "add_fresh" else [], text, kind, "add")
    if op == "add_near":
        old = {"content": r.choice(base)[0], "kind": fk}
        text, kind = pick("other")
        return _example(r, pool, [old], text, kind, "add")
    if op == "noop":
        if r.random() < 0.8:
            (a, _), (b, _) = r.sample(base, 2) if len({t for t, _ in base}) > 1 else (base[0], base[0])
        elif r.random() < 0.5:
            a = b = r.choice(base)[0]
        else:
            a, b = pick("detail")[0], r.choice(base)[0]  # a less detailed restatement reinforces
        if r.random() < 0.3:
            b = restate(r, b)
        old = {"content": a, "kind": fk}
        return _example(r, pool, [old] + hard, b, fk, "noop", old)
    if op == "update":
        old = {"content": r.choice(base)[0], "kind": fk}
        text, kind = pick("detail")
        return _example(r, pool, [old] + hard, text, kind, "update", old)
    old_text = r.choice(base)[0] if r.random() < 0.8 else pick("detail")[0]
    old = {"content": old_text, "kind": fk}
    text, kind = pick("change")
    return _example(r, pool, [old] + hard, text, kind, "supersede", old)


def _skip_example(r, pool):
    if r.random() < 0.15:
        return _example(r, pool, [], firm_goal(r), "goal", "add")
    gen = r.choices([g for g, _ in SKIPS], [w for _, w in SKIPS])[0]
    new = gen(r)
    kind = "preference" if gen is transient else ("goal" if gen is hedge else "fact")
    return _example(r, pool, [], new, kind, "skip")


def build(seed: int = 0, n: int = 11000) -> list[dict]:
    """The curriculum for `seed`: 18% skips, 15% chat turns, the rest statements with their neighbours."""
    r = random.Random(seed)
    pool = _Pool(r)
    make = lambda existing, new, kind, action, target: _example(r, pool, existing, new, kind, action, target)  # noqa: E731
    out = []
    for i in range(n):
        u = r.random()
        ex = _skip_example(r, pool) if u < 0.18 else chat_example(r, make) if u < 0.33 else _family_example(r, pool)
        ex["id"] = f"t{seed}-{i:05d}"
        out.append(ex)
    return out


def data_hash(examples: list[dict]) -> str:
    blob = json.dumps(examples, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()
