"""`reverie import --from FORMAT PATH`: memories from other memory servers, through Reverie's own write path.

    format               input                                          one memory per
    mcp-memory-jsonl     the official MCP memory server's memory.jsonl  observation ("<entity>: <obs>") and relation
    mem0                 a mem0 export (JSON list or {"results": [...]}) memory
    mcp-memory-service   an mcp-memory-service JSON export ("memories")  memory
    markdown             a folder of .md notes (or one file)            paragraph or bullet; headings and front-matter tags become tags

Unlike a Reverie restore (server/portability.py), these records are *statements*, so
each goes through `MemoryService.remember_many` like any other write: secrets are
redacted or blocked, exact duplicates are noops, the memory-ops model may merge or
supersede. Every memory is marked `source=imported` with the original id (or
`path#line`) as provenance. Importing the same file twice adds nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from server.errors import InvalidInput, ReverieError
from server.governance.secrets import find_secrets, redact
from server.models import Kind, RememberRequest, Source

FORMATS = ("mcp-memory-jsonl", "mem0", "mcp-memory-service", "markdown")
KINDS = {k.value for k in Kind}
# mcp-memory-service memory types that name one of Reverie's kinds; others leave the kind to the model.
TYPE_KINDS = {**{k: k for k in KINDS}, "decision": "outcome", "task": "goal", "todo": "goal", "rule": "constraint"}
MAX_TAG = 64


@dataclass(frozen=True)
class Item:
    """One statement read from a foreign format, with where it came from."""

    content: str
    source_ref: str
    tags: tuple[str, ...] = ()
    kind: str | None = None
    valid_from: datetime | None = None


@dataclass
class Read:
    items: list[Item] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"source_ref", "reason"}: records that were not statements

    def skip(self, ref: str, reason: str) -> None:
        self.skipped.append({"source_ref": ref, "reason": reason})


# -- readers ----------------------------------------------------------------------------------------
def read(fmt: str, path: Path) -> Read:
    """Parse `path` in format `fmt`.

    Raises:
        InvalidInput: unknown format, missing path, or a file that is not in the format at all.
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise InvalidInput(f"Unknown import format {fmt!r}; choose one of {', '.join(FORMATS)} (or reverie).")
    if not path.exists():
        raise InvalidInput(f"{path} does not exist.")
    if fmt != "markdown" and not path.is_file():
        raise InvalidInput(f"{path} is not a file; --from {fmt} reads one file.")
    return {"mcp-memory-jsonl": read_mcp_memory_jsonl, "mem0": read_mem0,
            "mcp-memory-service": read_mcp_memory_service, "markdown": read_markdown}[fmt](path)


def read_mcp_memory_jsonl(path: Path) -> Read:
    """The knowledge graph of @modelcontextprotocol/server-memory: entity and relation lines."""
    out = Read()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        ref = f"{path.name}#L{number}"
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            out.skip(ref, "not JSON")
            continue
        kind = record.get("type") if isinstance(record, dict) else None
        if kind == "entity":
            name, etype = _text(record.get("name")), _text(record.get("entityType"))
            observations = record.get("observations") or []
            if not name or not isinstance(observations, list):
                out.skip(ref, "entity without a name or observations")
                continue
            tags = tuple(t for t in (_tag(etype), _tag(f"entity:{name}")) if t)
            for i, obs in enumerate(observations, start=1):
                if _text(obs):
                    out.items.append(Item(f"{name}: {_text(obs)}", f"{ref}.{i}", tags))
        elif kind == "relation":
            a, rel, b = _text(record.get("from")), _text(record.get("relationType")), _text(record.get("to"))
            if not (a and rel and b):
                out.skip(ref, "relation without from, relationType and to")
                continue
            # Trigger: relation types are identifiers (works_at). Why: the sentence embeds and reads better with spaces.
            out.items.append(Item(f"{a} {rel.replace('_', ' ')} {b}", ref, ("relation",)))
        else:
            out.skip(ref, f"unknown record type {kind!r}")
    return out


def read_mem0(path: Path) -> Read:
    """A mem0 export: `client.get_all()` output, a list or {"results": [...]} of {"id", "memory", ...}."""
    data = _load_json(path)
    records = data.get("results", data.get("memories")) if isinstance(data, dict) else data
    if not isinstance(records, list):
        raise InvalidInput(f"{path} is not a mem0 export: expected a JSON list or an object with 'results'.")
    out = Read()
    for i, record in enumerate(records):
        ref = f"mem0:{record.get('id')}" if isinstance(record, dict) and record.get("id") else f"{path.name}#{i}"
        text = _text(record.get("memory") or record.get("text")) if isinstance(record, dict) else ""
        if not text:
            out.skip(ref, "no 'memory' text")
            continue
        meta = record.get("metadata") or {}
        tags = []
        if record.get("user_id"):
            tags.append(f"user:{record['user_id']}")
        for key in ("categories", "category", "tags"):
            value = meta.get(key) if isinstance(meta, dict) else None
            value = record.get(key, value)
            tags.extend(value if isinstance(value, list) else [value] if value else [])
        out.items.append(Item(text, ref, _tags(tags), valid_from=_when(record.get("created_at"))))
    return out


def read_mcp_memory_service(path: Path) -> Read:
    """An mcp-memory-service export: {"memories": [{"content", "content_hash", "tags", "memory_type", ...}]}."""
    data = _load_json(path)
    records = data.get("memories") if isinstance(data, dict) else data
    if not isinstance(records, list):
        raise InvalidInput(f"{path} is not an mcp-memory-service export: expected an object with 'memories'.")
    out = Read()
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            out.skip(f"{path.name}#{i}", "not an object")
            continue
        ref = f"mcp-memory-service:{record['content_hash']}" if record.get("content_hash") else f"{path.name}#{i}"
        text = _text(record.get("content"))
        if not text:
            out.skip(ref, "no 'content'")
            continue
        tags = record.get("tags") or []
        if isinstance(tags, str):
            tags = [t for t in tags.split(",")]
        mtype = _text(record.get("memory_type")).lower()
        if mtype:
            tags = [*tags, f"type:{mtype}"]
        when = _when(record.get("created_at_iso")) or _when(record.get("created_at"))
        out.items.append(Item(text, ref, _tags(tags), kind=TYPE_KINDS.get(mtype), valid_from=when))
    return out


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def read_markdown(path: Path) -> Read:
    """Notes: one memory per paragraph or bullet; headings above it and front-matter `tags` become its tags."""
    out = Read()
    root = path if path.is_dir() else path.parent
    files = [path] if path.is_file() else sorted(
        p for p in path.rglob("*") if p.suffix.lower() in (".md", ".markdown") and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    for file in files:
        _markdown_file(file, file.relative_to(root).as_posix(), out)
    return out


def _markdown_file(file: Path, name: str, out: Read) -> None:
    lines = file.read_text(encoding="utf-8").splitlines()
    start, base_tags = _front_matter(lines)
    headings: list[str] = []
    buffer: list[str] = []
    buffer_line = 0
    in_code = False

    def flush() -> None:
        nonlocal buffer
        text = " ".join(s.strip() for s in buffer).strip()
        if text:
            out.items.append(Item(text, f"{name}#L{buffer_line}", _tags([*base_tags, *headings])))
        buffer = []

    for number in range(start, len(lines)):
        line, lineno = lines[number], number + 1
        if _FENCE.match(line):
            # Code blocks are not statements about the user: skipped whole.
            flush()
            if not in_code:
                out.skip(f"{name}#L{lineno}", "code block")
            in_code = not in_code
            continue
        if in_code:
            continue
        heading = _HEADING.match(line)
        bullet = _BULLET.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            headings = headings[: level - 1] + [heading.group(2)]
        elif bullet:
            flush()
            buffer, buffer_line = [bullet.group(2)], lineno
        elif not line.strip():
            flush()
        else:
            if not buffer:
                buffer_line = lineno
            buffer.append(line)
    flush()


def _front_matter(lines: list[str]) -> tuple[int, list[str]]:
    """(first body line index, tags) from a YAML front-matter block, read without a YAML parser."""
    if not lines or lines[0].strip() != "---":
        return 0, []
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return 0, []
    tags: list[str] = []
    block = lines[1:end]
    for i, line in enumerate(block):
        key, _, value = line.partition(":")
        if key.strip().lower() not in ("tags", "tag", "keywords"):
            continue
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            tags += [v.strip().strip("'\"") for v in value[1:-1].split(",")]
        elif value:
            tags += [v.strip().strip("'\"") for v in re.split(r"[,\s]+", value)]
        else:  # a YAML block list on the following lines
            for item in block[i + 1:]:
                m = re.match(r"^\s*-\s+(.*)$", item)
                if not m:
                    break
                tags.append(m.group(1).strip().strip("'\""))
    return end + 1, [t.lstrip("#") for t in tags if t]


# -- the import itself ------------------------------------------------------------------------------
def import_items(service, namespace: str, items: Sequence[Item], *, progress: Callable[[int], None] = lambda n=1: None,
                 batch: int = 32, actor: str = "import") -> dict:
    """Remember `items` in `namespace` through the write path; returns the summary.

    {"read", "imported", "merged", "skipped", "decisions": {decision: n}, "redacted": [refs],
     "skipped_items": [{"source_ref", "reason"}]}
    """
    summary: dict = {"read": len(items), "imported": 0, "merged": 0, "skipped": 0, "decisions": {}, "redacted": [],
                     "skipped_items": []}

    def skip(item: Item, reason: str) -> None:
        summary["skipped"] += 1
        summary["skipped_items"].append({"source_ref": item.source_ref, "reason": reason})

    # A redacted write reports "redact" whatever it did; what it did is told by whether its memory is new.
    summary["_known"] = set()
    summary["_start"] = service.clock.now()
    pending: list[Item] = []
    for item in items:
        # Trigger: this statement was stored before and has since been superseded or forgotten.
        # Why: replaying it would undo a correction (or resurrect what the user forgot); so it is not re-imported.
        earlier = _earlier_version(service, namespace, item.content)
        if earlier is not None:
            progress(1)
            skip(item, f"already imported as {earlier[0]}, now {earlier[1]}")
            continue
        pending.append(item)
        if len(pending) >= batch:
            _remember(service, namespace, pending, summary, skip, actor, progress)
            pending = []
    if pending:
        _remember(service, namespace, pending, summary, skip, actor, progress)
    del summary["_known"], summary["_start"]
    return summary


def _remember(service, namespace, items: list[Item], summary: dict, skip, actor: str, progress) -> None:
    reqs = [_request(namespace, item) for item in items]
    try:
        results = service.remember_many(reqs, actor=actor)
    except InvalidInput:
        # One bad record must not sink its batch: retry one by one and report the bad ones.
        results = []
        for item, req in zip(items, reqs):
            try:
                results.append(service.remember(req, actor=actor))
            except ReverieError as exc:
                results.append(exc)
    for item, result in zip(items, results):
        progress(1)
        if isinstance(result, Exception):
            skip(item, str(result))
            continue
        decision = result.decision
        if decision == "redact":
            decision = "noop" if _existed(service, namespace, result.memory_ids[0], summary) else "add"
            summary["redacted"].append(item.source_ref)
        summary["_known"].update(result.memory_ids)
        summary["decisions"][decision] = summary["decisions"].get(decision, 0) + 1
        if decision in ("skip", "block"):
            skip(item, result.reason)
        elif decision == "noop":
            summary["merged"] += 1
        else:
            summary["imported"] += 1


def _existed(service, namespace: str, memory_id: str, summary: dict) -> bool:
    """Whether a memory returned by a redacted write was there before it (a duplicate) rather than written by it."""
    if memory_id in summary["_known"]:
        return True
    memory = service.store.get(namespace, memory_id)
    return memory is not None and memory.recorded_at < summary["_start"]


def _request(namespace: str, item: Item) -> RememberRequest:
    return RememberRequest(namespace=namespace, content=item.content, kind=item.kind, tags=list(item.tags),
                           valid_from=item.valid_from, source=Source.imported, source_ref=item.source_ref[:512])


def _earlier_version(service, namespace: str, content: str) -> tuple[str, str] | None:
    """(id, status) of a no-longer-active memory with this exact text (after redaction), if there is one and no active one."""
    from server.service import content_hash

    text = content.strip()
    findings = find_secrets(text)
    if findings:
        text = redact(text, findings)
    digest = content_hash(text)
    if service.store.find_active_by_hash(namespace, digest) is not None:
        return None  # an exact duplicate: the write path makes it a noop
    db = getattr(service.store, "db", None)
    if db is None:
        return None
    row = db.one("SELECT id, status FROM memories WHERE namespace = ? AND content_hash = ? ORDER BY rowid DESC LIMIT 1",
                 (namespace, digest))
    return (row[0], row[1]) if row else None


# -- helpers ----------------------------------------------------------------------------------------
def _load_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not JSON: {exc.msg} at line {exc.lineno}.") from exc


def _text(value) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _tag(value: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f]", "", value).strip()[:MAX_TAG]


def _tags(values: Iterable) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        tag = _tag(str(value)) if value is not None else ""
        if tag and tag not in out:
            out.append(tag)
    return tuple(out[:32])


def _when(value) -> datetime | None:
    """ISO 8601 strings (with or without offset, 'Z') or Unix seconds; None if unreadable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return None

