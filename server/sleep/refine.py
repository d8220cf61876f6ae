"""Model refinement: fine-tune the memory-ops model on the user's corrections, promote it only if no worse.

A correction is a labelled example the write path got wrong: the corrected text,
written next to the old memory, should have superseded it. Once
sleep_refine_min_examples such examples have accumulated (over all namespaces),
`server.memops.train.finetune` trains a candidate from the current checkpoint;
the candidate and the current model are scored on the same dev cases with the
same embedder, and the candidate is promoted only if its action accuracy is at
least the current one's. Promotion writes nothing over the shipped weights: the
candidate lives beside the database, the `memops_weights` meta key points at it,
and the running server switches to it.

Registered only when `server.memops.train.finetune` exists (see `available`).
Ranking feedback (helpful/irrelevant/wrong) is not used here: it trains the
reranker, which has no fine-tuning entry point yet.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from server.sleep.base import JobContext

log = logging.getLogger("reverie.sleep")
JOB = "refine_model"


def available() -> bool:
    """Whether the memops package offers `train.finetune` (checked without importing torch)."""
    try:
        spec = importlib.util.find_spec("server.memops.train")
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.origin:
        return False
    try:
        return "def finetune(" in Path(spec.origin).read_text(encoding="utf-8")
    except OSError:
        return False


def correction_examples(store, namespace: str, after_audit_id: int) -> tuple[list[dict], int]:
    """Curriculum-format examples from `correct` audit entries newer than `after_audit_id`; and the newest id seen."""
    examples, newest, before = [], after_audit_id, None
    while True:
        page = store.audit_entries(namespace, limit=500, before_id=before)
        if not page:
            break
        for entry in page:
            if entry.id <= after_audit_id:
                return examples, newest
            newest = max(newest, entry.id)
            if entry.action != "correct" or not entry.memory_id or not entry.detail.get("target"):
                continue
            new, old = store.get(namespace, entry.memory_id), store.get(namespace, entry.detail["target"])
            if new is None or old is None or not new.content or not old.content:
                continue  # hard-deleted since: its text must not be trained on
            examples.append({
                "id": f"correct:{new.id}", "new": new.content, "existing": [{"content": old.content, "kind": old.kind}],
                "expect": {"action": "supersede", "target": 0, "kind": [old.kind]},
            })
        before = page[-1].id
    return examples, newest


def _dev_score(ops, embed) -> dict:
    from server.memops import evaluate, train

    return train._brief(evaluate.run_ops(ops, evaluate.load_cases(), train.CachedEmbed(embed)))


def refine_model(ctx: JobContext) -> dict:
    """Fine-tune the memory-ops model on corrections; promote the candidate only if it is no worse on the dev cases."""
    store, settings, now = ctx.store, ctx.settings, ctx.now
    examples: list[dict] = []
    marks: dict[str, int] = {}
    sources: dict[str, int] = {}
    for ns in ctx.namespaces:
        since = int(store.sleep_state(ns, JOB, "audit_watermark") or 0)
        found, newest = correction_examples(store, ns, since)
        marks[ns] = newest
        if found:
            sources[ns] = len(found)
            examples.extend(found)
    counts = {"examples": len(examples), "promoted": 0}
    if len(examples) < settings.sleep_refine_min_examples:
        # Examples keep accumulating: the watermarks stay where they are.
        counts["waiting_for"] = settings.sleep_refine_min_examples
        return counts
    if ctx.dry_run:
        ctx.record("finetune_model", None, f"would fine-tune the memory-ops model on {len(examples)} corrections", namespaces=sources)
        return counts

    from server.memops import checkpoint, train
    from server.memops.learned import LearnedOps, load_ops

    embed = lambda texts: ctx.service.embedder.embed(list(texts))  # noqa: E731
    base_dir = Path(store.get_meta("memops_weights") or checkpoint.WEIGHTS_DIR)
    # Beside the SQLite file; with PostgreSQL, in this replica's data directory (the path is recorded in the database).
    home = Path(store.path).parent if store.backend == "sqlite" else ctx.service.settings.db.parent
    out_dir = home / "memops-weights" / now.strftime("%Y%m%dT%H%M%S")
    ctx.log(f"fine-tuning the memory-ops model on {len(examples)} corrections")
    meta = train.finetune(embed, examples, base_dir, out_dir)
    ctx.check()
    base = _dev_score(LearnedOps(*checkpoint.load(base_dir)), embed)
    new = meta["metrics"]["dev"]
    promote = new["action_accuracy"] >= base["action_accuracy"]
    detail = {"candidate": str(out_dir), "base": str(base_dir), "examples": len(examples),
              "dev_action_accuracy": {"base": base["action_accuracy"], "candidate": new["action_accuracy"]},
              "supersede_recall": {"base": base.get("supersede_recall"), "candidate": new.get("supersede_recall")}}
    action = "promote_model" if promote else "reject_model"
    reason = (f"candidate dev action accuracy {new['action_accuracy']:.4f} vs current {base['action_accuracy']:.4f}: "
              + ("no worse, promoted" if promote else "worse, kept the current model"))
    with store.transaction():
        if promote:
            store.set_meta("memops_weights", str(out_dir))
        for ns in sources:
            store.audit(ns, action, None, ctx.actor, now, reason=reason, job=JOB, **detail)
        for ns, mark in marks.items():
            store.set_sleep_state(ns, JOB, "audit_watermark", str(mark))
    ctx.record(action, None, reason, **detail)
    if promote:
        counts["promoted"] = 1
        for service in {id(s): s for s in (ctx.service, ctx.live_service) if s is not None}.values():
            service.ops = load_ops(out_dir)
    return counts
