"""Read-only queries the dashboard needs beyond the `Store` protocol: filtered listing, search, chart data.

They run on the store's connection (`store.db`, the same SQL on SQLite and PostgreSQL); every one is scoped to a namespace.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime

from server.models import Memory
from server.search import fts_query, fuse
from server.service import effective_strength
from server.store.sqlite import SELECT, row_to_memory

PAGE = 50


def list_memories(store, namespace: str, *, kind: str = "", tier: str = "", status: str = "", before: int | None = None,
                  limit: int = PAGE) -> list[tuple[int, Memory]]:
    where, params = ["namespace = ?"], [namespace]
    for column, value in (("kind", kind), ("tier", tier), ("status", status)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if before is not None:
        where.append("rowid < ?")
        params.append(before)
    rows = store.db.execute(SELECT + f" WHERE {' AND '.join(where)} ORDER BY rowid DESC LIMIT ?", (*params, limit))
    return [(r[0], row_to_memory(r)) for r in rows]


def search(store, embedder, namespace: str, query: str, *, kind: str = "", tier: str = "", status: str = "",
           limit: int = PAGE) -> list[tuple[float, Memory]]:
    """Hybrid search (vector + keyword, fused as recall fuses them) without the recall log or reinforcement:
    looking at memories in the dashboard is not the assistant recalling them."""
    pool = 200
    vector_hits, keyword_hits = [], []
    if store.embedding_binding() is not None:
        vector_hits = store.vector_search(namespace, embedder.embed_query(query), pool, active_only=status == "active")
    match = fts_query(query)
    if match:
        keyword_hits = store.keyword_search(namespace, match, pool)
    fused, _, _ = fuse(vector_hits, keyword_hits, limit=pool)
    rows = store.by_rowids(namespace, list(fused))
    out = []
    for rowid, score in sorted(fused.items(), key=lambda kv: kv[1], reverse=True):
        memory = rows.get(rowid)
        if memory is None or not memory.content:
            continue
        if (kind and memory.kind != kind) or (tier and memory.tier != tier) or (status and memory.status != status):
            continue
        out.append((score, memory))
    return out[:limit]


def tier_timeline(store, namespace: str) -> tuple[list[str], dict[str, list[int]]]:
    """Days and, per tier, the cumulative count of current memories (active or archived) recorded by each day."""
    rows = store.db.execute(
        "SELECT substr(recorded_at, 1, 10) AS day, tier, COUNT(*) FROM memories "
        "WHERE namespace = ? AND status IN ('active', 'archived') GROUP BY day, tier ORDER BY day",
        (namespace,),
    )
    days = sorted({r[0] for r in rows})
    index = {d: i for i, d in enumerate(days)}
    counts: dict[str, list[int]] = {}
    for day, tier, n in rows:
        counts.setdefault(tier, [0] * len(days))[index[day]] += n
    for tier, series in counts.items():
        total = 0
        for i, n in enumerate(series):
            total += n
            series[i] = total
    return days, counts


def decay_by_kind(store, namespace: str, now: datetime) -> list[tuple[str, float, float]]:
    """(kind, mean effective strength now, mean decay rate) over active memories, most numerous kind first."""
    groups: dict[str, list[tuple[float, float]]] = {}
    for _, memory in store.iter_memories(namespace, statuses=("active",)):
        groups.setdefault(memory.kind, []).append((effective_strength(memory, now), memory.decay_rate))
    out = []
    for kind, values in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        out.append((f"{kind} ({len(values)})", sum(s for s, _ in values) / len(values), sum(r for _, r in values) / len(values)))
    return out


def weekly_hit_rate(store, namespace: str) -> list[tuple[str, int, int]]:
    """(ISO week, helpful, all signals) from the feedback table, oldest first."""
    rows = store.db.execute(
        "SELECT substr(at, 1, 10), signal, COUNT(*) FROM feedback WHERE namespace = ? GROUP BY 1, 2", (namespace,)
    )
    weeks: dict[str, list[int]] = {}
    for day, signal, n in rows:
        year, week, _ = date.fromisoformat(day).isocalendar()
        counts = weeks.setdefault(f"{year}-W{week:02d}", [0, 0])
        counts[1] += n
        if signal == "helpful":
            counts[0] += n
    return [(w, h, t) for w, (h, t) in sorted(weeks.items())]


def counts(store, namespace: str) -> dict[str, dict[str, int]]:
    """{"status": {...}, "kind": {...}, "tier": {...}} for the namespace (kind and tier over active memories)."""
    out: dict[str, dict[str, int]] = {"status": {}, "kind": {}, "tier": {}}
    for status, n in store.db.execute("SELECT status, COUNT(*) FROM memories WHERE namespace = ? GROUP BY 1", (namespace,)):
        out["status"][status] = n
    for column in ("kind", "tier"):
        for value, n in store.db.execute(
            f"SELECT {column}, COUNT(*) FROM memories WHERE namespace = ? AND status = 'active' GROUP BY 1", (namespace,)
        ):
            out[column][value] = n
    return out


def feedback_of(store, namespace: str, memory_ids: list[str]) -> list[dict]:
    if not memory_ids:
        return []
    marks = ",".join("?" for _ in memory_ids)
    rows = store.db.execute(
        f"SELECT at, recall_id, memory_id, signal FROM feedback WHERE namespace = ? AND memory_id IN ({marks}) ORDER BY id DESC LIMIT 50",
        (namespace, *memory_ids),
    )
    return [{"at": r[0], "recall_id": r[1], "memory_id": r[2], "signal": r[3]} for r in rows]


def policies(store, namespace: str) -> list[dict]:
    """Each policy's latest version with its proposal count and outcome counts (tables of server/policy, m005)."""
    rows = store.db.execute(
        "SELECT v.policy_id, v.version, v.status, v.data, v.reason, v.created_at FROM policy_versions v "
        "WHERE v.namespace = ? AND v.version = (SELECT MAX(version) FROM policy_versions WHERE policy_id = v.policy_id) "
        "ORDER BY v.created_at DESC",
        (namespace,),
    )
    outcomes: dict[str, dict[str, int]] = {}
    for pid, outcome, n in store.db.execute(
        "SELECT policy_id, outcome, COUNT(*) FROM policy_outcomes WHERE namespace = ? GROUP BY 1, 2", (namespace,)
    ):
        outcomes.setdefault(pid, {})[outcome] = n
    proposals = dict(store.db.execute("SELECT policy_id, COUNT(*) FROM policy_proposals WHERE namespace = ? GROUP BY 1", (namespace,)))
    return [{"policy_id": r[0], "version": r[1], "status": r[2], "data": r[3], "reason": r[4], "created_at": r[5],
             "proposals": proposals.get(r[0], 0), "outcomes": outcomes.get(r[0], {})} for r in rows]


def pretty(value, limit: int = 240) -> str:
    """A cell: JSON text shown compactly, floats rounded, bytes summarised, long text cut."""
    if isinstance(value, float):
        return f"{value:.3f}" if math.isfinite(value) else str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"({len(bytes(value))} bytes)"
    text = "" if value is None else str(value)
    if text[:1] in "[{":
        try:
            text = json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
    return text if len(text) <= limit else text[: limit - 1] + "…"
