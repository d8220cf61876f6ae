"""Compositional frames: one attribute, many subjects, values and rewrites.

Families (families.py) hand-write each topic; frames cover breadth instead: a
frame is "<owner> <attribute> <value>", and the relation falls out of what is
rewritten:
  same owner, same value, filler or inversion  -> noop
  same owner, same value, plus a detail        -> update
  same owner, other value (often + a marker)   -> supersede
  other owner, or another frame                -> add
"""

from __future__ import annotations

import random

from . import lexicon as L

_STREETS = ["Elm Street", "Harbour Road", "Kingsway", "Mill Lane", "Station Road", "Canal Street", "Oak Avenue"]
_BRANDS = ["a Nokia", "a Fairphone", "a Xiaomi", "a Motorola", "a OnePlus", "a Sony Xperia"]
_COLOURS = ["green", "yellow", "navy", "orange", "purple", "grey", "white"]
_SCHOOLS = ["Riverside", "Hillcrest", "Maple Grove", "St. Jude's", "Lakeview", "Northgate"]
_CLASSES = ["spin class", "choir practice", "Spanish lesson", "climbing session", "book club", "band rehearsal",
            "football practice", "swimming lesson", "pottery class", "standup meeting"]
_THINGS_TIME = ["shift", "commute", "train", "weekly call", "gym session", "school run", "lunch break"]

# (kind, attribute phrase, value sampler, details) ; "{o}" is the owner ("My", "My sister's"...).
FRAMES = [
    ("fact", "{o} dentist is {v}", lambda r: "Dr. " + r.choice(L.PEOPLE), ["at the clinic on {street}", "and she is very gentle", "whom I see twice a year"]),
    ("fact", "{o} landlord is {v}", lambda r: r.choice(L.PEOPLE), ["who lives downstairs", "and he is easy to reach", "who owns the whole block"]),
    ("fact", "{o} phone is {v}", lambda r: r.choice(_BRANDS), ["in a {colour} case", "that I bought second-hand", "with a cracked screen"]),
    ("fact", "{o} car is {v}", lambda r: r.choice(_COLOURS), ["with a roof rack", "and it is a hybrid", "parked in the garage"]),
    ("fact", "{o} address is {v}", lambda r: f"{r.randint(2, 180)} {r.choice(_STREETS)}", ["flat {n}", "in {city}", "next to the bakery"]),
    ("fact", "{o} gym membership costs {v} a month", lambda r: f"{r.randint(15, 90)} euros", ["including classes", "paid by direct debit"]),
    ("fact", "{o} commute takes {v}", lambda r: f"{r.randint(10, 95)} minutes", ["by tram", "door to door", "on a good day"]),
    ("fact", "{o} {v2} takes {v}", lambda r: f"{r.randint(3, 95)} minutes", ["on a good day", "from start to finish", "on average"]),
    ("fact", "{o} kids go to {v}", lambda r: r.choice(_SCHOOLS) + " School", ["which is a ten-minute walk", "in {city}", "and they love it"]),
    ("fact", "{o} team uses {v}", lambda r: r.choice(L.TOOLS + L.LANGS), ["for everything", "on the backend", "since the reorg"]),
    ("fact", "{o} bank is {v}", lambda r: r.choice(L.COMPANIES), ["with a joint account", "through the mobile app"]),
    ("fact", "{o} wifi password hint is the {v}", lambda r: r.choice(["dog's name", "street name", "wedding date"]), ["plus two digits"]),
    ("fact", "{o} hometown is {v}", lambda r: r.choice(L.CITIES), ["a small place by the sea", "where my parents still live"]),
    ("fact", "{o} shoe size is {v}", lambda r: str(r.randint(36, 47)), ["in European sizing", "for running shoes"]),
    ("fact", "{o} blood type is {v}", lambda r: r.choice(["A positive", "O negative", "B positive", "AB negative"]), ["according to the last test"]),
    ("event", "{o} {v2} is on {v}", lambda r: r.choice(L.DAYS), ["at {time}", "in the town hall", "with {person}"]),
    ("event", "{o} {v2} starts at {v}", lambda r: r.choice(L.TIMES), ["on {day}s", "in room {n}", "sharp"]),
    ("event", "{o} {v2} is in {v}", lambda r: r.choice(L.MONTHS), ["in {city}", "for {n} days"]),
    ("event", "{o} flight to {city} leaves on {v}", lambda r: r.choice(L.DAYS), ["at {time}", "from terminal {n}", "with a stopover"]),
    ("event", "{o} {v2} was moved online for {v}", lambda r: r.choice(L.MONTHS), ["because of the strike"]),
    ("constraint", "{o} deadline for {proj} is {v}", lambda r: f"{r.choice(L.MONTHS)} {r.randint(1, 28)}", ["at midnight", "for the first draft"]),
    ("constraint", "{o} budget for {v2} is {v}", lambda r: f"{r.randint(2, 60)}00 dollars", ["including tax", "per person"]),
    ("constraint", "{o} bedtime is {v}", lambda r: r.choice(["8pm", "8:30", "9pm", "10pm", "11pm"]), ["on school nights", "strictly"]),
    ("constraint", "{o} daily screen-time limit is {v}", lambda r: f"{r.randint(1, 4)} hours", ["on weekdays", "set on the tablet"]),
    ("preference", "{o} favourite colour is {v}", lambda r: r.choice(_COLOURS), ["especially the darker shades", "since childhood"]),
    ("preference", "{o} go-to coffee order is {v}", lambda r: r.choice(L.DRINKS), ["with an extra shot", "from the place near work"]),
    ("preference", "{o} favourite cuisine is {v}", lambda r: r.choice(["Thai", "Ethiopian", "Lebanese", "Peruvian", "Georgian", "Sichuan"]), ["especially the street food", "spicy when possible"]),
    ("preference", "{o} preferred seat on trains is {v}", lambda r: r.choice(["by the window", "on the aisle", "facing forward"]), ["in the quiet carriage"]),
    ("goal", "{o} target this year is {v}", lambda r: f"{r.randint(5, 60)} books", ["mostly non-fiction", "tracked in an app"]),
    ("goal", "{o} plan is to retire at {v}", lambda r: str(r.randint(50, 67)), ["and move to the coast", "if the savings allow"]),
    ("outcome", "{o} application to {v} was accepted", lambda r: r.choice(L.COMPANIES), ["after three interviews", "for the autumn intake"]),
    ("outcome", "{o} {v2} ended in a {v}", lambda r: r.choice(["win", "draw", "loss"]), ["in extra time", "after a long fight"]),
]
_TASKS = ["nightly build", "weekly report", "data import", "release checklist", "code review", "backup run", "grocery run",
          "morning routine", "school run", "end-of-month close"]
_EVENTS = ["team dinner", "piano recital", "board meeting", "school play", "housewarming", "hackathon", "check-up",
           "driving test", "book launch", "career fair", "recital", "quarterly review"]
_BUDGETS = ["the wedding", "the renovation", "the new laptop", "the holiday", "groceries", "the party"]
_MATCHES = ["match on Saturday", "chess tournament", "court case", "negotiation", "final"]

_OWNERS = ["My", "My {rel}'s", "Our", "My {rel}'s"]
_NOOP_PRE = ["Just so you know, ", "FYI, ", "As I mentioned, ", "To be clear, ", "For the record, ", "Reminder: ",
             "Like I said, ", "Noting again that ", "", "", ""]
_NOOP_POST = [", as I said", ", just to confirm", ", still", " (same as before)", ", for what it's worth", "",
              "", ", as you know"]
_CHANGE_PRE = ["Actually, ", "Update: ", "Correction: ", "Heads up, ", "Change of plan: ", "As of this week, ", "",
               "", "Quick correction: "]
_CHANGE_POST = [" now", " these days", " from now on", ", not {old}", ", no longer {old}", " instead of {old}",
                " (it used to be {old})", "", ""]
_CHANGE_VERB = {"is": ["is now", "changed to", "moved to", "switched to", "became", "was changed to"],
                "costs": ["went up to", "dropped to", "now costs"], "takes": ["now takes", "went up to", "dropped to"],
                "starts at": ["now starts at", "moved to", "was pushed to"], "is on": ["moved to", "got moved to", "is now on", "was rescheduled to"],
                "is in": ["moved to", "got pushed to", "is now in"], "leaves on": ["now leaves on", "was changed to", "got moved to"]}


def _fill(r, s: str, rel: str) -> str:
    return s.format(street=r.choice(_STREETS), colour=r.choice(_COLOURS), n=r.randint(2, 40), city=r.choice(L.CITIES),
                    time=r.choice(L.TIMES), person=r.choice(L.PEOPLE), day=r.choice(L.DAYS), rel=rel)


def _cap(s: str) -> str:
    return s[0].upper() + s[1:]


def frame_example_texts(r: random.Random) -> dict:
    """One frame instance: base text, its rewrites, and the kind."""
    kind, tpl, value, details = r.choice(FRAMES)
    rel, rel2 = r.sample(L.RELATIONS, 2)
    v = value(r)
    v2 = value(r)
    for _ in range(5):
        if v2 != v:
            break
        v2 = value(r)
    ctx = dict(v2=r.choice(_EVENTS if "{o} {v2} is" in tpl or "starts at" in tpl or "online" in tpl else
                         _BUDGETS if "budget" in tpl else _TASKS if "takes" in tpl else _MATCHES), city=r.choice(L.CITIES),
               proj=r.choice(L.PROJECTS))
    owner = r.choice(_OWNERS).format(rel=rel)
    other_owner = r.choice([o for o in ["My", f"My {rel2}'s", "Our", f"My {rel}'s"] if o != owner])

    def say(o, val, verb=None):
        t = tpl.format(o=o, v=val, **ctx)
        if verb:
            for k, alts in _CHANGE_VERB.items():
                if f" {k} " in f" {t} " and r.random() < 0.6:
                    t = t.replace(f" {k} ", f" {r.choice(alts)} ", 1)
                    break
        return t

    base = say(owner, v)
    noop = _cap(r.choice(_NOOP_PRE) + (base[0].lower() + base[1:] if base.startswith("My") or base.startswith("Our") else base)) + r.choice(_NOOP_POST)
    if r.random() < 0.3:
        noop = base  # exact repeat
    detail = base + r.choice([", ", " ", " - "]) + _fill(r, r.choice(details), rel)
    if r.random() < 0.4:
        change = say(owner, v2)  # the plainest contradiction: same sentence, new value, no marker
    else:
        change = say(owner, v2, verb=True)
        post = r.choice(_CHANGE_POST).format(old=v)
        change = _cap(r.choice(_CHANGE_PRE) + change[0].lower() + change[1:] if change[:2] in ("My", "Ou") else r.choice(_CHANGE_PRE) + change) + post
    other = say(other_owner, r.choice([v, v2]))
    if "{v2}" in tpl and r.random() < 0.5:
        # Same owner and frame, another subject ("the deploy takes 20 minutes" / "the test run takes 8"): a new fact.
        pool = next(p for p in (_EVENTS, _BUDGETS, _TASKS, _MATCHES) if ctx["v2"] in p)
        other = tpl.format(o=owner, v=r.choice([v, v2]), **dict(ctx, v2=r.choice([x for x in pool if x != ctx["v2"]])))
    return dict(kind=kind, base=base, noop=noop, detail=detail, change=_cap(change), other=_cap(other),
                ask=[question_for(base, v)])


_ASK = [(" is on", "When is {x}?"), (" is in", "When is {x}?"), (" starts at", "When does {x} start?"),
        (" leaves on", "When does {x} leave?"), (" costs", "How much does {x} cost?"), (" takes", "How long does {x} take?"),
        (" go to", "Where do {x} go?"), (" uses", "What does {x} use?"), (" ended in a", "How did {x} end?"),
        (" was accepted", "Which application of {x} was accepted?"), (" is the", "What is {x}?"),
        (" is", "What is {x}?")]


def question_for(base: str, value: str) -> str:
    """'My sister's dentist is Dr. Ines' -> 'What is my sister's dentist?' (for the recall curriculum)."""
    head = base.split(value)[0].rstrip()
    for verb, form in _ASK:
        if head.endswith(verb) or f"{verb} " in head + " ":
            x = head[: head.rfind(verb)] if head.endswith(verb) else head.split(verb)[0]
            x = x[0].lower() + x[1:]
            return form.format(x=x).replace("What is my", "Who is my" if value.startswith("Dr.") or value in L.PEOPLE else "What is my")
    return f"What about {head[0].lower() + head[1:]}?"


_HABITS = [("drink coffee", "drinking coffee", "coffee"), ("eat red meat", "eating red meat", "red meat"), ("smoke", "smoking", "cigarettes"),
           ("own a car", "owning a car", "cars"), ("play golf", "playing golf", "golf"), ("use Instagram", "using Instagram", "Instagram"),
           ("watch the news", "watching the news", "the news"), ("take sugar in my tea", "taking sugar in my tea", "sugar in tea"),
           ("drink alcohol", "drinking alcohol", "alcohol"), ("work weekends", "working weekends", "weekend work"),
           ("cook at home", "cooking at home", "home cooking"), ("bike to work", "biking to work", "cycling to work")]


def negation_texts(r: random.Random) -> dict:
    """Habits that flip: 'I smoke' vs 'I quit smoking' (supersede) vs 'I don't smoke' restated (noop)."""
    verb, ger, noun = r.choice(_HABITS)
    rel = r.choice(L.RELATIONS)
    if r.random() < 0.5:
        base = f"I {verb}"
        noop = r.choice([f"I {verb} regularly", f"Yes, I {verb}", f"I do {verb}", f"{_cap(ger)} is part of my routine"])
        change = r.choice([f"I don't {verb} anymore", f"I stopped {ger}", f"I quit {ger}", f"I no longer {verb}",
                           f"I gave up {ger} last month", f"No more {noun} for me"])
    else:
        base = r.choice([f"I don't {verb}", f"I never {verb}"])
        noop = r.choice([f"I avoid {ger}", f"{_cap(ger)} isn't something I do", f"I'm not into {ger}", f"I don't {verb}, ever"])
        change = r.choice([f"I {verb} now", f"I started {ger} again", f"I've taken up {ger}", f"These days I {verb}"])
    ask = [f"Do I {verb}?", f"What are my habits around {noun}?"]
    return dict(ask=ask, kind="preference" if noun in ("coffee", "sugar in tea", "golf", "home cooking") else "fact", base=base, noop=noop,
                detail=f"{base}, {r.choice(['mostly on weekends', 'because of my health', 'for about two years', 'usually with friends' if 'don' not in base and 'never' not in base else 'not even at parties'])}",
                change=change, other=f"My {rel} {'does' if 'don' in base or 'never' in base else 'does not'} {verb.replace('my', 'their')}")


_PAIRS = [("mornings", "evenings"), ("green tea", "espresso"), ("hamsters", "rabbits"), ("the beach", "the mountains"), ("trains", "planes"),
          ("email", "phone calls"), ("paper books", "e-books"), ("winter", "summer"), ("showers", "baths"), ("sweet", "savoury food"),
          ("city life", "the countryside"), ("texting", "calling"), ("running", "cycling"), ("early flights", "late flights")]


def comparison_texts(r: random.Random) -> dict:
    """'I prefer X to Y' vs 'I prefer Y to X': the same words in a new order (supersede)."""
    a, b = r.choice(_PAIRS)
    if r.random() < 0.5:
        a, b = b, a
    c, d = r.choice([p for p in _PAIRS if p != (a, b) and p != (b, a)])
    prep = r.choice(["to", "over"])
    base = f"I prefer {a} {prep} {b}"
    return dict(kind="preference", base=base, ask=[f"Do I prefer {a} or {b}?", f"Which do I like better, {b} or {a}?"],
                noop=r.choice([f"{_cap(a)} beats {b} for me", f"Given the choice, I'd pick {a} over {b}", f"I like {a} more than {b}"]),
                detail=f"{base}, {r.choice(['especially on holidays', 'most of the time', 'when I have the choice'])}",
                change=r.choice([f"I prefer {b} {prep} {a}", f"I prefer {b} {prep} {a}", f"I prefer {b} {prep} {a} now",
                                 f"These days I like {b} more than {a}"]),
                other=f"I prefer {c} {prep} {d}")


_SWAPS = [("morning", "afternoon"), ("morning", "evening"), ("early", "late"), ("window", "aisle"), ("hot", "cold"),
          ("dark", "light"), ("short", "long"), ("quiet", "lively"), ("spicy", "mild"), ("indoor", "outdoor"),
          ("paper", "digital"), ("small", "large"), ("weekday", "weekend"), ("video", "voice")]
_SWAP_NOUNS = ["meetings", "flights", "workouts", "seats", "classes", "walks", "showers", "calls", "trains", "lunches",
               "study sessions", "runs", "appointments", "check-ins"]


def modifier_swap_texts(r: random.Random) -> dict:
    """'I prefer morning meetings' vs 'I prefer afternoon meetings': one modifier swapped is a change (supersede);
    the same modifier on another noun is another preference (add)."""
    a, b = r.choice(_SWAPS)
    if r.random() < 0.5:
        a, b = b, a
    noun, noun2 = r.sample(_SWAP_NOUNS, 2)
    verb = r.choice(["I prefer", "I like", "I'd rather have", "I always book", "I go for"])
    base = f"{verb} {a} {noun}"
    return dict(kind="preference", base=base, ask=[f"Do I prefer {a} or {b} {noun}?"],
                noop=r.choice([f"{_cap(a)} {noun} suit me best", f"{verb} {a} {noun}, as always", f"For {noun}, {a} works best for me"]),
                detail=f"{base}, ideally {r.choice(['on Tuesdays', 'with a short agenda', 'near home', 'when I can choose'])}",
                change=r.choice([f"{verb} {b} {noun}", f"{verb} {b} {noun} now", f"{_cap(b)} {noun} suit me better these days",
                                 f"{verb} {b} {noun}, not {a} ones"]),
                other=r.choice([f"{verb} {a} {noun2}", f"My {r.choice(L.RELATIONS)} prefers {b} {noun}"]))


_ROUTINES = [("run", "km"), ("swim", "lengths"), ("cycle", "km"), ("walk", "miles"), ("do", "push-ups"), ("read", "pages")]


def routine_texts(r: random.Random) -> dict:
    """'I run 5 km three times a week': two numbers; changing one of them is a change, the other staying the same."""
    act, unit = r.choice(_ROUTINES)
    n, n2 = r.sample([3, 4, 6, 8, 12, 15, 20, 25, 30, 40], 2)
    f, f2 = r.sample(["twice", "three times", "four times", "five times", "once"], 2)
    per = r.choice(["a week", "a month"])
    base = f"I {act} {n} {unit} {f} {per}"
    change = r.choice([f"I {act} {n2} {unit} {f} {per}", f"I {act} {n} {unit} {f2} {per} now", f"These days I {act} {n2} {unit} {f} {per}",
                       f"Update: I {act} {n2} {unit} {f} {per}"])
    return dict(kind="fact", base=base, ask=[f"How often do I {act}?"],
                noop=r.choice([f"{f.capitalize()} {per} I {act} {n} {unit}", f"I {r.choice(['usually', 'normally'])} {act} {n} {unit} {f} {per}"]),
                detail=f"{base}, {r.choice(['before work', 'along the river', 'with a friend', 'at the sports centre'])}",
                change=change, other=r.choice([f"My {r.choice(L.RELATIONS)} {act}s {n2} {unit} {f} {per}", f"I also {r.choice(['lift weights', 'do yoga'])} {f2} {per}"]))


def _as_family(gen):
    def fam(r):
        d = gen(r)
        return dict(kind=d["kind"], base=[d["base"], d["noop"]] if d["noop"] != d["base"] else [d["base"], d["base"]],
                    detail=[d["detail"]], change=[d["change"]], other=[d["other"]], ask=d["ask"])

    fam.__name__ = gen.__name__
    return fam


# Weighted like families.FAMILIES: a list the curriculum samples uniformly.
FRAME_FAMILIES = ([_as_family(frame_example_texts)] * 6 + [_as_family(negation_texts)] * 2 + [_as_family(comparison_texts)] * 2
                  + [_as_family(modifier_swap_texts)] * 2 + [_as_family(routine_texts)])
