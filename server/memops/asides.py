"""Messages whose opener hedges, asks, plans or chats while a later sentence tells of a past event.

"I'm thinking of planning another trip. By the way, I just got back from five days in Lyon" opens like a hedge,
and the model had only ever seen hedges that were the whole message, so it dropped the event with the opener. The
family pairs such messages (`add`, an event) with look-alikes that must stay skipped: the same openers followed by
a wish, a tentative plan, hearsay, a condition, a question about a past event, or small talk. A second family
teaches notes written without their subject ("Has two kids") against yes/no questions with no "?".
Everything comes from the training lexicons.
"""

from __future__ import annotations

from . import lexicon as L

_CONNECT = ["By the way, ", "Oh, and ", "Also, ", "Funny enough, ", "Speaking of which, ", "Side note: ", "Anyway, ",
            "", "", "Btw ", "Incidentally, "]


def _cap(s: str) -> str:
    return s[0].upper() + s[1:]


def _joined(r, sentence: str) -> str:
    """The sentence with a connector in front ("By the way, ...") or none."""
    connector = r.choice(_CONNECT)
    if connector and not sentence.startswith(("I ", "I'")):
        sentence = sentence[0].lower() + sentence[1:]
    return _cap(connector + sentence)


def opener(r) -> str:
    """A sentence that on its own is skipped: a hedge, a question or request, a tentative plan, chit-chat."""
    c, h, f = r.choice(L.CITIES), r.choice(L.HOBBIES), r.choice(L.FOODS)
    return r.choice([
        f"I'm thinking of planning another trip, maybe to {r.choice(L.COUNTRIES)}.",
        f"I'm toying with the idea of taking up {h} again.", f"Not sure yet whether to sign up for {h} classes.",
        f"I might look into {r.choice(L.TOPICS)} at some point.", "I'm considering a change of scenery this year.",
        f"Can you suggest a few {f} recipes?", f"What's a good way to get started with {h}?",
        f"Could you help me plan a budget for a weekend in {c}?", f"Any tips for keeping {r.choice(L.PETS)}s calm?",
        f"I was wondering if you could recommend some {r.choice(L.BOOKS_GENRES)}.",
        f"Can you draft a short note to my {r.choice(L.RELATIONS)}?", f"How do I keep my {r.choice(L.PETS)} entertained?",
        f"I'm hoping to squeeze in a trip to {c} sometime.", f"Thinking about maybe learning {r.choice(L.SPOKEN)}.",
        f"Hey, hope you're doing well!", "Thanks for the help earlier, that was great.", "Good morning!",
        f"Quick question about {r.choice(L.TOPICS)}.", "Okay, so here's the thing.",
    ])


def past_event(r) -> str:
    """A first-person sentence that tells of something that happened (the fact a later question asks about)."""
    c, h, n = r.choice(L.CITIES), r.choice(L.HOBBIES), r.randint(2, 12)
    rel, month = r.choice(L.RELATIONS), r.choice(L.MONTHS)
    return r.choice([
        f"I recently got back from {n} days in {c}.", f"I just got back from a solo trip to {c}.",
        f"I finished a {n}-week {h} course last month.", f"we adopted a {r.choice(L.PETS)} named {r.choice(L.PET_NAMES)} in {month}.",
        f"I visited my {rel} in {c} last weekend.", f"I ran a {n}k race in {c} two weeks ago.",
        f"I moved to {c} back in {month}.", f"I bought {r.choice(L.VEHICLES)} last week.",
        f"I started working at {r.choice(L.COMPANIES)} in {month}.", f"I sold my old {r.choice(['bike', 'car', 'piano', 'sofa'])} on the weekend.",
        f"my {rel} and I spent {n} days hiking near {c}.", f"I finally finished {r.choice(L.PROJECTS)} yesterday.",
        f"I took my first {h} lesson on {r.choice(L.DAYS)}.", f"we hosted {n} friends for {r.choice(L.FOODS)} on Saturday.",
        f"I've just come back from a {r.choice(L.APPOINTMENTS)} that went fine.", f"I met {r.choice(L.PEOPLE)} for lunch in {c} yesterday.",
        f"I went to a {r.choice(L.GENRES)} concert in {c} last night.", f"I spent {n} hundred euros on {h} gear this spring.",
        f"I've moved my {h} sessions to {r.choice(L.DAYS)}s since {month}.", f"we flew back from {r.choice(L.COUNTRIES)} on {r.choice(L.DAYS)}.",
    ])


def not_an_event(r) -> str:
    """A sentence after the same openers that tells nothing that happened: a wish, a tentative plan, hearsay,
    a condition, a question about a past event, or chit-chat."""
    c, h, p = r.choice(L.CITIES), r.choice(L.HOBBIES), r.choice(L.PEOPLE)
    return r.choice([
        # wishes
        f"I've always wanted to see {c}.", f"I wish I had gone to {c} when I had the chance.",
        f"I'd love to try {h} one day.", f"I've long dreamed of a trip to {r.choice(L.COUNTRIES)}.",
        # tentative plans
        f"I might go to {c} in {r.choice(L.MONTHS)}, not sure yet.", f"Perhaps we'll drive down to {c} next spring.",
        f"I'm half thinking of booking something in {c}.", f"Maybe I'll give {h} another go.",
        # hearsay
        f"I've heard {c} is lovely in {r.choice(L.MONTHS)}.", f"I read somewhere that {h} is good for stress.",
        f"Someone told me the {r.choice(L.FOODS)} in {c} is amazing.", f"Apparently {c} gets crowded in summer.",
        # conditions
        f"If I went to {c}, I would want to try the {r.choice(L.FOODS)}.", f"If we moved to {c}, we'd need a bigger flat.",
        f"Should I ever take up {h}, I'd need lessons.",
        # questions about a past event
        f"Did I ever tell you about my trip to {c}?", f"Remember when I mentioned {h}?",
        f"What was that place I said I visited in {c}?", f"Where did we leave off with the {h} plan?",
        # chit-chat
        "Hope your day is going well!", "Thanks again, you're a star.", "Haha, sorry for the long message.",
        f"Say hi to {p} for me!", "Let me know what you think.",
    ])


def aside(r) -> tuple[str, str]:
    """(message, action): an opener with a past event before or after it (`add`), or with a look-alike (`skip`)."""
    first = opener(r)
    if r.random() < 0.5:
        told = _joined(r, past_event(r))
        parts = [told, first] if r.random() < 0.2 else [first, told]
        if r.random() < 0.3:
            parts.append(opener(r) if r.random() < 0.5 else "Any ideas?")
        return " ".join(parts), "add"
    parts = [first, _joined(r, not_an_event(r))]
    if r.random() < 0.2:
        parts.reverse()
    return " ".join(parts), "skip"


# Notes about the user written without their subject, as agents write them, and yes/no questions left without "?".
def terse_note(r) -> str:
    c, h = r.choice(L.CITIES), r.choice(L.HOBBIES)
    return r.choice([
        f"Is allergic to {r.choice(L.ALLERGENS)}", f"Has {r.choice(['two', 'three', 'four'])} {r.choice(['kids', 'siblings', 'cats'])}",
        f"Was born in {c}", f"Has a {r.choice(L.PETS)} called {r.choice(L.PET_NAMES)}", f"Is a {r.choice(L.JOBS)}",
        f"Works at {r.choice(L.COMPANIES)}", f"Lives in {c}", f"Can speak {r.choice(L.SPOKEN)}", f"Is learning {r.choice(L.SPOKEN)}",
        f"Has been doing {h} for {r.randint(2, 15)} years", f"Was a {r.choice(L.JOBS)} before", f"Is moving to {c} in {r.choice(L.MONTHS)}",
        f"Does {h} on {r.choice(L.DAYS)}s", f"Is training for a {r.randint(5, 42)}k race", f"Had surgery on the knee in {r.choice(L.MONTHS)}",
        f"Is not a fan of {r.choice(L.GENRES)}", f"Can't eat {r.choice(L.ALLERGENS)}", f"Would rather meet in the mornings",
    ])


def terse_question(r) -> str:
    c, p = r.choice(L.CITIES), r.choice(L.PEOPLE)
    return r.choice([
        f"Is it going to be sunny in {c} tomorrow", f"Has the {r.choice(L.APPOINTMENTS)} been moved", f"Is {p} coming tonight",
        f"Does {c} have a good {r.choice(L.FOODS)} place", f"Was the {r.choice(L.PROBLEMS)} fixed", f"Can you check the {r.choice(L.PROBLEMS)}",
        f"Is there a train to {c} after {r.choice(L.TIMES)}", f"Has anyone tried {r.choice(L.TOOLS)}", f"Did {p} reply",
        f"Is this {r.choice(L.LANGS)} code correct", f"Could you summarise {r.choice(L.TOPICS)}", f"Will it rain in {c} on {r.choice(L.DAYS)}",
        f"Should I learn {r.choice(L.LANGS)} or {r.choice(L.LANGS)}", f"Does my {r.choice(L.RELATIONS)} need a visa for {r.choice(L.COUNTRIES)}",
    ])
