"""Consolidation: related episodes become one semantic memory; episodes it fully covers move to the archival tier.

How a group forms: episodes not yet consolidated are compared by embedding
(one block matrix product at a time). Two are related at cosine >= sleep_similarity,
or >= sleep_entity_similarity when they name the same person or thing, unless
they disagree (a number or the polarity differs: that is a conflict, not a merge).
The most connected episode seeds a group of its related episodes (star
clustering: every member is close to the seed), at most sleep_max_group, and a
group must hold at least one episode newer than the last run.

Why it helps recall rather than hurting it: the summary keeps the members'
sentences (deduplicated, most central first, within sleep_summary_chars), so a
keyword or vector query that found an episode finds the summary, and one hit
now stands for every episode it came from (provenance). An episode is archived
only when the summary covers all it says; a detail that did not fit stays an
active episode. Nothing is deleted: archived episodes are found with
`include_archived` and through the semantic memory's provenance.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from server.models import Memory
from server.service import content_hash, effective_strength, new_id
from server.sleep.base import JobContext
from server.sleep.text import covers, facts, mismatch, near_duplicate, sentences

BLOCK = 512
EMBED_BATCH = 16


def breathe() -> None:
    """Let tool-call threads have the GIL: a CPU-bound loop otherwise makes each of their many short waits up to 5 ms."""
    time.sleep(0)  # releases the GIL without a timed wait (a timed one costs a scheduler slice on a loaded machine)


@dataclass
class Group:
    members: list[Memory]  # most central first
    vectors: list[np.ndarray]
    cohesion: float
    summary: str = ""
    abstractive: bool = False
    covered: list[str] | None = None


def find_groups(X: np.ndarray, texts: list[str], is_new: np.ndarray, *, sim: float, entity_sim: float, max_group: int) -> list[tuple[list[int], float]]:
    """Star clusters over the similarity graph: [(member indices, seed first; mean cosine to the seed)]."""
    n = len(X)
    if n < 2:
        return []
    k = min(n - 1, 4 * max_group)
    entities = [facts(t)[2] for t in texts]
    related: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    low = min(sim, entity_sim)
    for start in range(0, n, BLOCK):
        end = min(n, start + BLOCK)
        S = X[start:end] @ X.T
        S[np.arange(end - start), np.arange(start, end)] = -1.0
        top = np.argpartition(-S, k - 1, axis=1)[:, :k]
        for row, i in enumerate(range(start, end)):
            if row % 16 == 0:
                breathe()
            cand = top[row][S[row, top[row]] >= low]
            for j in cand[np.argsort(-S[row, cand])].tolist():
                s = float(S[row, j])
                if (s >= sim or (entities[i] & entities[j])) and mismatch(texts[i], texts[j]) is None:
                    related[i].append((j, s))
    order = sorted(range(n), key=lambda i: (-len(related[i]), -sum(s for _, s in related[i])))
    assigned = np.zeros(n, dtype=bool)
    groups = []
    for n_seen, i in enumerate(order):
        if n_seen % 64 == 0:
            breathe()
        if assigned[i] or not related[i]:
            continue
        members, sims = [i], []
        for j, s in related[i]:
            if len(members) >= max_group:
                break
            if assigned[j] or any(mismatch(texts[j], texts[m]) for m in members[1:]):
                continue
            members.append(j)
            sims.append(s)
        if len(members) < 2 or not is_new[members].any():
            continue
        assigned[members] = True
        groups.append((members, float(np.mean(sims))))
    return groups


def extractive_summary(texts: list[str], budget: int) -> str:
    """The members' sentences, most central member first, near-duplicates dropped, within `budget` characters."""
    chosen: list[str] = []
    for text in texts:
        for sent in sentences(text):
            sent = sent if sent[-1] in ".!?" else sent + "."
            if any(near_duplicate(sent, c) for c in chosen):
                continue
            if chosen and len(" ".join(chosen)) + 1 + len(sent) > budget:
                continue
            chosen.append(sent)
    return " ".join(chosen)


def confidence(members: list[Memory], cohesion: float) -> float:
    """More agreeing episodes, and closer ones, raise confidence toward 1 from the members' mean."""
    base = float(np.mean([m.confidence for m in members]))
    return round(min(0.99, base + (1.0 - base) * (1.0 - 1.0 / len(members)) * max(0.0, cohesion)), 3)


def consolidate(ctx: JobContext) -> dict:
    """Fold groups of related episodes into semantic memories; archive the episodes a summary fully covers."""
    store, ns, settings = ctx.store, ctx.namespace, ctx.settings
    done = store.consolidated(ns)
    flagged = {mid for c in store.conflicts(ns, status="open", limit=1_000_000) for mid in (c["a_id"], c["b_id"])}
    rows = [(r, m) for r, m in store.iter_memories(ns, tiers=("episodic",)) if m.id not in done and m.id not in flagged and m.content]
    watermark = int(store.sleep_state(ns, "consolidate", "watermark") or 0)
    counts = {"episodes": len(rows), "groups": 0, "semantic": 0, "archived": 0}
    if not rows or max(r for r, _ in rows) <= watermark:
        return counts
    vectors = store.vectors_by_rowid(ns, [r for r, _ in rows])
    rows = [(r, m) for r, m in rows if r in vectors]
    if len(rows) < 2:
        return counts
    X = np.stack([vectors[r] for r, _ in rows])
    texts = [m.content for _, m in rows]
    is_new = np.array([r > watermark for r, _ in rows])
    ctx.check()
    found = find_groups(X, texts, is_new, sim=settings.sleep_similarity, entity_sim=settings.sleep_entity_similarity, max_group=settings.sleep_max_group)
    counts["groups"] = len(found)
    ctx.log(f"{ns}: {len(rows)} episodes, {len(found)} groups to consolidate")

    summarizer = _summarizer(settings)
    try:
        groups = []
        for members, cohesion in found:
            sub = X[members]
            central = np.argsort(-(sub @ sub.T).sum(axis=1), kind="stable")
            groups.append(Group([rows[members[c]][1] for c in central], [sub[c] for c in central], cohesion))
        for start in range(0, len(groups), EMBED_BATCH):
            ctx.check()
            batch = groups[start : start + EMBED_BATCH]
            for g in batch:
                _summarize(g, settings.sleep_summary_chars, summarizer)
            vecs = [None] * len(batch) if ctx.dry_run else _vectors(ctx, batch)
            for g, vec in zip(batch, vecs):
                _apply(ctx, g, vec, counts)
            breathe()
            ctx.progress(min(start + EMBED_BATCH, len(groups)), len(groups), f"consolidate {ns}")
    finally:
        if summarizer is not None:
            summarizer.close()
    if not ctx.dry_run:
        store.set_sleep_state(ns, "consolidate", "watermark", str(max(r for r, _ in rows)))
    return counts


def _summarizer(settings):
    if not settings.sleep_llm_url:
        return None
    from server.sleep.llm import LLMSummarizer

    return LLMSummarizer(settings.sleep_llm_url, settings.sleep_llm_model, timeout_s=settings.sleep_llm_timeout_s)


def _summarize(g: Group, budget: int, summarizer) -> None:
    texts = [m.content for m in g.members]
    if summarizer is not None:
        text = summarizer.summarize(texts, budget)
        if text:
            g.summary, g.abstractive = text, True
    if not g.summary:
        g.summary = extractive_summary(texts, budget)
    g.covered = [m.id for m in g.members if covers(g.summary, m.content)]


def _vectors(ctx: JobContext, batch: list[Group]) -> list[np.ndarray]:
    """The summary's vector: a member's own when the summary is its text; for an extractive summary, the normalised
    mean of the members whose sentences it holds (no model call: this is what keeps 10k episodes within a minute;
    REVERIE_SLEEP_EMBED_SUMMARIES=true embeds them instead); an abstractive summary is embedded."""
    out: list[np.ndarray | None] = []
    todo = []
    for i, g in enumerate(batch):
        same = next((v for m, v in zip(g.members, g.vectors) if m.content.strip() == g.summary), None)
        if same is None and not g.abstractive and not ctx.settings.sleep_embed_summaries:
            held = [v for m, v in zip(g.members, g.vectors) if m.id in g.covered] or g.vectors
            mean = np.mean(held, axis=0)
            same = (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)
        out.append(same)
        if same is None:
            todo.append(i)
    if todo:
        for i, vec in zip(todo, ctx.service.embedder.embed([batch[i].summary for i in todo])):
            out[i] = vec
    return out


def _apply(ctx: JobContext, g: Group, vector, counts: dict) -> None:
    store, ns, now = ctx.store, ctx.namespace, ctx.now
    kind = Counter(m.kind for m in g.members).most_common(1)[0][0]
    conf = confidence(g.members, g.cohesion)
    sid = new_id("mem")
    ids = [m.id for m in g.members]
    reason = (f"{len(ids)} related episodes (mean cosine to the seed {g.cohesion:.2f}); "
              f"{'abstractive' if g.abstractive else 'extractive'} summary; {len(g.covered)} fully covered")
    if ctx.dry_run:
        ctx.record("consolidate", None, reason, sources=ids, summary=g.summary, confidence=conf)
        for mid in g.covered:
            ctx.record("archive", mid, "fully covered by the consolidated summary", summary=g.summary)
        counts["semantic"] += 1
        counts["archived"] += len(g.covered)
        return
    with store.transaction():
        # Re-read inside the transaction: a user may have corrected or forgotten an episode meanwhile.
        current = store.get_by_ids(ns, ids)
        live = [m for m in g.members if m.id in current and current[m.id].status == "active" and current[m.id].tier == "episodic"]
        if len(live) < 2:
            return
        ids = [m.id for m in live]
        covered = [mid for mid in g.covered if mid in ids]
        memory = Memory(
            id=sid, namespace=ns, content=g.summary, kind=kind, tier="semantic", confidence=conf,
            strength=round(max(effective_strength(m, now) for m in live), 4), decay_rate=min(m.decay_rate for m in live),
            recorded_at=now, valid_from=max(m.valid_from or m.recorded_at for m in live), source="consolidated",
            provenance=ids, tags=list(dict.fromkeys(t for m in live for t in m.tags)),
            content_hash=content_hash(g.summary), embedding_model=ctx.service.embedder.model_id,
        )
        store.insert(memory, vector)
        for mid in covered:
            # Trigger: the summary says everything this episode says. Why archive, not delete: nothing is lost;
            # the episode stays reachable by provenance and include_archived, and stops crowding recall.
            store.update_fields(ns, mid, status="archived", tier="archival", ended_at=now)
            store.audit(ns, "archive", mid, ctx.actor, now, reason=f"fully covered by consolidated memory {sid}", job="consolidate", semantic=sid)
        store.mark_consolidated(ns, ids, sid, now)
        store.audit(ns, "consolidate", sid, ctx.actor, now, reason=reason, job="consolidate", sources=ids, archived=covered, confidence=conf)
    ctx.record("consolidate", sid, reason, sources=ids, summary=g.summary, confidence=conf)
    for mid in covered:
        ctx.record("archive", mid, f"fully covered by consolidated memory {sid}")
    counts["semantic"] += 1
    counts["archived"] += len(covered)
