"""Statement families for the training curriculum.

A family samples lexicon values and returns the ways a user might say one fact:
`base` (paraphrases of the same fact -> noop), `detail` (same fact plus detail
-> update), `change` (the fact no longer holds -> supersede) and `other`
(same topic, compatible new fact, e.g. another subject or another item -> add).
Strings may be (text, kind) when they carry a different kind from the family.
"""

from __future__ import annotations

import random

from . import lexicon as L

Family = dict


def _two(r: random.Random, xs):
    a, b = r.sample(xs, 2)
    return a, b


def _a(word: str) -> str:
    return ("an " if word[0].lower() in "aeiou" else "a ") + word


def lives(r):
    c, c2 = _two(r, L.CITIES)
    rel = r.choice(L.RELATIONS)
    return dict(kind="fact",
        base=[f"I live in {c}", f"My home is in {c}", f"I'm based in {c}", f"Home for me is {c}",
              f"I reside in {c}", f"I've been living in {c} for a while", f"{c} is where I live"],
        detail=[f"I live in {c}, in a flat near the old harbour", f"I live in {c} with my {rel}",
                f"I'm based in {c}, in the northern part of the city", f"My home is in {c}; I rent a small place downtown"],
        change=[f"I moved to {c2}", f"I live in {c2} now", f"I no longer live in {c}; I relocated to {c2}",
                f"We left {c} and settled in {c2}", f"Home is {c2} these days, not {c}", f"Correction: I live in {c2}, not {c}",
                f"I moved from {c} to {c2} in the {r.choice(['spring', 'summer', 'autumn', 'winter'])}", f"I relocated from {c} to {c2} last year"],
        other=[f"My {rel} lives in {c}", f"My {rel} lives in {c2}", f"I grew up in {c2}", f"I was born in {c2}"],
        ask=["Where do I live?", "Which city am I based in?", "where is my home"])


def job(r):
    j, j2 = _two(r, L.JOBS)
    rel, co, n = r.choice(L.RELATIONS), r.choice(L.COMPANIES), r.randint(2, 15)
    return dict(kind="fact",
        base=[f"I work as {_a(j)}", f"I'm {_a(j)} by profession", f"I earn my living as {_a(j)}",
              f"Professionally, I'm {_a(j)}", f"My job: {j}", f"I'm {_a(j)}"],
        detail=[f"I work as {_a(j)} at {co}", f"I'm {_a(j)} and have been for {n} years",
                f"I'm {_a(j)}, mostly on night shifts", f"I work as {_a(j)} in a small team of {n}"],
        change=[f"I'm not {_a(j)} anymore; I retrained as {_a(j2)}", f"I now work as {_a(j2)}",
                f"I switched careers and became {_a(j2)}", f"I quit being {_a(j)} and now I'm {_a(j2)}"],
        other=[f"My {rel} is {_a(j)}", f"My {rel} works as {_a(j2)}", f"I also do some freelance work as {_a(j2)}"],
        ask=["What do I do for a living?", "What is my profession?", "what's my job"])


def employer(r):
    co, co2 = _two(r, L.COMPANIES)
    rel, c = r.choice(L.RELATIONS), r.choice(L.CITIES)
    return dict(kind="fact",
        base=[f"I work at {co}", f"I'm employed by {co}", f"My employer is {co}", f"I have a job at {co}",
              f"{co} is the company I work for"],
        detail=[f"I work at {co} on the platform team", f"I work at {co}, in their {c} office",
                f"I'm employed by {co} as a contractor"],
        change=[f"I left {co} and joined {co2}", f"I work at {co2} now", f"No longer at {co}; I started at {co2}",
                f"I got hired by {co2}, so I'm done with {co}"],
        other=[f"My {rel} works at {co}", f"My {rel} works at {co2}", f"{co2} is one of our clients"],
        ask=["Which company do I work for?", "Who is my employer?", "where do I work"])


def pet(r):
    p, p2 = _two(r, L.PETS)
    nm, nm2 = _two(r, L.PET_NAMES)
    rel, n = r.choice(L.RELATIONS), r.randint(2, 14)
    return dict(kind="fact",
        base=[f"I have a {p} named {nm}", f"My {p} is called {nm}", f"{nm} is my {p}",
              f"I own a {p}; its name is {nm}", f"Our {p}'s name is {nm}"],
        detail=[f"I have a {p} named {nm} who is {n} years old", f"My {p} {nm} is a rescue from a shelter",
                f"{nm}, my {p}, is {n} and very lazy", f"My {p} {nm} is {n} and has a sensitive stomach"],
        change=[f"My {p} is actually called {nm2}, not {nm}", f"Correction: my {p}'s name is {nm2}",
                (f"Sadly {nm}, my {p}, passed away last month", "event"), f"We gave {nm} the {p} to my {rel}, so we have no {p} now"],
        other=[f"I also have a {p2} named {nm2}", f"My {rel} has a {p} named {nm2}", f"We adopted a second {p} called {nm2}"],
        ask=[f"What is my {p} called?", f"What's the name of my {p}?", "Do I have any pets?"])


def food_like(r):
    f, f2 = _two(r, L.FOODS)
    rel = r.choice(L.RELATIONS)
    return dict(kind="preference",
        base=[f"I love {f}", f"{f.capitalize()} is one of my favourite foods", f"I really enjoy eating {f}",
              f"I'm a big fan of {f}", f"I could eat {f} every day", f"Give me {f} any day of the week"],
        detail=[f"I love {f}, especially the spicy kind", f"I love {f}, particularly from the stall near my office",
                f"I enjoy {f}, mostly homemade on weekends", f"I'm a big fan of {f}, with extra chilli"],
        change=[f"I can't stand {f} anymore", f"I've gone off {f} completely", f"I don't like {f} any more",
                f"Actually I hate {f}", f"I used to love {f} but now I dislike it", f"{f.capitalize()} makes me sick now, I avoid it"],
        other=[f"I also love {f2}", f"I love {f2}", f"{f2.capitalize()} is another favourite of mine", f"My {rel} loves {f}"],
        ask=["What food do I like?", "What should I order for dinner that I'd enjoy?", "what dishes do I love"])


def favourite(r):
    cat, xs = r.choice([("music genre", L.GENRES), ("drink", L.DRINKS), ("team", L.SPORTS_TEAMS),
                        ("kind of book", L.BOOKS_GENRES), ("city", L.CITIES)])
    x, x2 = _two(r, xs)
    rel = r.choice(L.RELATIONS)
    return dict(kind="preference",
        base=[f"My favourite {cat} is {x}", f"{x} is my all-time favourite {cat}",
              f"If I had to pick one {cat}, it'd be {x}", f"Nothing beats {x} for me when it comes to {cat}",
              f"My number one {cat}? {x}"],
        detail=[f"My favourite {cat} is {x}, ever since I was a teenager", f"{x} is my favourite {cat}, mainly because of my dad",
                f"My favourite {cat} is {x}, no contest, for over ten years"],
        change=[f"My favourite {cat} is {x2} now", f"These days {x2} has replaced {x} as my favourite {cat}",
                f"I'm over {x}; {x2} is my favourite {cat}", f"Not {x} any more: my favourite {cat} is {x2}"],
        other=[f"My {rel}'s favourite {cat} is {x}", f"My {rel}'s favourite {cat} is {x2}", f"I also like {x2} now and then"])


_NUMERIC = [
    ("fact", ["I run {n} km every morning", "Every morning I do a {n} kilometre run", "My morning run is {n} km",
              "Each day starts with a {n}k run for me"], ["I run {n} km every morning along the river",
              "I run {n} km every morning before work, rain or shine"], "My {rel} runs {n} km every morning", (3, 21)),
    ("fact", ["My rent is {n}00 a month", "I pay {n}00 in rent each month", "Monthly rent for my flat is {n}00",
              "Rent costs me {n}00 per month"], ["My rent is {n}00 a month, bills included",
              "I pay {n}00 a month for a two-bedroom flat"], "My {rel} pays {n}00 in rent", (6, 30)),
    ("fact", ["I have {n} kids", "I'm a parent of {n} children", "We have {n} children", "I'm a {w} of {n}"],
     ["I have {n} kids, all under ten", "I have {n} kids and they all go to the same school"],
     "My {rel} has {n} kids", (1, 6)),
    ("fact", ["I sleep about {n} hours a night", "I usually get {n} hours of sleep", "Most nights I sleep {n} hours"],
     ["I sleep about {n} hours a night, usually from midnight", "I get {n} hours of sleep, with a nap on weekends"],
     "My {rel} sleeps {n} hours a night", (5, 10)),
    ("preference", ["I drink {n} cups of coffee a day", "My daily coffee intake is {n} cups", "I have {n} coffees every day"],
     ["I drink {n} cups of coffee a day, always black", "I have {n} coffees a day, the first at 6am"],
     "My {rel} drinks {n} cups of coffee a day", (1, 7)),
    ("constraint", ["My budget for the trip is {n}00 euros", "I can spend at most {n}00 euros on the trip",
                    "The trip must cost no more than {n}00 euros"], ["My budget for the trip is {n}00 euros, flights included",
                    "I can spend at most {n}00 euros on the trip, split with my partner"],
     "My {rel}'s budget for the trip is {n}00 euros", (3, 40)),
    ("fact", ["I'm {n} years old", "My age is {n}", "I turned {n} this year"], ["I'm {n} years old and a {sign} by birthday"],
     "My {rel} is {n} years old", (19, 70)),
    ("fact", ["Our team has {n} engineers", "There are {n} engineers on my team", "My team is {n} engineers strong"],
     ["Our team has {n} engineers, split across two time zones", "There are {n} engineers on my team plus one designer"],
     "My {rel}'s team has {n} engineers", (3, 25)),
    ("constraint", ["Keep your answers under {n}0 words", "Responses should be no longer than {n}0 words",
                    "I want replies capped at {n}0 words"], ["Keep your answers under {n}0 words, and skip the intro"],
     "My {rel} wants answers under {n}0 words", (2, 30)),
    ("goal", ["I want to save {n}000 euros this year", "My goal is to put aside {n}000 euros by December",
              "I'm aiming to save {n}000 euros in savings this year"], ["I want to save {n}000 euros this year for a new kitchen"],
     "My {rel} wants to save {n}000 euros", (2, 50)),
]


def numeric(r):
    kind, base, detail, other, (lo, hi) = r.choice(_NUMERIC)
    n, n2 = r.sample(range(lo, hi + 1), 2)
    fill = dict(rel=r.choice(L.RELATIONS), w=r.choice(["mother", "father", "parent"]), sign=r.choice(["Leo", "Virgo"]))
    b = [t.format(n=n, **fill) for t in base]
    ch = [t.format(n=n2, **fill) for t in base]
    changes = [r.choice(["Actually, ", "Update: ", "Correction: ", ""]) + (c[0].lower() + c[1:] if c[0] != "I" else c) for c in ch]
    changes += [f"{c}, not {n}" for c in ch[:1]] + [f"{c} now" for c in ch[1:2]]
    return dict(kind=kind, base=b, detail=[t.format(n=n, **fill) for t in detail], change=changes,
                other=[other.format(n=n, **fill), other.format(n=n2, **fill)])


def appointment(r):
    a, a2 = _two(r, L.APPOINTMENTS)
    d, d2 = _two(r, L.DAYS)
    t, t2 = _two(r, L.TIMES)
    p, p2 = _two(r, L.PEOPLE)
    rel = r.choice(L.RELATIONS)
    return dict(kind="event",
        base=[f"My {a} is on {d} at {t}", f"I have my {a} {d} at {t}", f"{d} at {t}: {a}",
              f"The {a} is booked for {d}, {t}", f"I'm booked in for the {a} at {t} on {d}"],
        detail=[f"My {a} is on {d} at {t} with {p}", f"My {a} is on {d} at {t}, at the place on the high street",
                f"I have my {a} {d} at {t}; I need to bring my forms", f"My {a} on {d} at {t} should take about an hour"],
        change=[f"My {a} got moved to {d2}", f"The {a} is now on {d2} at {t}", f"They rescheduled my {a} to {t2}",
                f"My {a} was cancelled", f"My {a} is on {d2}, not {d}", f"The {a} is with {p2} now instead of {p}"],
        other=[f"My {rel} has a {a} on {d} too", f"I have a {a2} on {d}", f"I'm having lunch with {p2} on {d}"],
        ask=[f"When is my {a}?", f"What day is the {a}?", f"what time is my {a}"])


def allergy(r):
    al, al2 = _two(r, L.ALLERGENS)
    rel = r.choice(L.RELATIONS)
    return dict(kind="constraint",
        base=[f"I'm allergic to {al}", f"I can't eat {al}, I'm allergic", f"{al.capitalize()} gives me an allergic reaction",
              f"I have an allergy to {al}", f"Keep {al} away from me, allergy"],
        detail=[f"I'm allergic to {al} and carry an EpiPen", f"I have a severe allergy to {al}, even traces",
                f"I'm allergic to {al}; it gives me hives within minutes"],
        change=[f"I'm not allergic to {al} anymore; I outgrew it", f"My allergist says I'm no longer allergic to {al}",
                f"Turns out I'm not actually allergic to {al}", f"I can eat {al} again, the allergy is gone"],
        other=[f"I'm also allergic to {al2}", f"My {rel} is allergic to {al}", f"I'm allergic to {al2}"],
        ask=["What am I allergic to?", "Do I have any allergies?", "which foods should I avoid"])


_DIETS = ["lacto-vegetarian", "plant-based", "pescatarian", "gluten-free", "keto", "halal", "kosher"]


def diet(r):
    d, d2 = _two(r, _DIETS)
    rel = r.choice(L.RELATIONS)
    return dict(kind="constraint",
        base=[f"I'm {d}", f"I follow a {d} diet", f"I eat {d}, strictly", f"My diet is {d}"],
        detail=[f"I'm {d}, but I make an exception at family dinners", f"I've been {d} for six years for ethical reasons",
                f"I follow a {d} diet, so please account for it in recipes"],
        change=[f"I'm not {d} any more", f"I stopped being {d} last month", f"I switched from {d} to {d2}",
                f"I'm {d2} now"],
        other=[f"My {rel} is {d}", f"My {rel} is {d2}", f"My {rel} follows a {d2} diet"],
        ask=["What diet do I follow?", "Are there foods I don't eat?", "what are my dietary restrictions"])


def schedule(r):
    t, t2 = _two(r, L.TIMES)
    d, d2 = _two(r, L.DAYS)
    rel = r.choice(L.RELATIONS)
    form = r.random() < 0.5
    if form:
        return dict(kind="constraint",
            base=[f"Don't schedule meetings before {t}", f"I'm not available for meetings before {t}",
                  f"No meetings earlier than {t}", f"Meetings before {t} don't work for me"],
            detail=[f"Don't schedule meetings before {t}, I do the school run", f"No meetings earlier than {t} on weekdays"],
            change=[f"I can take meetings from {t2} now", f"Meetings before {t} are fine now",
                    f"My earliest meeting time is {t2} now", f"Scrap the no-meetings-before-{t} rule"],
            other=[f"My {rel} can't meet before {t}", f"I also can't do meetings after {t2}"])
    return dict(kind="constraint",
        base=[f"I'm unavailable on {d}s", f"I can't do anything on {d}s", f"{d}s are off limits for me",
              f"Never book me on a {d}"],
        detail=[f"I'm unavailable on {d}s because of my {rel}", f"I can't do anything on {d}s, I volunteer all day"],
        change=[f"I'm free on {d}s now", f"{d}s work for me again", f"I'm unavailable on {d2}s now instead of {d}s"],
        other=[f"My {rel} is unavailable on {d}s", f"I'm also unavailable on {d2}s"])


_FORMATS = ["numbered lists", "tables", "short paragraphs", "headings", "bold keywords", "emoji", "plain prose", "bullet lists",
            "code blocks", "one-line answers"]


def style(r):
    lang, lang2 = _two(r, L.SPOKEN)
    fm, fm2 = _two(r, _FORMATS)
    pl, pl2 = _two(r, L.LANGS)
    opts = [
        ("constraint", [f"Always answer me in {lang}", f"Reply in {lang} from now on", f"I want every answer in {lang}"],
         [f"Always answer me in {lang}, but keep code comments in English"],
         [f"Answer me in {lang2} from now on, not {lang}", f"Stop using {lang}; reply in {lang2}"],
         [f"My {r.choice(L.RELATIONS)} prefers {lang}"]),
        ("preference", [f"Use {pl} for code examples", f"I prefer code samples in {pl}", f"Show me examples in {pl} by default"],
         [f"Use {pl} for code examples, with type hints where possible"],
         [f"Use {pl2} for code examples instead of {pl}", f"I've moved from {pl} to {pl2}, show examples in that"],
         [f"I'm also learning {pl2}"]),
        ("preference", ["I prefer short, direct answers", "Keep answers brief", "Concise replies suit me best"],
         ["I prefer short, direct answers with a summary line first"],
         ["I prefer long, detailed answers now", "Give me thorough, detailed explanations from now on"],
         ["I like answers with bullet points"]),
        ("preference", ["I prefer tabs over spaces", "Indent with tabs, not spaces", "Tabs are my indentation of choice"],
         ["I prefer tabs over spaces, width four"],
         ["I prefer spaces over tabs", "Indent with spaces, not tabs"], ["I like a dark editor theme"]),
        ("preference", [f"I like answers formatted as {fm}", f"Use {fm} in your replies", f"Format replies with {fm}, please"],
         [f"I like answers formatted as {fm}, with a one-line summary on top"],
         [f"Stop using {fm}; I prefer {fm2}", f"No more {fm}, give me {fm2} instead", f"Drop the {fm}, I want {fm2}"],
         [f"My {r.choice(L.RELATIONS)} likes {fm2}"]),
        ("constraint", ["Use metric units", "Give measurements in metric", "Always metric units, please"],
         ["Use metric units, and Celsius for temperatures"],
         ["Use imperial units from now on", "Switch to imperial units instead of metric"],
         ["I also like dates written day first"]),
    ]
    kind, base, detail, change, other = r.choice(opts)
    return dict(kind=kind, base=base, detail=detail, change=change, other=other)


def editor(r):
    t, t2 = _two(r, L.TOOLS)
    pl, pl2 = _two(r, L.LANGS)
    if r.random() < 0.5:
        return dict(kind="preference",
            base=[f"I use {t} as my editor", f"My editor of choice is {t}", f"I write all my code in {t}", f"{t} is the editor I use"],
            detail=[f"I use {t} as my editor with a custom dark theme", f"I use {t} with vim keybindings"],
            change=[f"I switched from {t} to {t2}", f"I use {t2} now instead of {t}", f"I ditched {t}; {t2} is my editor now"],
            other=[f"I also use {t2} for quick edits", f"My team uses {t2}"])
    return dict(kind="fact",
        base=[f"I mainly program in {pl}", f"{pl} is my main language", f"Most of my code is written in {pl}"],
        detail=[f"I mainly program in {pl}, mostly backend services", f"{pl} is my main language for data work and scripts"],
        change=[f"I've moved from {pl} to {pl2} for most work", f"I mostly write {pl2} now, not {pl}"],
        other=[f"I'm also learning {pl2}", f"My {r.choice(L.RELATIONS)} codes in {pl}"])


def hobby(r):
    h, h2 = _two(r, L.HOBBIES)
    rel, c = r.choice(L.RELATIONS), r.choice(L.CITIES)
    return dict(kind="preference",
        base=[f"I do {h} on weekends", f"{h.capitalize()} is my hobby", f"In my spare time I enjoy {h}",
              f"My favourite pastime is {h}", f"I'm really into {h}"],
        detail=[f"I do {h} on weekends at a club in {c}", f"I'm really into {h}; I go three times a week",
                f"{h.capitalize()} is my hobby, and I've done it since school"],
        change=[f"I gave up {h}", f"I stopped doing {h} last year", f"I don't do {h} anymore",
                f"I lost interest in {h}"],
        other=[f"I also got into {h2}", f"My {rel} does {h}", f"I've started {h2} as well"],
        ask=["What are my hobbies?", "What do I do in my free time?", "how do I spend weekends"])


def goal(r):
    g, g2 = _two(r, L.GOALS)
    rel, m = r.choice(L.RELATIONS), r.choice(L.MONTHS)
    return dict(kind="goal",
        base=[f"I want to {g}", f"My goal is to {g}", f"I'm determined to {g}", f"I've set myself the goal to {g}",
              f"One thing I'm working towards: I want to {g}"],
        detail=[f"I want to {g} by {m}", f"My goal is to {g}, and I've started a plan for it",
                f"I'm determined to {g}; I practise every evening"],
        change=[f"I've given up on trying to {g}", f"I no longer want to {g}",
                (f"I finally managed to {g}!", "outcome"), f"Forget my plan to {g}, it's off"],
        other=[f"My {rel} wants to {g}", f"I also want to {g2}", f"My {rel} wants to {g2}"],
        ask=["What are my goals?", "What am I working towards?", "what do I want to achieve"])


def outcome(r):
    pb, pb2 = _two(r, L.PROBLEMS)
    fx, fx2 = _two(r, L.FIXES)
    pj, n = r.choice(L.PROJECTS), r.randint(10, 90)
    return dict(kind="outcome",
        base=[f"{fx.capitalize()} fixed the {pb} in {pj}", f"The {pb} in {pj} went away after {fx}",
              f"We solved the {pb} in {pj} by {fx}", f"{fx.capitalize()} got rid of the {pb} in {pj}"],
        detail=[f"{fx.capitalize()} fixed the {pb} in {pj}; errors dropped {n}%",
                f"We solved the {pb} in {pj} by {fx}, after two days of debugging"],
        change=[f"{fx.capitalize()} didn't actually fix the {pb} in {pj}; it came back",
                f"The {pb} in {pj} is back even after {fx}", f"Turns out {fx2} was the real fix for the {pb}, not {fx}"],
        other=[f"{fx.capitalize()} also fixed the {pb2} in {pj}", (f"We hit a {pb2} in {pj} today", "event"),
               f"{fx2.capitalize()} fixed the {pb2} in {pj}"])


def person(r):
    rel, rel2 = _two(r, L.RELATIONS)
    p, p2 = _two(r, L.PEOPLE)
    j = r.choice(L.JOBS)
    return dict(kind="fact",
        base=[f"My {rel}'s name is {p}", f"My {rel} is called {p}", f"{p} is my {rel}", f"I call my {rel} {p}, that's their name"],
        detail=[f"My {rel} {p} is {_a(j)}", f"My {rel} {p} lives nearby and visits on Sundays",
                f"{p} is my {rel}; we're very close"],
        change=[f"My new {rel} is {p2}", f"{p} is no longer my {rel}; it's {p2} now",
                f"Sorry, my {rel}'s name is {p2}, not {p}"],
        other=[f"My {rel2} is called {p2}", f"My {rel2}'s name is {p}", f"{p2} is my {rel2}"],
        ask=[f"Who is my {rel}?", f"What is my {rel}'s name?", f"what's my {rel} called"])


def vehicle(r):
    v, v2 = _two(r, L.VEHICLES)
    rel = r.choice(L.RELATIONS)
    return dict(kind="fact",
        base=[f"I drive {v}", f"My car is {v}", f"I get around in {v}", f"{v[0].upper() + v[1:]} is what I drive"],
        detail=[f"I drive {v}, a blue one from 2019", f"I drive {v} and park it on the street"],
        change=[f"I sold {v} and bought {v2}", f"I drive {v2} now", f"No more {v} for me; I got {v2}"],
        other=[f"My {rel} drives {v}", f"My {rel} drives {v2}", f"I also have {v2} for weekends"],
        ask=["What car do I drive?", "What vehicle do I have?", "how do I get around"])


def trip(r):
    c, c2 = _two(r, L.CITIES + L.COUNTRIES)
    m, m2 = _two(r, L.MONTHS)
    rel = r.choice(L.RELATIONS)
    return dict(kind="event",
        base=[f"I went to {c} last {m}", f"Last {m} I travelled to {c}", f"I visited {c} in {m}",
              f"I spent part of {m} in {c}"],
        detail=[f"I went to {c} last {m} with my {rel}", f"I visited {c} in {m}, mostly for the food",
                f"Last {m} I travelled to {c} for a wedding"],
        change=[f"I went to {c} in {m2}, not {m}", f"My trip to {c} was in {m2}, I misremembered",
                f"I never actually made it to {c}; the trip got cancelled"],
        other=[f"I went to {c2} last {m}", f"My {rel} went to {c} last {m}", f"I'm going to {c2} in {m2}"],
        ask=[f"When did I go to {c}?", f"Have I been to {c}?", f"which month was my {c} trip"])


def speaks(r):
    s, s2 = _two(r, L.SPOKEN)
    rel = r.choice(L.RELATIONS)
    return dict(kind="fact",
        base=[f"I speak {s}", f"I'm fluent in {s}", f"{s} is a language I speak well", f"I can hold a conversation in {s}"],
        detail=[f"I speak {s} because my mother grew up speaking it", f"I'm fluent in {s} and use it at work"],
        change=[f"I've forgotten most of my {s}", f"I can't really speak {s} anymore", f"I don't speak {s} at all, that was wrong"],
        other=[f"I also speak {s2}", f"My {rel} speaks {s}", f"I'm learning {s2}"],
        ask=["What languages do I speak?", "Am I fluent in any foreign language?", "which languages can I talk in"])


def rhythm(r):
    morning = r.random() < 0.5
    a = ["I'm a morning person", "I do my best work early in the day", "Mornings are when I'm most productive"]
    b = ["I'm a night owl", "I do my best work late at night", "Evenings are when I'm most productive"]
    base, change = (a, b) if morning else (b, a)
    return dict(kind="preference", base=base,
        detail=[base[0] + ", especially on weekdays", base[1] + ", once the house is quiet"],
        change=[c + " now" for c in change] + ["Not " + base[0][4:].lower() + " anymore"],
        other=["My " + r.choice(L.RELATIONS) + " is the opposite", "I like to exercise after lunch"])


FAMILIES = [lives, job, employer, pet, food_like, favourite, numeric, numeric, appointment, allergy, diet,
            schedule, style, editor, hobby, goal, outcome, person, vehicle, trip, speaks, rhythm]
