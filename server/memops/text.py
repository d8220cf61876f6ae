"""Language-level word lists and tokenisation shared by features and rules.

These are closed-class English markers (negations, hedges, modals, weekdays,
antonyms...), not user content: the same lists serve every namespace. Content
lexicons used to *generate* training data live in `lexicon.py`, apart.
"""

from __future__ import annotations

import functools
import re

_TOKEN = re.compile(r"[a-z0-9]+(?:['.:][a-z0-9]+)*")
_CAPWORD = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+(?:[A-Z][a-z]+)?)\b")
_HONORIFIC = re.compile(r"\b(Dr|Mr|Mrs|Ms|Mx|Prof|St)\.\s")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")

NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "fifteen": "15", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100",
    "once": "1x", "twice": "2x", "half": "0.5", "dozen": "12",
}
DAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "mondays", "tuesdays", "wednesdays", "thursdays", "fridays", "saturdays", "sundays",
        "weekend", "weekends", "weekday", "weekdays", "today", "tomorrow", "tonight", "yesterday"}
MONTHS = {"january", "february", "march", "april", "may_", "june", "july", "august", "september",
          "october", "november", "december", "spring", "summer", "autumn", "fall", "winter"}
NEGATIONS = {"not", "no", "never", "don't", "dont", "doesn't", "didn't", "isn't", "aren't", "wasn't",
             "won't", "can't", "cannot", "can't", "nothing", "none", "neither", "nor", "without",
             "haven't", "hasn't", "shouldn't", "wouldn't", "couldn't", "n't", "stopped", "quit", "longer"}
STOPWORDS = {
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "by", "from",
    "is", "am", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these",
    "those", "i", "i'm", "im", "my", "me", "mine", "we", "our", "us", "you", "your", "he", "she",
    "his", "her", "they", "their", "them", "as", "so", "do", "does", "did", "have", "has", "had",
    "very", "really", "just", "also", "too", "about", "into", "than", "then", "there", "here", "up",
    "out", "over", "some", "any", "all", "more", "most", "much", "what", "which", "who", "will",
    "would", "should", "can", "could", "i've", "i'd", "i'll", "get", "got", "go", "s", "t",
}
HEDGES = ("maybe", "might", "perhaps", "possibly", "probably", "not sure", "i guess", "i suppose",
          "thinking about", "thinking of", "considering", "wondering", "could be", "who knows",
          "someday", "some day", "one day", "if i have time", "i may", "not certain", "toying with",
          "tempted", "undecided", "on the fence", "idk", "no idea", "kind of want", "sort of want",
          "half thinking", "it's possible", "likely")
TRANSIENT = ("just for now", "for now", "this session", "this conversation", "this chat",
             "for this answer", "for this reply", "for the next", "right now only", "only today",
             "just today", "for today only", "temporarily", "for the moment", "this time only",
             "just this once", "just this time", "only this time", "for this one", "in this thread",
             "for this task", "until i say otherwise", "for the rest of this", "in your next",
             "in this response", "for this response", "just here", "for now only")
SMALLTALK = ("hello", "hi", "hey", "thanks", "thank you", "thx", "good morning", "good night",
             "good evening", "how are you", "lol", "haha", "ok", "okay", "cool", "nice", "great",
             "sounds good", "bye", "see you", "cheers", "no worries", "awesome", "got it", "sure",
             "yo", "what's up", "wow", "hmm", "oops", "sorry", "welcome", "morning", "np", "ty")
REQUEST = ("can you", "could you", "would you", "will you", "please", "tell me", "show me", "help me",
           "write", "explain", "give me", "summarize", "summarise", "translate", "list", "let's",
           "remind me what", "what do you", "do you", "generate", "draft", "fix this", "check this")
# "for this screenshot only", "today only", "only for this draft": a one-off scope, whatever the noun.
TRANSIENT_RE = re.compile(r"\b(?:(?:just |only )?for this (?!week\b|month\b|year\b|morning\b|evening\b|weekend\b)[a-z]+ only"
                          r"|only for this [a-z]+|just for this [a-z]+|today only|only for today|this once)\b")
# Words that judge or generalise without stating a new fact: what a restatement adds ("the best film ever, in my opinion").
EVALUATIVE = {"best", "favourite", "favorite", "great", "amazing", "love", "loved", "opinion", "think", "honestly",
              "really", "typically", "usually", "generally", "normally", "mostly", "ever", "all", "time", "truly",
              "definitely", "absolutely", "fan", "enjoy", "happy", "wonderful", "awesome", "fantastic", "terrible",
              "awful", "worst", "hate", "thing", "things", "one", "kind", "pretty", "quite", "always", "lot",
              "personally", "feel", "view", "say", "honest", "course", "fine", "good", "nice", "glad", "proud",
              "simply", "basically", "made", "ones", "top", "beat", "beats", "nothing", "better", "much", "deal",
              "big", "huge", "fact", "truth", "still", "remain", "remains", "same", "certainly", "sure"}
# Conversational glue: words a chat turn shares with any other turn of the same chat ("thanks, that's awesome, keep it up").
CHATTER = {"thanks", "thank", "hey", "hi", "wow", "cool", "awesome", "amazing", "great", "glad", "yeah", "yes", "haha", "lol",
           "oh", "nice", "totally", "keep", "proud", "happy", "fun", "inspiring", "support", "sounds", "hope", "means",
           "appreciate", "congrats", "sure", "definitely", "lot", "so", "like", "know", "let", "talk", "hear", "wonderful",
           "sweet", "cheers", "good", "well", "things", "thing", "way", "stuff", "time", "feel", "felt", "made", "make",
           "going", "been", "being", "right", "much", "lately", "today", "always", "never", "day", "week", "life", "people"}
CHANGE = ("now", "no longer", "anymore", "any more", "actually", "switched", "switch", "moved",
          "changed", "instead", "these days", "used to", "not anymore", "correction", "wrong",
          "mistake", "turns out", "turned out", "rather than", "replaced", "new", "after all",
          "from now on", "became", "become", "left", "quit", "stopped", "rescheduled", "postponed",
          "moved to", "pushed", "cancelled", "canceled", "sold", "broke up", "no more", "went up", "dropped",
          "just turned", "got engaged", "got married", "divorced", "cut to", "back to", "changed to",
          "earlier i said", "i was wrong", "update", "nope", "scratch that", "i meant")
ADDITION = ("also", "too", "as well", "another", "additionally", "besides", "plus", "in addition",
            "both", "second", "other")
FUTURE = ("will", "going to", "gonna", "plan", "planning", "want to", "hope to", "aim", "goal",
          "intend", "aspire", "by next", "by the end", "next year", "next month", "someday", "dream",
          "trying to", "working toward", "working towards", "determined")
PAST = ("yesterday", "last", "ago", "was", "were", "did", "went", "had", "met", "visited", "attended",
        "finished", "earlier", "this morning", "on monday", "just got")
CONSTRAINT = ("must", "can't", "cannot", "never", "allergic", "allergy", "only", "don't", "not allowed",
              "no ", "avoid", "deadline", "budget", "limit", "at most", "at least", "required",
              "require", "need to", "have to", "has to", "intolerant", "vegan", "vegetarian",
              "forbidden", "policy", "always use", "mustn't", "under no", "no more than", "strictly",
              "can only", "may not", "restricted", "doctor said", "due by", "no later than")
PREFERENCE = ("prefer", "like", "love", "enjoy", "favorite", "favourite", "hate", "dislike", "fan of",
              "rather", "can't stand", "into ", "adore", "fond of", "not a fan", "go-to", "best",
              "would rather", "detest", "my kind of", "enjoying", "loving")
OUTCOME = ("worked", "failed", "fixed", "succeeded", "solved", "resolved", "result", "turned out",
           "didn't work", "did not work", "broke", "passed", "won", "lost", "got the", "landed",
           "rejected", "accepted", "improved", "helped", "ended up", "outcome", "approved", "shipped",
           "crashed", "finally", "managed to", "it works", "success", "backfired", "paid off")
EVENT = ("yesterday", "tomorrow", "tonight", "next week", "last week", "on monday", "meeting",
         "appointment", "party", "trip", "flight", "went", "visited", "attended", "at ", "pm", "am",
         "wedding", "concert", "interview", "dinner", "lunch", "birthday", "conference", "visit",
         "scheduled", "booked", "this weekend", "last night", "o'clock")
GOAL = ("want to", "goal", "hope to", "plan to", "aim to", "trying to", "aspire", "dream", "by the end",
        "by next", "working toward", "working towards", "determined to", "intend to", "learn",
        "save up", "target", "resolution", "objective", "i'd like to", "would like to", "get better")
RELATIONS = {"mom", "mother", "dad", "father", "sister", "brother", "wife", "husband", "partner",
             "son", "daughter", "friend", "boss", "manager", "colleague", "coworker", "neighbor",
             "neighbour", "uncle", "aunt", "cousin", "grandma", "grandmother", "grandpa",
             "grandfather", "boyfriend", "girlfriend", "roommate", "dog", "cat", "kid", "kids",
             "child", "children", "team", "client", "teacher", "doctor", "dentist", "landlord",
             "niece", "nephew", "fiance", "fiancee", "baby", "parents", "family", "mentor"}
ANTONYMS = [
    ("love", "hate"), ("like", "dislike"), ("like", "hate"), ("enjoy", "hate"), ("enjoy", "dislike"),
    ("love", "dislike"), ("love", "can't stand"), ("hot", "cold"), ("early", "late"), ("morning", "evening"),
    ("morning", "night"), ("morning", "afternoon"), ("day", "night"), ("dark", "light"), ("big", "small"), ("loud", "quiet"), ("fast", "slow"),
    ("sweet", "savory"), ("spicy", "mild"), ("long", "short"), ("more", "less"), ("up", "down"),
    ("open", "closed"), ("on", "off"), ("allow", "forbid"), ("accepted", "rejected"), ("passed", "failed"),
    ("won", "lost"), ("start", "stop"), ("started", "stopped"), ("single", "married"), ("remote", "office"),
    ("tabs", "spaces"), ("yes", "no"), ("true", "false"), ("always", "never"), ("increase", "decrease"),
    ("raised", "lowered"), ("cheap", "expensive"), ("easy", "hard"), ("happy", "sad"), ("good", "bad"),
    ("better", "worse"), ("introvert", "extrovert"), ("before", "after"), ("include", "exclude"),
    ("with", "without"), ("inside", "outside"), ("indoor", "outdoor"), ("city", "countryside"),
    ("summer", "winter"), ("buy", "sell"), ("bought", "sold"), ("join", "leave"), ("joined", "left"),
    ("hired", "fired"), ("succeeded", "failed"), ("works", "broken"), ("worked", "failed"), ("fixed", "broken"),
    ("vegan", "meat"), ("formal", "casual"), ("verbose", "concise"), ("detailed", "brief"), ("short", "detailed"),
    ("upstairs", "downstairs"), ("north", "south"), ("east", "west"), ("left", "right"), ("first", "last"),
    ("minimum", "maximum"), ("enable", "disable"), ("enabled", "disabled"), ("public", "private"),
    ("sunny", "rainy"), ("healthy", "sick"), ("full-time", "part-time"), ("weekday", "weekend"),
]
_OPPOSITE: dict[str, set[str]] = {}
for _x, _y in ANTONYMS:
    _OPPOSITE.setdefault(_x, set()).add(_y)
    _OPPOSITE.setdefault(_y, set()).add(_x)
_EMPTY: frozenset[str] = frozenset()


def tokens(text: str) -> list[str]:
    """Lower-case word tokens; number words are mapped to digits so 'three' == '3', 'half past nine' == '9:30'."""
    out = []
    for tok in _TOKEN.findall(_clock_words(text.lower().replace("’", "'"))):
        out.append(NUMBER_WORDS.get(tok, tok))
    return out


def content_tokens(text: str) -> set[str]:
    return {t for t in tokens(text) if t not in STOPWORDS}


@functools.lru_cache(maxsize=65536)
def stem(tok: str) -> str:
    """A crude suffix stripper; enough to equate 'runs'/'running'/'run' for overlap features."""
    for suf in ("ing", "ed", "es", "s", "ly"):
        if len(tok) > len(suf) + 2 and tok.endswith(suf):
            return tok[: -len(suf)]
    return tok


def stems(text: str) -> set[str]:
    return {stem(t) for t in content_tokens(text)}


_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_COMPOUND = re.compile(r"\b(" + "|".join(_TENS) + r")[- ](" + "|".join(_UNITS) + r")\b", re.I)
_HOUR = {**{w: int(n) for w, n in NUMBER_WORDS.items() if n.isdigit() and 0 < int(n) <= 12}, **{str(i): i for i in range(1, 13)}}
_PAST = re.compile(r"\b(half|quarter) (past|to) (" + "|".join(_HOUR) + r")\b", re.I)
_TIMES_AS = re.compile(r"\b(\d+)(?:x| times)\b", re.I)


def _clock(m: re.Match) -> str:
    h = _HOUR[m.group(3).lower()]
    if m.group(2).lower() == "to":
        return f"{(h - 2) % 12 + 1}:45"
    return f"{h}:{'30' if m.group(1).lower() == 'half' else '15'}"


def _clock_words(text: str) -> str:
    text = _PAST.sub(_clock, text)
    return _TIMES_AS.sub(lambda m: "twice" if m.group(1) == "2" else m.group(0), text)


def numbers(text: str) -> set[str]:
    # "thirty-four" is 34, not {30, 4}; "half past nine" is 9:30; "2x" and "twice" are one number.
    text = _COMPOUND.sub(lambda m: str(_TENS[m.group(1).lower()] + _UNITS[m.group(2).lower()]), text)
    text = _clock_words(text)
    found = set(_NUMBER.findall(text))
    found |= {NUMBER_WORDS[t] for t in re.findall(r"[a-z]+", text.lower()) if t in NUMBER_WORDS and t != "may"}
    return found


def capitalised(text: str) -> set[str]:
    """Capitalised words not at a sentence start: a cheap stand-in for named entities."""
    text = _HONORIFIC.sub(r"\1 ", text)  # "Dr. Lindqvist": a title's full stop does not end a sentence
    return {w.lower() for w in _CAPWORD.findall(text) if w.lower() not in STOPWORDS and w != "I"}


def has_any(text: str, markers) -> int:
    """Count markers present as whole words/phrases in lower-cased text."""
    low = " " + re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("’", "'")) + " "
    return sum(1 for m in markers if f" {m.strip()} " in low)


def negation_count(text: str) -> int:
    toks = tokens(text)
    return sum(1 for t in toks if t in NEGATIONS or t.endswith("n't"))


def antonym_hit(a: set[str], b: set[str]) -> int:
    """1 if some word of `a` and some word of `b` form a known antonym pair."""
    sa = a | {stem(t) for t in a}
    sb = b | {stem(t) for t in b}
    return int(any(_OPPOSITE.get(w, _EMPTY) & sb for w in sa))
