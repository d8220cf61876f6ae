"""int8 embedding operating point: how far int8 vectors are from fp32 ones, and what each costs.

    python -m bench.int8 [--keep 0,0.111,0.167,0.222,0.25,0.333] [--locomo /path/to/locomo10.json]

For each share of weight MatMuls kept fp32 (server/quantize.py picks the most outlier-prone inputs),
it quantizes the offline model, embeds a varied text set (short, long chat turns, code, numbers,
non-English; LoCoMo turns when given) and prints the min / mean cosine against fp32 and the CPU
milliseconds per text of embedding 1024 bench sentences in chunks of 64 (as remember_many does).
The rule for the default (server/quantize.KEEP_FP32): min cosine >= 0.99 at the lowest CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from bench.core import CACHE, sentence

VARIED = [
    "ok", "thanks!", "Paris", "42", "I'm vegan.", "No.", "¿Dónde está la estación de tren?", "Ich mag keine Pilze.",
    "私は毎朝コーヒーを飲みます。", "Москва — столица России.", "مرحبا، كيف حالك؟", "我喜欢在周末去爬山。",
    "The meeting moved from Tuesday 10:00 to Thursday 14:30 (room 4B).", "PIN reset ticket #88231 closed on 2025-01-07",
    "3.14159 2.71828 1.41421 1.73205", "+44 20 7946 0958", "version 1.2.3-rc.4+build.567",
    "for i in range(10):\n    print(i ** 2)", "const x = await fetch(`/api/v1/items?id=${id}`);", "git rebase -i HEAD~3",
    "SELECT count(*) FROM t WHERE ts > now() - interval '1 day';", "{\"name\": \"Ana\", \"age\": 31, \"tags\": [\"a\", \"b\"]}",
    "My sister's dentist recommended an electric toothbrush, but I think the manual one works fine for me honestly.",
    "Caroline: I went to a LGBTQ support group yesterday and it was so powerful. Everyone was so welcoming!",
    "I prefer dark mode in every editor, tabs over spaces, and a 100-column limit; never auto-format on save.",
    " ".join(["We spent the whole afternoon walking along the river, talking about the move, the new job,"
              " the kids' school, and whether the old car would survive another winter."] * 6),
]


def texts(locomo: Path | None) -> list[str]:
    out = list(VARIED) + [sentence(i) for i in range(200)]
    if locomo:
        data = json.loads(locomo.read_text())
        turns = [t["text"] for conv in data[:2] for key, sess in conv["conversation"].items()
                 if key.startswith("session_") and isinstance(sess, list) for t in sess]
        out += turns[:600]
    return out


def cpu_per_text(embedder, n: int = 1024) -> float:
    batch = [sentence(30_000_000 + i) for i in range(n)]
    embedder.embed(batch[:64])  # warm
    cpu = time.process_time()
    for start in range(0, n, 64):
        embedder.embed(batch[start : start + 64])
    return (time.process_time() - cpu) * 1000 / n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", default="0,0.111,0.167,0.222,0.25,0.333", help="shares of weight MatMuls kept fp32")
    parser.add_argument("--alpha", type=float, help="SmoothQuant strength (default: server/quantize.SMOOTH_ALPHA)")
    parser.add_argument("--locomo", type=Path, help="LoCoMo json: add its turns to the texts compared")
    args = parser.parse_args(argv)
    from server import quantize
    from server.embed import FastEmbedEmbedder

    if args.alpha is not None:
        quantize.SMOOTH_ALPHA = args.alpha
    corpus = texts(args.locomo)
    fp32 = FastEmbedEmbedder("offline", CACHE, precision="fp32")
    ref = fp32.embed(corpus)
    print(f"{len(corpus)} texts; load {os.getloadavg()[0]:.1f}; fp32: {cpu_per_text(fp32):.2f} ms CPU per text")
    for keep in [float(k) for k in args.keep.split(",")]:
        quantize.KEEP_FP32 = keep
        emb = FastEmbedEmbedder("offline", CACHE, precision="int8")
        cos = np.sum(emb.embed(corpus) * ref, axis=1)
        worst = int(np.argmin(cos))
        print(f"alpha {quantize.SMOOTH_ALPHA} keep fp32 {keep:.3f}: min cosine {cos.min():.4f} (on {corpus[worst][:40]!r}), mean {cos.mean():.5f}, "
              f"share < 0.99: {np.mean(cos < 0.99):.3f}; {cpu_per_text(emb):.2f} ms CPU per text; load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
