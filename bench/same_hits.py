"""Whether two retrieval reports returned the same hits, in the same order, with the same scores.

    python -m bench.same_hits BEFORE.json AFTER.json

Reads the `ranked` lists that `reverie bench retrieval --json` (or `python -m bench.retrieval`, merged) writes (every question's hits: their turns and
the scores recall gave them). Memory ids are left out: they are new on every ingest. For a change meant to keep
behaviour (a refactor): run the same slice before and after it, then compare. Exits 1 when any question's hits
differ in turns or order; score differences are counted per score, with the largest.

Two runs of the same code differ in the last (6th) place of `strength`, and of the learned and final scores
that read it, on some hits: a memory's strength decays from its `recorded_at`, the wall-clock time of the
ingest. Compare a run pair of the old code for the noise floor.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter


def _variants(report: dict) -> dict[str, dict]:
    """A report's variants: `reverie bench retrieval --json` nests them under "strategies"; the merged reports
    `python -m bench.retrieval` keeps (`server.bench.retrieval.merge_reports`) hold them at the top."""
    return report.get("strategies") or {k: v for k, v in report.items() if isinstance(v, dict) and "ranked" in v}


def compare(before: dict, after: dict) -> tuple[list[str], list[str]]:
    """(questions whose hits differ in turns or order, a summary line per variant)."""
    moved, summary = [], []
    old_variants, new_variants = _variants(before), _variants(after)
    for variant in sorted(set(old_variants) | set(new_variants)):
        a = {r["question"]: r["hits"] for r in old_variants.get(variant, {}).get("ranked", [])}
        b = {r["question"]: r["hits"] for r in new_variants.get(variant, {}).get("ranked", [])}
        changed, worst, hits = Counter(), Counter(), 0
        for qid in sorted(set(a) | set(b)):
            old, new = a.get(qid, []), b.get(qid, [])
            if [turns for turns, _ in old] != [turns for turns, _ in new]:
                moved.append(f"{variant} {qid}")
                continue
            for (_, x), (_, y) in zip(old, new):
                hits += 1
                for key in sorted(set(x or {}) | set(y or {})):
                    u, v = (x or {}).get(key), (y or {}).get(key)
                    if u != v:
                        changed[key] += 1
                        if isinstance(u, float) and isinstance(v, float):
                            worst[key] = max(worst[key], abs(u - v))
        scores = ", ".join(f"{k} on {n} (max {worst[k]:.1e})" for k, n in sorted(changed.items())) or "none"
        summary.append(f"{variant}: {len(set(a) | set(b)) - sum(m.startswith(variant + ' ') for m in moved)} of "
                       f"{len(set(a) | set(b))} questions with the same hits in the same order; of their {hits} hits, "
                       f"scores that differ: {scores}")
    return moved, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    args = parser.parse_args(argv)
    before, after = (json.loads(open(path).read()) for path in (args.before, args.after))
    moved, summary = compare(before, after)
    print("\n".join([*(f"differ: {m}" for m in moved), *summary]))
    return 1 if moved else 0


if __name__ == "__main__":
    sys.exit(main())
