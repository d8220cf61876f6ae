"""`reverie train`, `reverie eval ops` and `reverie model status | rollback`.

`eval ops` goes through the real service, as the issue asks: each case gets a
fresh namespace, its `existing` memories are stored as they are (bypassing the
write policy), and the new statement goes through `remember(dry_run=True)`.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from server.memops.evaluate import DEV_CASES


def _settings(args, **overrides):
    from server.cli import settings_from

    return settings_from(args).model_copy(update=overrides)


def _embedder(settings, precision: str | None = None):
    from server.embed import FastEmbedEmbedder

    return FastEmbedEmbedder.from_settings(settings, precision=precision)


# -- eval ops ---------------------------------------------------------------------------------------------
def evaluate_through_service(cases: list[dict], settings, embedder, memops: str) -> dict:
    """Score `memops` (learned | rules) on cases via the real remember path; returns per-case results and metrics."""
    from server.app import build_context
    from server.models import Memory, RememberRequest
    from server.service import content_hash, new_id

    with tempfile.TemporaryDirectory() as tmp:
        app = build_context(settings.model_copy(update={"db": Path(tmp) / "eval.db", "database_url": None, "memops": memops}), embedder=embedder)
        service = app.service
        service._bind()
        now = service.clock.now()
        results = []
        for number, case in enumerate(cases):
            ns = f"case{number}"
            ids = []
            existing = case.get("existing") or []
            vectors = embedder.embed([e["content"] for e in existing]) if existing else []
            for item, vector in zip(existing, vectors):
                memory = Memory(id=new_id("mem"), namespace=ns, content=item["content"], kind=item.get("kind") or "fact",
                                recorded_at=now, content_hash=content_hash(item["content"]), embedding_model=embedder.model_id)
                service.store.insert(memory, vector)
                ids.append(memory.id)
            result = service.remember(RememberRequest(namespace=ns, content=case["new"], dry_run=True), actor="eval")
            target_id = None
            if result.decision == "noop" and result.memory_ids:
                target_id = result.memory_ids[0]
            elif result.decision in ("update", "supersede") and len(result.memory_ids) > 1:
                target_id = result.memory_ids[1]
            got = {"action": result.decision, "target": ids.index(target_id) if target_id in ids else None,
                   "kind": result.kind, "reason": result.reason}
            results.append({"id": case.get("id"), "new": case["new"], "expect": case["expect"], "got": got,
                            "ok": _correct(case["expect"], got, result)})
        app.store.close()
    return _metrics(results)


def _correct(expect: dict, got: dict, result) -> bool:
    action = expect["action"]
    if action == "block":
        # A redaction counts: the stored text no longer holds the secret.
        return got["action"] == "block" or (got["action"] == "redact" and bool(result.redactions))
    shown = got["action"]
    if shown == "redact":  # a redacted write still carries the model's relation in the reason; score the relation
        return False
    if shown != action:
        return False
    if action in ("noop", "update", "supersede") and got["target"] != expect.get("target"):
        return False
    return True


def _metrics(results: list[dict]) -> dict:
    per_action: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        per_action[r["expect"]["action"]].append(r["ok"])
    scored = [r["ok"] for r in results]
    sup = per_action.get("supersede", [])
    blocks = per_action.get("block", [])
    return {
        "n": len(results),
        "action_accuracy": round(sum(scored) / len(scored), 4) if scored else 0.0,
        "per_action": {a: round(sum(v) / len(v), 4) for a, v in sorted(per_action.items())},
        "per_action_n": {a: len(v) for a, v in sorted(per_action.items())},
        "supersede_recall": round(sum(sup) / len(sup), 4) if sup else None,
        "secrets_blocked_or_redacted": round(sum(blocks) / len(blocks), 4) if blocks else None,
        "results": results,
    }


def cmd_eval_ops(args) -> int:
    settings = _settings(args)
    path = Path(args.cases)
    try:
        cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, json.JSONDecodeError) as exc:
        print(f"reverie: cannot read cases from {path}: {exc}", file=sys.stderr)
        return 2
    embedder = _embedder(settings)
    model = evaluate_through_service(cases, settings, embedder, "learned")
    rules = evaluate_through_service(cases, settings, embedder, "rules")
    if args.json:
        print(json.dumps({"model": model, "rules_baseline": rules}, indent=2, default=str))
    else:
        for r, b in zip(model["results"], rules["results"]):
            mark = "ok  " if r["ok"] else "FAIL"
            print(f"{mark} {r['id']}: expect {r['expect']['action']}/{r['expect'].get('target')} got "
                  f"{r['got']['action']}/{r['got']['target']} (rules: {b['got']['action']}/{b['got']['target']})  {r['new'][:70]}")
        for name, report in (("model", model), ("rules baseline", rules)):
            per = ", ".join(f"{a} {v:.2f} (n={report['per_action_n'][a]})" for a, v in report["per_action"].items())
            print(f"{name}: {per}; supersede recall {report['supersede_recall']}; secrets {report['secrets_blocked_or_redacted']}")
    print(f"action accuracy: {model['action_accuracy']:.4f} (rules baseline: {rules['action_accuracy']:.4f})")
    return 0


# -- train -------------------------------------------------------------------------------------------------
def cmd_train(args) -> int:
    settings = _settings(args)
    if args.from_feedback:
        from server.app import build_context
        from server.sleep import run_sleep

        app = build_context(settings.model_copy(update={"sleep_refine_min_examples": 1}))
        summary = run_sleep(app.service, None, jobs=["refine_model"])
        print(json.dumps(summary.model_dump(mode="json") if hasattr(summary, "model_dump") else summary, indent=2, default=str))
        return 0
    from server.memops import checkpoint, train

    # fp32 whatever the serving precision: the shipped weights were trained on fp32 vectors and `reverie train`
    # must reproduce them; int8 vectors at serving time are within cosine 0.99 of these (server/quantize.py).
    embedder = _embedder(settings, "fp32")
    out = Path(args.out) if args.out else checkpoint.WEIGHTS_DIR
    with _spinner("training the memory-ops model (a few minutes on 2 cores)"):
        meta = train.train(lambda texts: embedder.embed(list(texts)), seed=args.seed, out_dir=out, rerank=not args.no_rerank)
    print(json.dumps({k: meta[k] for k in ("metrics", "seconds", "data_hash") if k in meta}, indent=2))
    return 0


class _spinner:
    """An elapsed-time spinner on a terminal (training reports no steps to count); silent otherwise."""

    def __init__(self, label: str):
        self.label, self._bar = label, None

    def __enter__(self):
        if sys.stderr.isatty():
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._bar = Progress(SpinnerColumn(), TextColumn(self.label), TimeElapsedColumn(), transient=True)
            self._bar.start()
            self._bar.add_task(self.label, total=None)
        return self

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()


# -- model status / rollback ----------------------------------------------------------------------------------
def cmd_model(args) -> int:
    from server.memops import checkpoint
    from server.store import open_store

    store = open_store(_settings(args))
    current = store.get_meta("memops_weights")
    if args.action == "status":
        where = current or str(checkpoint.WEIGHTS_DIR)
        meta = json.loads((Path(where) / "ops.json").read_text()) if (Path(where) / "ops.json").exists() else {}
        print(json.dumps({"weights": where, "promoted": bool(current), "parent": meta.get("parent"),
                          "dev": meta.get("metrics", {}).get("dev")}, indent=2))
        return 0
    if not current:
        print("reverie: this database uses the shipped weights; there is nothing to roll back", file=sys.stderr)
        return 2
    meta = json.loads((Path(current) / "ops.json").read_text())
    parent = (meta.get("parent") or {}).get("dir")
    with store.transaction():
        if parent and Path(parent).resolve() != checkpoint.WEIGHTS_DIR.resolve():
            store.set_meta("memops_weights", parent)
        else:
            store.delete_meta("memops_weights")
            parent = str(checkpoint.WEIGHTS_DIR)
        for ns in store.namespaces() or ["default"]:
            from server.clock import SystemClock

            store.audit(ns, "rollback_model", None, "cli", SystemClock().now(), reason=f"rolled back from {current}", to=parent)
    print(f"memory-ops weights rolled back to {parent}; restart running servers to load them")
    return 0


def add_commands(sub, add) -> None:
    p = add("train", cmd_train, "Train the memory-ops model (seeded), or fine-tune it on corrections with --from-feedback.")
    p.add_argument("--seed", type=int, default=0, help="random seed (training is reproducible for a seed)")
    p.add_argument("--out", help="where to write the weights (default: the shipped weights directory)")
    p.add_argument("--no-rerank", action="store_true", help="skip training the recall reranker")
    p.add_argument("--from-feedback", action="store_true", help="fine-tune on this database's corrections; promote only if no worse")

    p = add("eval", cmd_eval_ops, "Evaluate the memory-ops model on decision cases through the real remember path.")
    p.add_argument("what", choices=["ops"], help="what to evaluate (ops: write decisions)")
    p.add_argument("cases", nargs="?", default=str(DEV_CASES), help="JSONL cases (default: the shipped dev cases)")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")

    p = add("model", cmd_model, "Show the memory-ops weights in use, or roll back the last promoted ones.")
    p.add_argument("action", choices=["status", "rollback"], help="status or rollback")
