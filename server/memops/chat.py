"""Conversational turns and the look-alike families the first curriculum lacked.

Real writes are often chat turns ("Mel: Wow! I went camping with the kids last
weekend - have you been?"): several sentences, a speaker, greetings, a question
back. Without them the model read every long turn on a familiar topic as a
restatement or a change, and every turn ending in "?" as a question. Here:

* `chat_example`: turns that carry a fact or an event (add, even with a question
  at the end), pure chit-chat (skip), distinct events on one topic by one speaker
  (add), the same fact from the other speaker (add), and the same fact restated,
  refined or changed by its speaker (noop / update / supersede).
* `STATE_FAMILIES`: changes only world knowledge reveals ("I rent" -> "we bought
  a house"), restatements whose polarity words differ ("I hate X" / "X is not my
  thing"), and habits that look alike but are different facts.

All text is built from `lexicon.py`, written for training only.
"""

from __future__ import annotations

import random

from . import lexicon as L
from .families import FAMILIES, _a

_VENUES = ["the lake", "the museum", "the community centre", "the beach", "the park", "the library", "the old town",
           "a farm outside town", "the botanical garden", "the river trail", "a friend's cabin", "the night market"]
_WHEN = ["yesterday", "last weekend", "last Tuesday", "two weeks ago", "this morning", "last month", "on Saturday",
         "a few days ago", "last night", "over the holidays", "last Friday", "earlier this week"]
_FEEL = ["It was so much fun!", "It was amazing.", "I'm so proud of how it turned out.", "It really helped me relax.",
         "The kids loved it.", "It was exhausting but worth it.", "Honestly it made my week.", "I can't stop thinking about it.",
         "It felt so good.", "What a day!", "I learned a lot."]
_OPEN = ["Hey {o}!", "Thanks, {o}!", "Wow, {o}!", "Yeah,", "Haha,", "Oh nice!", "That's awesome, {o}!", "Aww, thanks!",
         "So much has happened since we last talked!", "Good to hear from you, {o}!", "Totally,", "Hi {o}, hope you're well!",
         "Oh, {o},", "Ha, yes!"]
_ASK_BACK = ["What about you?", "Have you ever tried it?", "How was your week?", "Any plans this weekend?", "What do you think?",
             "How are the kids doing?", "Did you end up going?", "Have you been there?", "How's work going?",
             "Do you want to come next time?"]
_CHEER = ["That sounds amazing!", "You're so talented.", "I'm so happy for you!", "Keep it up!", "That must have been tough.",
          "You must be so proud.", "Sounds like a blast!", "Good luck with everything!", "That's so sweet.",
          "You deserve it.", "Love that!", "I'm glad you had a good time.", "That's really inspiring.", "Take care!"]
_ASK_THEM = ["What was the best part?", "How did it feel?", "Where was it?", "Who did you go with?", "What made you pick that?",
             "How long did it take?", "Was it crowded?", "Are you going again?", "How did the kids like it?"]
_NEED = ["what should I get?", "any tips?", "what would you recommend?", "how should I prepare?", "where do I start?",
         "what do you think I should do?", "can you suggest a plan?", "what should I pack?", "is that a good idea?"]


def _event_texts(r: random.Random) -> tuple[list[str], str]:
    """Several distinct events around one hobby (same topic words, different occasions), and the hobby."""
    h = r.choice(L.HOBBIES)
    rel, rel2 = r.sample(L.RELATIONS, 2)
    w = r.sample(_WHEN, 6)
    v = r.sample(_VENUES, 3)
    n = r.randint(2, 12)
    events = [f"I took a {h} class at {v[0]} {w[0]}", f"I finished my first {h} project {w[1]}",
              f"I signed up for a {h} workshop {w[2]}", f"My {rel} and I tried {h} at {v[1]} {w[3]}",
              f"I entered a {h} competition {w[4]} and came {r.choice(['second', 'third', 'fifth'])}",
              f"I showed my {h} work to {n} people at {v[2]} {w[5]}", f"I bought new gear for {h} {w[0]}",
              f"I went {h} with my {rel2} {w[1]}", f"We spent the whole day {h} at {v[0]} {w[2]}"]
    return r.sample(events, 3), h


_THEMES = ["volunteering at the shelter", "my art", "running", "my family", "my recovery", "the band", "my garden", "teaching",
           "my new job", "the community choir", "photography", "my online shop", "mentoring kids", "cooking for friends",
           "my studies", "the dance studio", "fostering animals", "writing my blog"]
_REFLECT = ["{t} has been such a big part of my life", "I've been thinking a lot about {t} lately",
            "{t} really got me through a rough patch", "I want to share what {t} taught me with others",
            "my {rel} got me into {t} years ago", "some days {t} is exhausting, but I keep going",
            "{t} showed me how much I can grow", "I started {t} {when} and never looked back",
            "people keep asking me how I find time for {t}", "I'm hoping to turn {t} into something bigger next year",
            "{t} connects me with people I'd never have met", "I spent {when} on {t} and it felt great",
            "I learned to be patient through {t}", "{t} is where I feel most like myself",
            "my {rel} thinks {t} changed me for the better", "I had a setback with {t} {when}, but I'm back at it"]


def theme_turns(r: random.Random) -> tuple[str, str]:
    """Two things one person says about the same theme in a chat: shared words, two different statements."""
    t = r.choice(_THEMES)
    a, b = r.sample(_REFLECT, 2)
    fill = lambda s: s.format(t=t, rel=r.choice(L.RELATIONS), when=r.choice(_WHEN))  # noqa: E731
    up = lambda s: s[0].upper() + s[1:]  # noqa: E731
    return up(fill(a)), up(fill(b))


def _chat(r: random.Random, body: str, other: str, ask_back: float = 0.35) -> str:
    """Wrap a statement in a chat turn: maybe a greeting before, a feeling or a question back after."""
    parts = []
    if r.random() < 0.6:
        parts.append(r.choice(_OPEN).format(o=other))
    body = body.rstrip(".") + r.choice([".", "!", "."])
    if parts and parts[-1].endswith(",") and not body.startswith(("I ", "I'")):
        body = body[0].lower() + body[1:]
    parts.append(body)
    if r.random() < 0.4:
        parts.append(r.choice(_FEEL))
    if r.random() < ask_back:
        parts.append(r.choice(_ASK_BACK))
    return " ".join(parts)


def _say(speaker: str | None, text: str) -> str:
    return f"{speaker}: {text}" if speaker else text


def chitchat(r: random.Random, other: str) -> str:
    """A turn with nothing about the speaker: greetings, cheering, questions to the other person."""
    parts = [r.choice(_OPEN).format(o=other)] if r.random() < 0.7 else []
    cheer = r.sample(_CHEER, r.choice([1, 1, 2]))
    if parts and parts[0].endswith(","):
        cheer[0] = cheer[0][0].lower() + cheer[0][1:]
    parts += cheer
    if r.random() < 0.6:
        parts.append(r.choice(_ASK_THEM))
    return " ".join(parts)


def _fact(r: random.Random) -> tuple[dict, str, str]:
    fam = r.choice(FAMILIES)(r)
    item = r.choice(fam["base"])
    text, kind = item if isinstance(item, tuple) else (item, fam["kind"])
    return fam, text, kind


def _tk(item, kind):
    return item if isinstance(item, tuple) else (item, kind)


def chat_example(r: random.Random, make) -> dict:
    """One conversational example; `make(existing, new, kind, action, target)` pads and labels it."""
    me, them = r.sample(L.PEOPLE, 2)
    spk = r.random() < 0.7
    a, b = (me, them) if spk else (None, None)
    op = r.choices(["fact", "ask_fact", "chitchat", "events", "other_speaker", "noop", "update", "supersede", "theme", "chitchat_again"],
                   [0.13, 0.13, 0.12, 0.15, 0.08, 0.08, 0.06, 0.09, 0.11, 0.05])[0]
    # Neighbours from the same conversation: the other person's chit-chat and a fact of theirs.
    ctx = [{"content": _say(b, chitchat(r, me)), "kind": "fact"}] if spk and r.random() < 0.5 else []
    if op == "chitchat":
        return make(ctx, _say(a, chitchat(r, them)), "fact", "skip", None)
    if op == "chitchat_again":  # the same person cheering again: nothing to keep, nothing to replace
        old = [{"content": _say(a, chitchat(r, them)), "kind": "fact"} for _ in range(r.choice([1, 2]))]
        return make(old + ctx, _say(a, chitchat(r, them)), "fact", "skip", None)
    if op == "theme":  # the same theme again: a new statement, even though the words and the speaker repeat
        t1, t2 = theme_turns(r)
        old = [{"content": _say(a, _chat(r, t1, them, 0.3)), "kind": "fact"}]
        return make(old + ctx, _say(a, _chat(r, t2, them, 0.3)), r.choice(["fact", "event", "preference"]), "add", None)
    if op == "ask_fact":
        _, text, kind = _fact(r)
        need = r.choice(_NEED)
        new = r.choice([f"{text} - {need}", f"{text}, so {need}", f"{need[0].upper() + need[1:]} {text}.",
                        f"{text}. {need[0].upper() + need[1:]}"])
        return make(ctx, _say(a, new), kind, "add", None)
    if op == "fact":
        _, text, kind = _fact(r)
        return make(ctx, _say(a, _chat(r, text, them, 0.5)), kind, "add", None)
    if op == "events":
        events, _ = _event_texts(r)
        old = [{"content": _say(a, _chat(r, e, them)), "kind": "event"} for e in events[: r.choice([1, 2])]]
        return make(old + ctx, _say(a, _chat(r, events[2], them)), "event", "add", None)
    fam, text, kind = _fact(r)
    old = {"content": _say(a, _chat(r, text, them, 0.2)), "kind": kind}
    if op == "other_speaker":
        if not spk:
            a, b = me, them
            old = {"content": _say(a, _chat(r, text, them, 0.2)), "kind": kind}
        mine = r.choice(fam["base"])
        mine = mine[0] if isinstance(mine, tuple) else mine
        return make([old] + ctx, _say(b, _chat(r, mine.rstrip(".") + r.choice(["", " too", " as well"]), me)), kind, "add", None)
    if op == "noop":
        again = r.choice([t for t in fam["base"] if _tk(t, kind)[0] != text] or [text])
        return make([old] + ctx, _say(a, _chat(r, _tk(again, kind)[0], them, 0.2)), kind, "noop", old)
    key = "detail" if op == "update" else "change"
    new_text, new_kind = _tk(r.choice(fam[key]), fam["kind"])
    return make([old] + ctx, _say(a, _chat(r, new_text, them, 0.2)), new_kind, op, old)


# -- families of statements (same dict shape as `families.py`) ------------------------------------------------
def state_change(r: random.Random) -> dict:
    """A state and what ends it; the words barely overlap, only knowing the world links them."""
    co, c = r.choice(L.COMPANIES), r.choice(L.CITIES)
    rel, pj = r.choice(L.RELATIONS), r.choice(L.PROJECTS)
    al, g = r.choice(L.ALLERGENS), r.choice(L.GENRES)
    veh, lang = r.choice(L.VEHICLES), r.choice(L.SPOKEN)
    race = r.choice(["the Porto half marathon", "a triathlon in Ghent", "the Bergen 10k", "the city marathon", "a 100 km bike race",
                     "the Lyon trail race", "an open-water swim in Perth"])
    topic, room = r.choice(L.TOPICS), r.choice(["kitchen", "bathroom", "attic", "living room", "garden shed"])
    states = [
        ("fact", ["I'm not dating anyone at the moment", "I'm unattached", "No partner for me right now"],
         ["I have a girlfriend now", "My partner and I just moved in together", "I proposed last weekend and she said yes"],
         f"My {rel} is single"),
        ("fact", ["I rent a flat", "I'm a tenant, I pay rent every month", "We're renting our place"],
         ["We finally bought a house", "We're homeowners now", "I signed the mortgage papers last week"],
         f"My {rel} rents a flat in {c}"),
        ("fact", ["I'm between jobs", "I'm currently out of work", "I don't have a job right now"],
         [f"I got an offer from {co} and start Monday", f"I'm employed again, at {co}", f"{co} hired me last week"],
         f"My {rel} is out of work"),
        ("constraint", [f"I react badly to {al}", f"{al.capitalize()} give me hives" if al.endswith("s") else f"{al.capitalize()} gives me hives",
                        f"I have a {al} allergy"],
         [f"My allergist cleared me for {al}", f"The {al} test came back clear", f"I outgrew my {al} allergy"],
         f"My {rel} reacts badly to {al}"),
        ("outcome", [f"The nightly build of {pj} is passing", f"CI is green for {pj}", f"The {pj} pipeline runs cleanly"],
         [f"The {pj} pipeline has been red since Monday", f"CI keeps breaking on {pj}", f"The nightly build of {pj} crashes every run"],
         f"The nightly build of our other service is passing"),
        ("preference", [f"{g.capitalize()} does nothing for me", f"I've never liked {g}", f"I skip every {g} track"],
         [f"I've fallen for {g} lately", f"{g.capitalize()} is all I play these days", f"I'm obsessed with {g} now"],
         f"My {rel} has never liked {g}"),
        ("fact", ["I'm a student", f"I'm studying at the university in {c}", "I'm still at university"],
         ["I graduated in the spring", "I finished my degree and left university", "I'm done with university, I have my diploma"],
         f"My {rel} is a student in {c}"),
        ("fact", ["I don't own a car", "I get everywhere by bus, no car", "I've never had a car"],
         [f"I just bought {veh}", f"I picked up {veh} from the dealer", f"I drive {veh} now"],
         f"My {rel} doesn't own a car"),
        ("fact", [f"My {rel} lives with us", f"My {rel} shares our flat", f"We live with my {rel}"],
         [f"My {rel} moved out last month", f"My {rel} got a place of their own", f"It's just us now, my {rel} left"],
         f"Our neighbour lives with their {rel}"),
        ("goal", [f"I'm preparing for my {lang} exam", f"My {lang} exam is coming up and I'm cramming"],
         [f"I passed my {lang} exam", f"The {lang} exam is behind me, I got a B"],
         f"My {rel} is preparing for a {lang} exam"),
        ("fact", ["I have long hair", "My hair reaches my shoulders"],
         ["I cut my hair really short", "I shaved my head last week"], f"My {rel} has long hair"),
        ("constraint", [f"I'm allergic to {al}", f"{al.capitalize()} sets off my allergy"],
         [f"My allergy test came back negative for {al}", f"The allergist says the {al} allergy is gone"], f"My {rel} is allergic to {al}"),
        # A goal or a process and its completion: the plan no longer holds as stated.
        ("goal", [f"I'm training for {race}", f"I'm getting ready to run {race}", f"{race.capitalize()} is what I'm training for"],
         [(f"I finished {race} in {r.randint(2, 5)}:{r.randint(10, 59)}!", "outcome"), (f"I ran {race} last weekend and crossed the line!", "outcome"),
          (f"Done! I completed {race}", "outcome")], f"My {rel} is training for {race}"),
        ("goal", [f"I'm saving up for {veh}", f"Every spare euro goes towards {veh}"],
         [(f"I finally bought {veh}", "outcome"), (f"{veh.capitalize()} is parked outside my house now, I bought it", "outcome")],
         f"My {rel} is saving up for {veh}"),
        ("goal", [f"I'm applying to {co}", f"I sent my application to {co}"],
         [(f"{co} hired me!", "outcome"), (f"I got the job at {co}", "outcome"), (f"{co} turned me down", "outcome")],
         f"My {rel} is applying to {co}"),
        ("goal", [f"I'm writing my thesis on {topic}", f"My thesis about {topic} is in progress"],
         [(f"I handed in my thesis on {topic}", "outcome"), (f"I defended my thesis last week", "outcome")],
         f"My {rel} is writing a thesis on {topic}"),
        ("fact", [f"We're renovating the {room}", f"The {room} is a building site at the moment"],
         [f"The {room} renovation is finished", f"Our new {room} is done at last"], f"My {rel} is renovating the {room}"),
    ]
    kind, base, change, other = r.choice(states)
    return dict(kind=kind, base=base, detail=[base[0] + r.choice([f", since {r.choice(L.MONTHS)}", ", for a while now"])],
                change=change, other=[other])


def polarity_restatement(r: random.Random) -> dict:
    """One fact said with and without negative words; the real opposite is the change."""
    x, f = r.choice(L.HOBBIES), r.choice(L.FOODS)
    pb, fx, pj = r.choice(L.PROBLEMS), r.choice(L.FIXES), r.choice(L.PROJECTS)
    rel = r.choice(L.RELATIONS)
    sets = [
        ("preference", [f"I hate {f}", f"I can't stand {f}", f"{f.capitalize()} is not my thing", f"I never want {f}"],
         [f"I've started to love {f}", f"{f.capitalize()} has grown on me, I like it now"], f"My {rel} hates {f}"),
        ("preference", [f"I love {x}", f"I can't get enough of {x}", f"I never get tired of {x}", f"Nothing beats {x} for me"],
         [f"I'm bored of {x} now", f"I've stopped enjoying {x}"], f"My {rel} loves {x}"),
        ("outcome", [f"{fx.capitalize()} fixed the {pb} in {pj}", f"The {pb} in {pj} hasn't come back since {fx}",
                     f"No more {pb} in {pj} after {fx}", f"The {pb} in {pj} stopped once we tried {fx}"],
         [f"The {pb} in {pj} is back despite {fx}", f"{fx.capitalize()} did nothing for the {pb} in {pj}"],
         f"{fx.capitalize()} fixed a different bug in {pj}"),
        ("fact", ["I'm always on time", "I'm never late", "I don't show up late, ever"],
         ["I've been late to everything lately", "I'm constantly running late these days"], f"My {rel} is never late"),
        ("fact", ["I'm an only child", "I don't have any siblings", "No brothers or sisters for me"],
         ["I found out I have a half-sister", "Turns out I have a brother I never knew about"], f"My {rel} is an only child"),
        ("fact", ["I live alone", "I don't have roommates", "Nobody else lives in my flat"],
         ["I have a roommate now", "A friend moved into my spare room"], f"My {rel} lives alone"),
        ("constraint", ["I don't drink alcohol", "I'm teetotal", "Alcohol isn't something I touch"],
         ["I have the odd glass of wine now", "I started drinking socially again"], f"My {rel} doesn't drink alcohol"),
        ("fact", ["I'm free every evening this week", "None of my evenings are booked this week", "I have no plans any night this week"],
         ["My evenings are fully booked this week", "Every night this week is taken"], f"My {rel} is free every evening"),
    ]
    kind, base, change, other = r.choice(sets)
    return dict(kind=kind, base=base, detail=[base[0] + r.choice([", and that won't change", f", says my {rel} too"])],
                change=change, other=[other])


def lookalike_habit(r: random.Random) -> dict:
    """Habits that share a frame: another activity on another day is a new fact, the same one moved is a change."""
    (act, unit), (act2, unit2) = r.sample([("run", "km"), ("swim", "km"), ("cycle", "km"), ("walk", "km"), ("row", "km"),
                                           ("practise piano", "minutes"), ("meditate", "minutes"), ("lift weights", "sets")], 2)
    d, d2, d3 = r.sample(L.DAYS, 3)
    n, n2 = r.sample([2, 3, 4, 6, 7, 8, 12, 15, 20, 30, 45], 2)
    veh = r.choice(["train", "bus", "tram", "ferry"])
    p1, p2 = r.sample(["to the office", "to see my parents", "to the gym", "to my night class", "to the airport", "to visit my grandmother"], 2)
    if r.random() < 0.5:
        return dict(kind="fact",
                    base=[f"I {act} {n} {unit} on {d}s", f"Every {d} I {act} {n} {unit}", f"On {d}s I {act} {n} {unit}"],
                    detail=[f"I {act} {n} {unit} on {d}s before breakfast"],
                    change=[f"I {act} {n2} {unit} on {d}s now", f"I {act} {n} {unit} on {d2}s now, not {d}s", f"I {act} on {d2}s instead"],
                    other=[f"I {act2} {n2} {unit2} on {d3}s", f"On {d2}s I {act2} {n} {unit2}", f"My partner does {n} {unit} on {d}s"])
    return dict(kind="fact",
                base=[f"I take the {veh} {p1}", f"I ride the {veh} {p1}", f"The {veh} is how I get {p1}"],
                detail=[f"I take the {veh} {p1}, it's about {n} minutes"],
                change=[f"I stopped taking the {veh} {p1}, I cycle now", f"I drive {p1} now instead of taking the {veh}"],
                other=[f"I take the {veh} {p2}", f"I take the {veh} {p2} on {d}s"])


def likes_and_dislikes(r: random.Random) -> dict:
    """A taste and its neighbours: disliking another thing is a new fact, not a contradiction; going off it is."""
    g, g2 = r.sample(L.GENRES + L.BOOKS_GENRES, 2)
    rel = r.choice(L.RELATIONS)
    return dict(kind="preference",
                base=[f"I like {g}", f"I'm into {g}", f"{g[0].upper() + g[1:]} is my kind of thing", f"I'm a fan of {g}"],
                detail=[f"I like {g}, mostly the older stuff", f"I'm into {g}, especially live"],
                change=[f"I don't like {g} anymore", f"I've gone off {g}", f"I'm tired of {g} these days"],
                other=[f"I don't like {g2}", f"I can't stand {g2}", f"I'm not into {g2} at all", f"I also like {g2}", f"My {rel} likes {g}"])


STATE_FAMILIES = [state_change, state_change, polarity_restatement, lookalike_habit, likes_and_dislikes]
