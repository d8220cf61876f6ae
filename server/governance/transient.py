"""The transient gate: statements that say they only hold for now.

"Just for now, use tabs" must not become a lasting preference. These markers are
deterministic so the memory-ops model cannot talk a one-off into long-term memory.
"""

from __future__ import annotations

import re

_EXCHANGE = r"(?:reply|answer|response|message|conversation|chat|session|task|screenshot|call|question|request|turn|draft|run)"
_TRANSIENT = re.compile(
    r"(?i)\b(?:just|only)\s+for\s+(?:now|today|this\s+(?:session|conversation|chat|task|once|time|call))\b|"
    r"\bfor\s+(?:this|the\s+current)\s+(?:session|conversation|chat)\s+only\b|"
    r"\b(?:this|current)\s+(?:session|conversation|chat)\s+only\b|"
    r"\bjust\s+this\s+(?:once|time)\b|"
    r"\b(?:today|tonight)\s+only\b|\bonly\s+(?:today|tonight)\b|"
    # "for this reply only", "only for this screenshot": one-off requests about the exchange itself.
    rf"\bfor\s+this\s+(?:one\s+)?{_EXCHANGE}\s+only\b|\bonly\s+for\s+this\s+(?:one\s+)?{_EXCHANGE}\b|"
    r"\b(?:temporarily|for\s+the\s+next\s+(?:few\s+)?(?:minutes?|hours?|hour))\b|"
    r"\buntil\s+(?:the\s+)?end\s+of\s+(?:this|the)\s+(?:session|conversation|chat)\b"
)


def transient_marker(text: str) -> str | None:
    """The marker that makes `text` transient, or None."""
    m = _TRANSIENT.search(text)
    return m.group(0) if m else None
