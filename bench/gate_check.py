"""Which user turns does the write gate drop? Every turn of a data set through `remember(dry_run=True)`.

    python bench/gate_check.py /work/shared/data/longmemeval_s_dev60.json --format longmemeval --out A.json
    PYTHONPATH=OTHER_CHECKOUT python bench/gate_check.py ... --out B.json     # e.g. a `git archive` of the last release
    python bench/gate_check.py --compare B.json A.json
    python bench/gate_check.py /work/shared/data/longmemeval_s_dev60.json --format longmemeval --past-events A.json

Each distinct turn text is decided once, into an empty namespace (no neighbours, no context: the gate's skip is the
statement's own property, and a fresh store makes the count cheap and repeatable), with the checkpoint and code the
import path holds; every turn counts, duplicates included. The JSON maps the text's sha256 to the decision, its reason,
and whether `factgate.tells_past_event` accepts the text (when that module has it). `--compare` prints how the two
runs differ: on the turns the first one skips, why it skipped them and how many the second keeps; how many turns
the first run's past-event override kept and how many of those the second keeps; and what the second newly skips.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

MODEL_CACHE = Path(__file__).resolve().parents[1] / ".pytest_cache" / "reverie-models"


def decide_all(path: str, fmt: str, limit: int | None, cache_dir: Path) -> dict:
    from server.app import load_ops
    from server.bench.datasets import load
    from server.config import Settings
    from server.embed import FastEmbedEmbedder
    from server.models import RememberRequest
    from server.service import MemoryService
    from server.store import open_store

    try:
        from server.memops.factgate import tells_past_event
    except ImportError:  # a checkout without the override
        tells_past_event = None
    data = load(fmt, path, limit=limit)
    counts = Counter(t.content() for conv in data.conversations for s in conv.sessions for t in s.turns)
    with tempfile.TemporaryDirectory(prefix="reverie-gate-") as tmp:
        settings = Settings(db=Path(tmp) / "gate.db", embedding_model="offline", embedding_cache_dir=cache_dir,
                            max_content_bytes=1 << 20, memops="learned")
        service = MemoryService(open_store(settings), FastEmbedEmbedder("offline", cache_dir), load_ops(settings), settings)
        turns, texts = {}, list(counts)
        for at in range(0, len(texts), 64):  # remember_many embeds a batch at once; dry runs write nothing, so
            chunk = texts[at : at + 64]      # no statement sees another as a neighbour
            results = service.remember_many([RememberRequest(namespace="gate", content=t, dry_run=True) for t in chunk])
            for text, result in zip(chunk, results):
                turns[hashlib.sha256(text.encode()).hexdigest()] = {
                    "n": counts[text], "decision": result.decision, "reason": result.reason,
                    "past_event": bool(tells_past_event(text)) if tells_past_event else None}
    return {"data": path, "turns": turns}


def _skip_kind(reason: str) -> str:
    return reason.split(":")[0] + (": " + reason.split(":")[1].split("(")[0].strip()[:40] if ":" in reason else "")


def compare(first: dict, second: dict) -> None:
    a, b = first["turns"], second["turns"]
    total = sum(t["n"] for t in a.values())
    skipped = {h: t for h, t in a.items() if t["decision"] == "skip"}
    print(f"turns: {total}; skipped by the first run: {sum(t['n'] for t in skipped.values())}, "
          f"by the second: {sum(t['n'] for t in b.values() if t['decision'] == 'skip')}")
    for name, prefix in (("past-event", "kept: a sentence tells of a past event"), ("subject-less note", "kept: a note about the user")):
        by_override = {h: t for h, t in a.items() if t["reason"].startswith(prefix)}
        print(f"kept by the first run's {name} override: {sum(t['n'] for t in by_override.values())}, "
              f"of them kept by the second: {sum(t['n'] for h, t in by_override.items() if b[h]['decision'] != 'skip')}")
    kept = Counter()
    for h, t in skipped.items():
        kept[(_skip_kind(t["reason"]), b[h]["decision"] != "skip")] += t["n"]
    for (reason, now_kept), n in sorted(kept.items()):
        print(f"  first skipped ({reason}) -> second {'keeps' if now_kept else 'skips'}: {n}")
    newly = [t for h, t in a.items() if t["decision"] != "skip" and b[h]["decision"] == "skip"]
    print(f"kept by the first, skipped by the second: {sum(t['n'] for t in newly)}")
    if all(t["past_event"] is not None for t in a.values()):
        told = {h: t for h, t in a.items() if t["past_event"]}
        print(f"turns tells_past_event accepts: {sum(t['n'] for t in told.values())}; the first keeps "
              f"{sum(t['n'] for t in told.values() if t['decision'] != 'skip')}, the second "
              f"{sum(t['n'] for h, t in told.items() if b[h]['decision'] != 'skip')}")


def past_events(run: dict, path: str, fmt: str, limit: int | None) -> None:
    """Of the turns this checkout's `factgate.tells_past_event` accepts, how many the run kept (its own gate alone)."""
    from server.bench.datasets import load
    from server.memops.factgate import tells_past_event

    data = load(fmt, path, limit=limit)
    texts = {t.content() for conv in data.conversations for s in conv.sessions for t in s.turns}
    told = [run["turns"][h] for h in (hashlib.sha256(t.encode()).hexdigest() for t in texts if tells_past_event(t))]
    skipped = sum(t["n"] for t in run["turns"].values() if t["decision"] == "skip")
    print(f"turns the run skips: {skipped} of {sum(t['n'] for t in run['turns'].values())}; turns tells_past_event accepts: "
          f"{sum(t['n'] for t in told)}, the run keeps {sum(t['n'] for t in told if t['decision'] != 'skip')}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?")
    ap.add_argument("--format", default="longmemeval", choices=["locomo", "longmemeval", "convqa"])
    ap.add_argument("--limit", type=int)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--cache-dir", type=Path, default=MODEL_CACHE)
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("FIRST", "SECOND"))
    ap.add_argument("--past-events", type=Path, metavar="RUN", help="with the data set path: how many turns that "
                    "factgate.tells_past_event accepts RUN kept")
    args = ap.parse_args(argv)
    if args.past_events:
        past_events(json.loads(args.past_events.read_text()), args.path, args.format, args.limit)
        return
    if args.compare:
        compare(*(json.loads(p.read_text()) for p in args.compare))
        return
    if not args.path or not args.out:
        ap.error("give a data set path and --out (or --compare FIRST SECOND)")
    result = decide_all(args.path, args.format, args.limit, args.cache_dir)
    args.out.write_text(json.dumps(result))
    print(f"{len(result['turns'])} distinct turns -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
