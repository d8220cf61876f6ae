"""Loaders that turn LoCoMo, LongMemEval and convqa files into one shape: conversations of sessions of turns.

Standard library only (the peer scripts import this from another virtualenv).

- LoCoMo (`locomo10.json`): one conversation per sample; evidence is turn ids (`D3:12`); categories
  1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop, 5 adversarial (5 is excluded from scoring).
- LongMemEval (`longmemeval_s*.json`): one "conversation" per question (its haystack); only user turns
  are ingested, as in the official retrieval evaluation; evidence is `answer_session_ids`, scored at
  session level; abstention questions (`*_abs`) are skipped.
- convqa: the small format in docs/convqa.md, scored like LoCoMo.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

Level = Literal["turn", "session"]
FORMATS = ("locomo", "longmemeval", "convqa")
LOCOMO_CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}


class DatasetError(ValueError):
    """The file is not in the format it was loaded as."""


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Turn:
    id: str
    speaker: str
    text: str
    caption: str | None = None
    replies_to: str | None = None  # the turn this one answers when that turn is not ingested itself (LongMemEval's assistant turns)

    def content(self) -> str:
        """What goes into `remember`: the speaker, the words, and a shared photo's caption if any.

        Control characters (some LongMemEval turns carry them) become spaces: `remember` refuses them.
        """
        body = _CONTROL.sub(" ", self.text).strip()
        if self.caption:
            body = f"{body} [shares a photo: {self.caption.strip()}]" if body else f"[shares a photo: {self.caption.strip()}]"
        return f"{self.speaker}: {body}" if self.speaker else body


@dataclass(frozen=True)
class Session:
    id: str
    date: datetime | None
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    evidence: tuple[str, ...]
    category: str
    date: datetime | None = None


@dataclass(frozen=True)
class Conversation:
    id: str
    sessions: tuple[Session, ...]
    questions: tuple[Question, ...]

    def turn_session(self) -> dict[str, str]:
        return {t.id: s.id for s in self.sessions for t in s.turns}


@dataclass
class Dataset:
    name: str
    level: Level  # what evidence ids name: turns (LoCoMo, convqa) or sessions (LongMemEval)
    conversations: list[Conversation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the loader repaired or dropped

    @property
    def n_turns(self) -> int:
        return sum(len(s.turns) for c in self.conversations for s in c.sessions)

    @property
    def n_questions(self) -> int:
        return sum(len(c.questions) for c in self.conversations)


# -- evidence ids --------------------------------------------------------------------------------
_TURN_ID = re.compile(r"D:?(\d+):(\d+)")


def normalise_evidence(raw: list[str] | str) -> list[str]:
    """LoCoMo evidence ids, repaired: split on ';' and whitespace, strip zero padding, drop junk.

    `["D8:6; D9:17"]` -> `["D8:6", "D9:17"]`, `"D30:05"` -> `"D30:5"`, `"D:11:26"` -> `"D11:26"`, `"D"` -> nothing.
    """
    items = [raw] if isinstance(raw, str) else list(raw)
    out: list[str] = []
    for item in items:
        for piece in re.split(r"[;,\s]+", str(item)):
            m = _TURN_ID.fullmatch(piece.strip())
            if m:
                tid = f"D{int(m.group(1))}:{int(m.group(2))}"
                if tid not in out:
                    out.append(tid)
    return out


# -- dates ---------------------------------------------------------------------------------------
def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def parse_date(text: str | None) -> datetime | None:
    """ISO 8601, LoCoMo ('1:56 pm on 8 May, 2023') or LongMemEval ('2023/04/25 (Tue) 04:07'); UTC."""
    if not text:
        return None
    text = str(text).strip()
    try:
        return _utc(datetime.fromisoformat(text))
    except ValueError:
        pass
    cleaned = re.sub(r"\s*\(\w+\)\s*", " ", text).strip()
    for fmt in ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y", "%Y/%m/%d %H:%M", "%Y/%m/%d"):
        try:
            return _utc(datetime.strptime(cleaned, fmt))
        except ValueError:
            continue
    raise DatasetError(f"unrecognised date {text!r}")


# -- loaders -------------------------------------------------------------------------------------
def _read(path: str | Path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path} is not JSON: {exc}") from exc


def load_locomo(path: str | Path, data=None) -> Dataset:
    """LoCoMo: `[{sample_id, conversation: {speaker_a, session_N, session_N_date_time}, qa: [...]}]`.

    Raises:
        DatasetError: the file does not have LoCoMo's shape.
    """
    data = _read(path) if data is None else data
    if not isinstance(data, list) or not data or "conversation" not in data[0]:
        raise DatasetError("not LoCoMo: expected a list of samples with 'conversation' and 'qa'")
    ds = Dataset("locomo", "turn")
    for sample in data:
        conv = sample["conversation"]
        numbers = sorted(int(m.group(1)) for k in conv if (m := re.fullmatch(r"session_(\d+)", k)) and isinstance(conv[k], list))
        sessions = []
        for n in numbers:
            turns = tuple(
                Turn(id=str(t["dia_id"]), speaker=t.get("speaker", ""), text=t.get("text", ""), caption=t.get("blip_caption"))
                for t in conv[f"session_{n}"]
            )
            sessions.append(Session(id=f"D{n}", date=parse_date(conv.get(f"session_{n}_date_time")), turns=turns))
        turn_ids = {t.id for s in sessions for t in s.turns}
        questions = []
        for i, qa in enumerate(sample.get("qa", [])):
            category = int(qa.get("category", 0))
            if category == 5:
                continue  # adversarial: unanswerable by design, excluded as in the LoCoMo retrieval evaluation
            evidence = [e for e in normalise_evidence(qa.get("evidence", [])) if e in turn_ids]
            if not evidence:
                ds.notes.append(f"{sample['sample_id']} q{i}: no usable evidence id in {qa.get('evidence')!r}; skipped")
                continue
            if len(evidence) != len(qa.get("evidence", [])):
                ds.notes.append(f"{sample['sample_id']} q{i}: evidence {qa.get('evidence')!r} read as {evidence}")
            questions.append(
                Question(id=f"{sample['sample_id']}:q{i}", question=str(qa["question"]), evidence=tuple(evidence),
                         category=LOCOMO_CATEGORIES.get(category, str(category)))
            )
        ds.conversations.append(Conversation(id=str(sample["sample_id"]), sessions=tuple(sessions), questions=tuple(questions)))
    return ds


def load_longmemeval(path: str | Path, data=None) -> Dataset:
    """LongMemEval: one haystack per question; user turns only; evidence is `answer_session_ids`.

    Raises:
        DatasetError: the file does not have LongMemEval's shape.
    """
    data = _read(path) if data is None else data
    if not isinstance(data, list) or not data or "haystack_sessions" not in data[0]:
        raise DatasetError("not LongMemEval: expected a list of questions with 'haystack_sessions'")
    ds = Dataset("longmemeval", "session")
    for item in data:
        qid = str(item["question_id"])
        if qid.endswith("_abs"):
            ds.notes.append(f"{qid}: abstention question; skipped")
            continue
        sessions = []
        for sid, date, turns in zip(item["haystack_session_ids"], item["haystack_dates"], item["haystack_sessions"]):
            kept = tuple(
                Turn(id=f"{sid}_{j + 1}", speaker="", text=t["content"], replies_to=_said_before(turns, j))
                for j, t in enumerate(turns)
                if t.get("role") == "user" and str(t.get("content", "")).strip()
            )
            sessions.append(Session(id=str(sid), date=parse_date(date), turns=kept))
        present = {s.id for s in sessions}
        evidence = tuple(s for s in item["answer_session_ids"] if s in present)
        if not evidence:
            ds.notes.append(f"{qid}: no answer session in the haystack; skipped")
            continue
        question = Question(id=qid, question=str(item["question"]), evidence=evidence,
                            category=str(item.get("question_type", "all")), date=parse_date(item.get("question_date")))
        ds.conversations.append(Conversation(id=qid, sessions=tuple(sessions), questions=(question,)))
    return ds


def _said_before(turns: list[dict], j: int) -> str | None:
    """The assistant's words just before user turn `j` (what the user answers), or None."""
    if j and turns[j - 1].get("role") == "assistant" and str(turns[j - 1].get("content", "")).strip():
        return _CONTROL.sub(" ", str(turns[j - 1]["content"])).strip()
    return None


def load_convqa(path: str | Path, data=None) -> Dataset:
    """convqa (docs/convqa.md): conversations of dated sessions of turns, questions with turn-id evidence.

    Raises:
        DatasetError: missing keys, duplicate turn ids, or evidence naming no turn of the conversation.
    """
    data = _read(path) if data is None else data
    if not isinstance(data, dict) or not isinstance(data.get("conversations"), list):
        raise DatasetError("not convqa: expected an object with a 'conversations' list")
    ds = Dataset(str(data.get("name", "convqa")), "turn")
    try:
        for conv in data["conversations"]:
            sessions, seen = [], set()
            for s in conv["sessions"]:
                turns = tuple(Turn(id=str(t["id"]), speaker=str(t.get("speaker", "")), text=str(t["text"]), caption=t.get("caption")) for t in s["turns"])
                for t in turns:
                    if t.id in seen:
                        raise DatasetError(f"conversation {conv['id']}: duplicate turn id {t.id!r}")
                    seen.add(t.id)
                sessions.append(Session(id=str(s["id"]), date=parse_date(s.get("date")), turns=turns))
            questions = []
            for q in conv["questions"]:
                evidence = tuple(str(e) for e in q["evidence"])
                unknown = [e for e in evidence if e not in seen]
                if unknown or not evidence:
                    raise DatasetError(f"conversation {conv['id']} question {q['id']}: evidence {unknown or '[]'} names no turn")
                questions.append(Question(id=str(q["id"]), question=str(q["question"]), evidence=evidence,
                                          category=str(q.get("category") or "all"), date=parse_date(q.get("date"))))
            ds.conversations.append(Conversation(id=str(conv["id"]), sessions=tuple(sessions), questions=tuple(questions)))
    except (KeyError, TypeError) as exc:
        raise DatasetError(f"not convqa: missing or malformed field {exc}") from exc
    return ds


LOADERS = {"locomo": load_locomo, "longmemeval": load_longmemeval, "convqa": load_convqa}


def load(fmt: str, path: str | Path, limit: int | None = None, offset: int = 0) -> Dataset:
    """Load `path` as `fmt`; `offset`/`limit` keep N conversations from the offset (LongMemEval: questions).

    Shards (`offset`) let several processes share a long run; `merge_reports` joins their reports.

    Raises:
        DatasetError: unknown format, or the file does not match it.
    """
    if fmt not in LOADERS:
        raise DatasetError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    ds = LOADERS[fmt](path)
    ds.conversations = ds.conversations[offset:]
    if limit is not None:
        ds.conversations = ds.conversations[:limit]
    return ds
