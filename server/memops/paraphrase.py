"""Paraphrase sets: one fact said in words that barely overlap.

Cosine and word overlap disagree most on paraphrases ("my manager is X" / "I
report to X"); without these the model learns "new words => new detail" and
turns restatements into updates.
"""

from __future__ import annotations

import random

from . import lexicon as L


def _sets(r: random.Random):
    p, p2 = r.sample(L.PEOPLE, 2)
    c, c2 = r.sample(L.CITIES, 2)
    f, f2 = r.sample(L.FOODS, 2)
    h, h2 = r.sample(L.HOBBIES, 2)
    s, s2 = r.sample(L.SPOKEN, 2)
    j = r.choice(L.JOBS)
    co, co2 = r.sample(L.COMPANIES, 2)
    n, n2 = r.sample(range(2, 12), 2)
    t, t2 = r.sample(["9pm", "10pm", "11pm", "midnight", "10:30"], 2)
    veh, veh2 = r.sample(["night bus", "train", "bike", "tram", "ferry", "car"], 2)
    d, d2 = r.sample(L.DAYS, 2)
    rel = r.choice(L.RELATIONS)
    return [
        ("fact", [f"My manager is {p}", f"I report to {p}", f"{p} is my boss", f"I work under {p}"],
         [f"My manager is {p}, who joined last year"], [f"My manager is {p2} now", f"I report to {p2} since the reorg"], f"My {rel}'s manager is {p}"),
        ("fact", [f"I commute by {veh}", f"I take the {veh} to work", f"My way to the office is by {veh}", f"Getting to work means a {veh} ride for me"],
         [f"I take the {veh} to work, about forty minutes each way"], [f"I take the {veh2} to work now instead of the {veh}"], f"My {rel} takes the {veh} to school"),
        ("constraint", [f"My bedtime is {t}", f"I go to sleep at {t}", f"Lights out for me at {t}", f"I'm usually asleep by {t}"],
         [f"My bedtime is {t}, even on weekends"], [f"My bedtime moved to {t2}"], f"My {rel}'s bedtime is {t}"),
        ("preference", [f"I can't stand {f}", f"I really dislike {f}", f"{f.capitalize()} is not for me", f"I'd never order {f}"],
         [f"I can't stand {f}, the texture puts me off"], [f"I've come around on {f}, I like it now", f"I actually enjoy {f} these days"], f"I can't stand {f2}"),
        ("fact", [f"I'm a parent of {n}", f"I have {n} children", f"We're raising {n} kids", f"There are {n} kids in our family"],
         [f"I have {n} children, the eldest is twelve"], [f"We're raising {n2} kids now"], f"My {rel} has {n} children"),
        ("fact", [f"I was born in {c}", f"{c} is my birthplace", f"I'm originally from {c}", f"{c} is where I come from"],
         [f"I was born in {c} and lived there until I was ten"], [f"I was born in {c2}, not {c}"], f"My {rel} was born in {c}"),
        ("fact", [f"I'm married to {p}", f"{p} is my spouse", f"{p} and I are married", f"My husband is {p}"],
         [f"I'm married to {p}; we met at university"], [f"{p} and I got divorced", f"I'm no longer married to {p}"], f"My {rel} is married to {p2}"),
        ("goal", [f"I'm learning {s}", f"I'm studying {s}", f"I've been taking {s} lessons", f"Getting better at {s} is my current project"],
         [f"I'm learning {s} with a tutor twice a week"], [f"I gave up on learning {s}"], f"I'm learning {s2}"),
        ("fact", [f"I work remotely", f"I'm fully remote", f"My job is done from home", f"I don't commute, I work from home"],
         [f"I work remotely, mostly from my kitchen table"], [f"I'm back in the office full time"], f"My {rel} works remotely"),
        ("fact", [f"I quit smoking", f"I'm a former smoker", f"I no longer smoke cigarettes", f"I gave up cigarettes"],
         [f"I quit smoking {n} years ago"], [f"I started smoking again"], f"My {rel} quit smoking"),
        ("preference", [f"{h.capitalize()} is what I love doing", f"Nothing makes me happier than {h}", f"I'm passionate about {h}", f"I'm hooked on {h}"],
         [f"I'm passionate about {h}, especially in summer"], [f"I've lost my passion for {h}"], f"I'm passionate about {h2}"),
        ("fact", [f"I'm employed at {co}", f"{co} pays my salary", f"My workplace is {co}", f"I'm on the payroll at {co}"],
         [f"I'm employed at {co} in the finance team"], [f"{co2} pays my salary now"], f"My {rel} is employed at {co}"),
        ("event", [f"My weekly tennis is on {d}s", f"I play tennis every {d}", f"{d}s are tennis days for me", f"Each {d} I have a tennis game"],
         [f"I play tennis every {d} with {p}"], [f"My weekly tennis moved to {d2}s"], f"My {rel} plays tennis every {d}"),
        ("constraint", [f"I can't drink alcohol", f"Alcohol is off limits for me", f"I have to avoid alcohol", f"No alcohol for me, doctor's orders"],
         [f"I can't drink alcohol because of my medication"], [f"I'm allowed to drink alcohol again"], f"My {rel} can't drink alcohol"),
        ("fact", [f"I'm {_a(j)}", f"My profession is {j}", f"I trained as {_a(j)} and still work as one", f"By trade, I'm {_a(j)}"],
         [f"I'm {_a(j)} at a clinic in {c}"], [f"I'm not {_a(j)} any more"], f"My {rel} is {_a(j)}"),
        ("preference", [f"I like my coffee with oat milk", f"Oat milk in my coffee, please, always", f"My coffee order always has oat milk", f"Coffee for me means oat milk in it"],
         [f"I like my coffee with oat milk and one sugar"], [f"I take my coffee black now"], f"My {rel} likes coffee with oat milk"),
        ("goal", [f"I'm saving for a trip to {c}", f"I'm putting money aside to visit {c}", f"A trip to {c} is what I'm saving up for", f"Every spare euro goes to my {c} trip fund"],
         [f"I'm saving for a trip to {c} next summer"], [f"I spent my {c} savings on a car instead"], f"My {rel} is saving for a trip to {c}"),
        ("outcome", [f"The new {veh} route cut my commute in half", f"Switching to the {veh} halved my travel time", f"My travel time dropped by half after I started taking the {veh}"],
         [f"The new {veh} route cut my commute in half, saving an hour a day"], [f"The {veh} route didn't save any time after all"], f"The new {veh2} route made my commute longer"),
    ]


_FILLER_PRE = ["Just so you know, ", "FYI, ", "As I mentioned, ", "To be clear, ", "For the record, ", "Like I said, ",
               "Honestly, ", "In case you forgot, ", "Same as always: ", "Again, ", "Basically, ", "Generally speaking, ",
               "If I'm honest, ", "For me, ", "I'd say ", "As far as I'm concerned, "]
_FILLER_POST = [", in my opinion", ", honestly", ", as I said before", ", that's just how it is", ", no surprise there",
                ", I think I told you", ", nothing new", ", as always", ", if that matters", ", for what it's worth",
                ", in my view", ", I'd say", ", if I'm honest", ", to be fair", ", by the way", ", pretty much", ", more or less"]
# Judgements tacked on to a fact: an opinion about it, not a new fact (still a noop).
_JUDGE_POST = [", which suits me fine", ", and I'm happy with that", ", no doubt about it", ", I have to say", ", plain and simple",
               ", and honestly that's great", ", as far as I'm concerned", ", and I wouldn't change it", ", which I'm glad about",
               " - that's just me", ", and it's the best", ", full stop", ", hands down", ", which is pretty great"]
# Adverbs that hedge or generalise without adding a fact ("I usually go to bed at 11").
_INFIX = ["usually", "typically", "generally", "normally", "pretty much always", "mostly", "honestly"]


def restate(r: random.Random, text: str) -> str:
    """Wrap a statement in words that add no information (a restatement is still a noop)."""
    if text.startswith("I ") and r.random() < 0.25:
        return f"I {r.choice(_INFIX)} {text[2:]}"
    u = r.random()
    if u < 0.4:
        return r.choice(_FILLER_PRE) + (text[0].lower() + text[1:] if not text.startswith("I ") else text)
    return text + r.choice(_JUDGE_POST if u < 0.65 else _FILLER_POST)


def _a(w: str) -> str:
    return ("an " if w[0].lower() in "aeiou" else "a ") + w


def paraphrase_family(r: random.Random) -> dict:
    kind, base, detail, change, other = r.choice(_sets(r))
    return dict(kind=kind, base=base, detail=detail, change=change, other=[other])


_TITLES = ["The Glass Orchard", "Salt and Lanterns", "Northbound", "The Quiet Cartographer", "Paper Moons",
           "A Winter in Ghent", "The Long Field", "Copper Tides", "Lullaby for Engines", "Red Harbour"]
_WORKS = ["film", "novel", "album", "board game", "podcast", "TV series"]
_INTOLERANT = [("gluten intolerant", "bread"), ("intolerant to lactose", "milk"), ("sensitive to caffeine", "coffee"),
               ("intolerant to fructose", "fruit juice"), ("sensitive to spicy food", "chilli")]
_HOURS = [("10pm", "ten at night"), ("6am", "six in the morning"), ("7:30", "half past seven"), ("8pm", "eight in the evening"),
          ("5:30am", "half past five in the morning"), ("12", "twelve o'clock")]


def elaboration_family(r: random.Random) -> dict:
    """One fact restated with a reason, a consequence, a judgement or an apposition: new words, same fact (noop).

    The update next to it adds something concrete (a name, a number, a place), which is what a refinement is.
    """
    al, al2 = r.sample(L.ALLERGENS, 2)
    p = r.choice(L.PEOPLE)
    c, c2 = r.sample(L.CITIES, 2)
    h, h2 = r.sample(L.HOBBIES, 2)
    j = r.choice(L.JOBS)
    n, n2 = r.sample(range(3, 25), 2)
    t, t2 = r.sample(_TITLES, 2)
    w = r.choice(_WORKS)
    cond, food = r.choice(_INTOLERANT)
    (hr, hr_words), (hr2, _) = r.sample(_HOURS, 2)
    rel, rel2 = r.sample(L.RELATIONS, 2)
    sets = [
        ("constraint", [f"I'm allergic to {al}", f"{al.capitalize()} gives me a reaction, so I steer clear of it",
                        f"I stay away from {al} because of my allergy", f"I have to avoid {al}; I react to it"],
         [f"I'm allergic to {al}; my doctor confirmed it in {r.choice(L.MONTHS)}"], [f"My latest test shows I'm not allergic to {al} after all"],
         f"I'm allergic to {al2}"),
        ("constraint", [f"I'm {cond}", f"{food.capitalize()} makes me feel ill because I'm {cond}", f"Being {cond}, I keep away from {food}"],
         [f"I'm {cond}, diagnosed by Dr. {p} {n} years ago"], [f"I'm not {cond} anymore, the tests are clear"], f"My {rel} is {cond}"),
        ("preference", [f"My favourite {w} is {t}", f"{t} is the best {w} ever made, if you ask me", f"No {w} beats {t} for me",
                        f"{t} is hands down my top {w}"],
         [f"My favourite {w} is {t}; I've enjoyed it {n} times"], [f"My favourite {w} is {t2} now", f"{t2} has replaced {t} as my favourite {w}"],
         f"My {rel}'s favourite {w} is {t}"),
        ("fact", [f"I've been {_a(j)} for {n} years", f"I have {n} years of experience as {_a(j)}", f"{n} years now I've worked as {_a(j)}"],
         [f"I've been {_a(j)} for {n} years, the last {n2} of them in {c}"], [f"I left my job as {_a(j)} after {n} years"],
         f"My {rel} has been {_a(j)} for {n} years"),
        ("fact", [f"My {rel} {p} lives in {c}", f"{p}, my {rel}, is based in {c}", f"{p} is my {rel} and lives in {c}",
                  f"{c} is where my {rel} {p} lives"],
         [f"My {rel} {p} lives in {c} with two dogs"], [f"My {rel} {p} moved from {c} to {c2}", f"{p}, my {rel}, lives in {c2} now"],
         f"My {rel2} lives in {c}"),
        ("preference", [f"I enjoy {h}", f"{h.capitalize()} is one of my favourite things to do", f"I love spending my free time on {h}",
                        f"Few things make me as happy as {h}"],
         [f"I enjoy {h} with a club in {c} every {r.choice(L.DAYS)}"], [f"I've lost interest in {h}", f"I don't enjoy {h} anymore"],
         f"I enjoy {h2}"),
        ("fact", [f"I usually go to sleep around {hr}", f"Lights out for me is typically about {hr_words}", f"I'm normally in bed by {hr}"],
         [f"I usually go to sleep around {hr}, after reading for {n} minutes"], [f"I go to sleep around {hr2} these days"],
         f"My {rel} goes to sleep around {hr}"),
    ]
    kind, base, detail, change, other = r.choice(sets)
    return dict(kind=kind, base=base, detail=detail, change=change, other=[other])


PARAPHRASE_FAMILIES = [paraphrase_family, paraphrase_family, elaboration_family]
