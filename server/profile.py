"""The core profile: a compact, token-budgeted picture of the user that a client loads at the start of every
conversation (Letta's "core memory"), so the assistant need not search for who the user is.

Chosen by kind, effective strength and confidence from the active long-term memories; computed on demand from
the store, so it changes the moment a memory is corrected or forgotten. Every line names the memories behind it.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from server.models import RecallRequest
from server.service import MemoryService, check_namespace, effective_strength

# Section order and how much each kind matters in a first-glance picture of a person.
SECTIONS = (("constraint", "Constraints"), ("preference", "Preferences"), ("goal", "Goals"), ("fact", "About the user"))
KIND_WEIGHT = {"constraint": 1.0, "preference": 0.95, "goal": 0.9, "fact": 0.8, "outcome": 0.5, "event": 0.4}
CANDIDATES = 400


def estimate_tokens(text: str) -> int:
    """~4 characters a token for English (the budget is a guide, not a tokenizer's count)."""
    return max(1, (len(text) + 3) // 4)


class ProfileLine(BaseModel):
    section: str
    text: str
    memory_ids: list[str]


class Profile(BaseModel):
    namespace: str
    budget_tokens: int
    tokens: int
    lines: list[ProfileLine]
    text: str = Field(description="The profile as one block, ready to put in a prompt.")


def build_profile(service: MemoryService, namespace: str, budget_tokens: int = 400) -> Profile:
    check_namespace(namespace)
    now = service.clock.now()
    rows = service.store.list_memories(namespace, limit=5000, statuses=["active"])
    scored = []
    seen: set[str] = set()
    for _rowid, m in rows:
        if m.tier == "working" or not m.content or m.kind not in KIND_WEIGHT or m.content_hash in seen:
            continue
        seen.add(m.content_hash)
        scored.append((KIND_WEIGHT[m.kind] * effective_strength(m, now) * m.confidence, m))
    scored.sort(key=lambda sm: sm[0], reverse=True)
    chosen: dict[str, list[ProfileLine]] = {}
    used = 0
    for _score, m in scored[:CANDIDATES]:
        section = next((title for kind, title in SECTIONS if kind == m.kind), None)
        if section is None:
            continue
        line = ProfileLine(section=section, text=m.content, memory_ids=[m.id])
        cost = estimate_tokens(f"- {m.content}\n") + (0 if section in chosen else estimate_tokens(f"## {section}\n"))
        if used + cost > budget_tokens:
            continue  # a shorter, less important line may still fit
        chosen.setdefault(section, []).append(line)
        used += cost
    lines = [line for _, title in SECTIONS for line in chosen.get(title, [])]
    text = render(lines)
    return Profile(namespace=namespace, budget_tokens=budget_tokens, tokens=estimate_tokens(text) if text else 0, lines=lines, text=text)


def render(lines: list[ProfileLine]) -> str:
    out, current = [], None
    for line in lines:
        if line.section != current:
            out.append(f"## {line.section}")
            current = line.section
        out.append(f"- {line.text}")
    return "\n".join(out)


def memory_context(service: MemoryService, namespace: str, message: str | None, budget_tokens: int = 400) -> str:
    """The profile, plus (when a first message is given) the memories most relevant to it, within one budget."""
    profile = build_profile(service, namespace, budget_tokens)
    parts = ["# What you remember about this user", profile.text or "(nothing yet)"]
    used = profile.tokens
    if message and message.strip():
        included = {i for line in profile.lines for i in line.memory_ids}
        hits = service.recall(RecallRequest(namespace=namespace, query=message.strip()[:2000], k=10), actor="prompt").results
        extra = []
        for hit in hits:
            if hit.memory.id in included:
                continue
            entry = f"- {hit.memory.content}"
            if used + estimate_tokens(entry) > budget_tokens:
                break
            extra.append(entry)
            used += estimate_tokens(entry)
        if extra:
            parts += ["## Relevant to this conversation", *extra]
    return "\n".join(parts)
