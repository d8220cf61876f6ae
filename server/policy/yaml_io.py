"""Policies as readable YAML files for review, and back.

PyYAML is not a dependency: this writes and reads a small, safe subset of YAML — block mappings and
lists, double-quoted strings (JSON escapes, valid YAML), numbers, true/false/null, [] and {} — which
any YAML parser reads the same way. Hand edits may also use plain unquoted scalars and # comments.

Import: a file whose policy exists gets a new version if a reviewed field changed (nothing changed:
nothing written, so export -> import is the identity); an unknown id creates the policy.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from server.errors import InvalidInput
from server.policy.models import Conditions, Evidence, Policy, Rule
from server.service import new_id

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_UNSAFE = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029", "\x7f": "\\u007f", "\ufeff": "\\ufeff"}
REVIEWED = ("name", "trigger", "trigger_kind", "trigger_terms", "conditions", "action", "rationale", "enforcement", "status", "rule")


# -- the YAML subset ---------------------------------------------------------------------------------
def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    text = json.dumps(str(value), ensure_ascii=False)
    for ch, esc in _UNSAFE.items():
        text = text.replace(ch, esc)
    return text


def _key(key: str) -> str:
    return key if _PLAIN_KEY.fullmatch(key) and key not in ("null", "true", "false", "yes", "no", "on", "off", "y", "n") else _scalar(key)


def dump(data: Any, indent: int = 0) -> str:
    """Render dicts, lists and scalars as block YAML."""
    return "\n".join(_dump(data, indent)) + "\n"


def _dump(data: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, (dict, list)) and value:
                lines.append(f"{pad}{_key(str(key))}:")
                lines += _dump(value, indent + 2)
            else:
                lines.append(f"{pad}{_key(str(key))}: {_inline(value)}")
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, list) and item:
                lines.append(f"{pad}-")
                lines += _dump(item, indent + 2)
            elif isinstance(item, dict) and item:
                inner = _dump(item, indent + 2)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines += inner[1:]
            else:
                lines.append(f"{pad}- {_inline(item)}")
    else:
        lines.append(pad + _inline(data))
    return lines


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def load(text: str) -> Any:
    """Parse the subset `dump` writes (plus plain scalars and comments).

    Raises:
        InvalidInput: the text is not in the subset (with the line number).
    """
    lines = []
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#") or stripped == "---":
            continue
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise InvalidInput(f"line {number}: indent with spaces, not tabs")
        lines.append((len(raw) - len(raw.lstrip(" ")), stripped, number))
    if not lines:
        return None
    value, end = _block(lines, 0, lines[0][0])
    if end != len(lines):
        raise InvalidInput(f"line {lines[end][2]}: unexpected indentation")
    return value


def _block(lines, i, indent):
    if lines[i][1].startswith("- ") or lines[i][1] == "-":
        return _list(lines, i, indent)
    return _mapping(lines, i, indent)


def _split_key(text: str, number: int) -> tuple[str, str]:
    if text.startswith('"'):
        try:
            key, end = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"line {number}: bad quoted key") from exc
        rest = text[end:]
        if not rest.startswith(":"):
            raise InvalidInput(f"line {number}: expected ':' after the key")
        return key, rest[1:].strip()
    if ":" not in text:
        raise InvalidInput(f"line {number}: expected 'key: value'")
    key, _, rest = text.partition(":")
    if rest and not rest.startswith(" "):
        raise InvalidInput(f"line {number}: expected a space after ':'")
    return key.strip(), rest.strip()


def _mapping(lines, i, indent):
    out: dict[str, Any] = {}
    while i < len(lines) and lines[i][0] == indent:
        _, text, number = lines[i]
        if text.startswith("- "):
            raise InvalidInput(f"line {number}: a list item where a key was expected")
        key, rest = _split_key(text, number)
        i += 1
        if rest == "":
            if i < len(lines) and lines[i][0] > indent:
                out[key], i = _block(lines, i, lines[i][0])
            elif i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
                out[key], i = _list(lines, i, indent)
            else:
                out[key] = None
        else:
            out[key] = _parse_scalar(rest, number)
    if i < len(lines) and lines[i][0] > indent:
        raise InvalidInput(f"line {lines[i][2]}: unexpected indentation")
    return out, i


def _list(lines, i, indent):
    out: list[Any] = []
    while i < len(lines) and lines[i][0] == indent and (lines[i][1].startswith("- ") or lines[i][1] == "-"):
        _, text, number = lines[i]
        rest = text[1:].strip()
        if rest == "":
            i += 1
            if i < len(lines) and lines[i][0] > indent:
                value, i = _block(lines, i, lines[i][0])
            else:
                value = None
            out.append(value)
            continue
        child = indent + 2
        if _looks_like_key(rest):
            # "- key: value" opens a mapping whose other keys sit at indent + 2
            sub = [(child, rest, number)]
            j = i + 1
            while j < len(lines) and lines[j][0] >= child:
                sub.append(lines[j])
                j += 1
            value, end = _mapping(sub, 0, child)
            if end != len(sub):
                raise InvalidInput(f"line {sub[end][2]}: unexpected indentation")
            out.append(value)
            i = j
        else:
            out.append(_parse_scalar(rest, number))
            i += 1
    return out, i


def _looks_like_key(text: str) -> bool:
    if text.startswith('"'):
        try:
            _, end = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError:
            return False
        return text[end:].startswith(":")
    head = text.split(" #", 1)[0]
    return bool(re.match(r"^[A-Za-z_][A-Za-z0-9_-]*:( |$)", head))


def _parse_scalar(text: str, number: int) -> Any:
    if text.startswith('"'):
        try:
            value, end = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"line {number}: bad quoted string") from exc
        tail = text[end:].strip()
        if tail and not tail.startswith("#"):
            raise InvalidInput(f"line {number}: text after a quoted string")
        return value
    if text.startswith("'"):
        m = re.match(r"^'((?:[^']|'')*)'\s*(#.*)?$", text)
        if not m:
            raise InvalidInput(f"line {number}: bad single-quoted string")
        return m.group(1).replace("''", "'")
    text = re.split(r"\s+#", text, maxsplit=1)[0].strip()
    if text in ("[]", "{}"):
        return [] if text == "[]" else {}
    if text in ("null", "~", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    if re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?|[-+]?inf|nan", text):
        return float(text)
    if text[:1] in "[{&*!|>%@`":
        raise InvalidInput(f"line {number}: flow collections, anchors, tags and block scalars are not supported; quote the text")
    return text


# -- policies <-> files ------------------------------------------------------------------------------
def policy_document(policy: Policy) -> dict[str, Any]:
    data = policy.model_dump(mode="json")
    doc = {k: data[k] for k in ("id", "name", "status", "enforcement", "origin", "trigger", "trigger_kind", "trigger_terms")}
    doc["conditions"] = data["conditions"]
    doc["action"] = data["action"]
    doc["rationale"] = data["rationale"]
    doc["rule"] = data["rule"]
    doc["confidence"] = round(policy.confidence, 4)
    doc["evidence"] = data["evidence"]
    doc["version"] = policy.version
    return doc


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "policy"


def export_policies(engine, namespace: str, directory: Path) -> list[Path]:
    """Write one YAML file per policy (current version) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for policy, _ in engine.policies(namespace):
        path = directory / f"{_slug(policy.name)}--{policy.id}.yaml"
        header = (
            f"# Reverie policy {policy.id}, version {policy.version} ({policy.status}).\n"
            "# Edit name, trigger, conditions, action, rationale, enforcement, status or rule and run\n"
            "# `reverie policy import` on this file or its folder: a change becomes a new version.\n"
            "# confidence, evidence and version are read-only.\n"
        )
        path.write_text(header + dump(policy_document(policy)), encoding="utf-8")
        paths.append(path)
    return paths


def import_policies(engine, namespace: str, path: Path, actor: str = "import") -> dict[str, int]:
    """Apply reviewed YAML files (a file or a folder of *.yaml); returns counts.

    Raises:
        InvalidInput: a file that is not valid policy YAML.
    """
    files = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")) if path.is_dir() else [path]
    counts = {"created": 0, "revised": 0, "unchanged": 0}
    at = engine.now()
    for file in files:
        doc = load(file.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or not doc.get("id") or not doc.get("action"):
            raise InvalidInput(f"{file}: expected a policy mapping with at least id and action")
        try:
            reviewed = {
                "name": str(doc.get("name") or doc["action"])[:200], "trigger": str(doc.get("trigger") or doc["action"]),
                "trigger_kind": doc.get("trigger_kind") or "situation", "trigger_terms": list(doc.get("trigger_terms") or []),
                "conditions": Conditions.model_validate(doc.get("conditions") or {}), "action": str(doc["action"]),
                "rationale": str(doc.get("rationale") or ""), "enforcement": doc.get("enforcement") or "soft",
                "status": doc.get("status") or "proposed",
                "rule": Rule.model_validate(doc["rule"]) if doc.get("rule") else None,
            }
            Policy(id=str(doc["id"]), namespace=namespace, created_at=at, **reviewed)  # validates the values
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"{file}: {exc}") from exc
        found = engine.store.get(namespace, str(doc["id"]))
        if found is None:
            evidence = Evidence.model_validate(doc.get("evidence") or {})
            # Policy ids are unique across namespaces: a copy into another namespace gets its own id.
            pid = new_id("pol") if engine.store.exists_anywhere(str(doc["id"])) else str(doc["id"])
            policy = Policy(id=pid, namespace=namespace, created_at=at, origin="imported", evidence=evidence,
                            reason=f"imported from {file.name}", actor=actor, **reviewed)
            engine.write(policy, engine.embed([policy.trigger])[0], change="import", at=at)
            counts["created"] += 1
            continue
        current, vector = found
        changed = [k for k in REVIEWED if _norm(getattr(current, k)) != _norm(reviewed[k])]
        if not changed:
            counts["unchanged"] += 1
            continue
        if "trigger" in changed:
            vector = engine.embed([reviewed["trigger"]])[0]
        engine.revise(current, vector, change="import", reason=f"reviewed in {file.name}: {', '.join(changed)} changed", actor=actor, at=at, **reviewed)
        counts["revised"] += 1
    return counts


def _norm(value: Any) -> Any:
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value
