"""Secret detection: what must never reach the store, found by rules, never by a model.

Each detector returns spans; `redact()` replaces them with `[REDACTED:<kind>]`.
Card numbers must pass the Luhn check and US SSNs the SSA's structural rules,
so ordinary long numbers (order ids, phone numbers) are not mistaken for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int


_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("private_key", re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)", re.S)),
    ("api_key", re.compile(r"\bsk-(?:ant-|proj-|live-|test-)?[A-Za-z0-9_\-]{16,}")),
    ("api_key", re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b")),
    ("github_token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})")),
    ("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("connection_password", re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)")),
    # "my password is hunter2", "API token: abc123", "aws_secret_access_key = ..."
    (
        "credential",
        re.compile(
            r"(?i)\b(?:pass(?:word|wd|code|phrase)?|pwd|pin|secret(?:[ _]access)?[ _]?key|client[ _]secret|"
            r"api[ _-]?(?:key|token|secret)|access[ _-]?token|auth[ _-]?token|bearer|private[ _]key)"
            r"(?:\s+(?:for|to|of|on|at)(?:\s+[\w.@'-]+){1,4}?)?\s*(?:is|was|=|:|->)\s*[\"']?(?P<value>[^\s\"',;]{4,})"
        ),
    ),
]
_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
_SSN = re.compile(r"(?<![\w-])(\d{3})[- ](\d{2})[- ](\d{4})(?![\w-])")
_SSN_CONTEXT = re.compile(r"(?i)\b(?:ssn|social security(?: number)?|tax id|national id|passport(?: number)?)\b[^\d]{0,20}([A-Z]{0,2}\d[\d -]{5,14}\d)")


def luhn_ok(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _ssn_ok(area: str, group: str, serial: str) -> bool:
    return area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000"


def find_secrets(text: str) -> list[Finding]:
    found: list[Finding] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if "value" in pattern.groupindex and m.group("value"):
                value = m.group("value")
                if value.lower() in {"redacted", "[redacted", "unknown", "none", "secret", "required", "changed"}:
                    continue
                found.append(Finding(kind if kind != "credential" else "password", m.start("value"), m.end("value")))
            else:
                found.append(Finding(kind, m.start(), m.end()))
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            found.append(Finding("card_number", m.start(), m.end()))
    for m in _SSN.finditer(text):
        if _ssn_ok(*m.groups()):
            found.append(Finding("government_id", m.start(), m.end()))
    for m in _SSN_CONTEXT.finditer(text):
        found.append(Finding("government_id", m.start(1), m.end(1)))
    return _merge(found)


def _merge(found: list[Finding]) -> list[Finding]:
    merged: list[Finding] = []
    for f in sorted(found, key=lambda f: (f.start, -f.end)):
        if merged and f.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Finding(last.kind, last.start, max(last.end, f.end))
        else:
            merged.append(f)
    return merged


def redact(text: str, findings: list[Finding]) -> str:
    out, last = [], 0
    for f in findings:
        out.append(text[last : f.start])
        out.append(f"[REDACTED:{f.kind}]")
        last = f.end
    out.append(text[last:])
    return "".join(out)
