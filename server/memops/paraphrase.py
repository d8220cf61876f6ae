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
# Adverbs that hedge or generalise without adding a fact ("I usually go to bed at 11").
_INFIX = ["usually", "typically", "generally", "normally", "pretty much always", "mostly", "honestly"]


def restate(r: random.Random, text: str) -> str:
    """Wrap a statement in words that add no information (a restatement is still a noop)."""
    if text.startswith("I ") and r.random() < 0.25:
        return f"I {r.choice(_INFIX)} {text[2:]}"
    if r.random() < 0.5:
        return r.choice(_FILLER_PRE) + (text[0].lower() + text[1:] if not text.startswith("I ") else text)
    return text + r.choice(_FILLER_POST)


def _a(w: str) -> str:
    return ("an " if w[0].lower() in "aeiou" else "a ") + w


def paraphrase_family(r: random.Random) -> dict:
    kind, base, detail, change, other = r.choice(_sets(r))
    return dict(kind=kind, base=base, detail=detail, change=change, other=[other])


PARAPHRASE_FAMILIES = [paraphrase_family]
