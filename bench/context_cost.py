"""What the assistant turn as context costs at ingest: tokens and embedding CPU, whole and cut short.

    python bench/context_cost.py LONGMEMEVAL.json [--limit 30] [--offset 0] [--cuts 512,256,128,64] [--sample 300]

LongMemEval stores only user turns; with `--replied-context` each one carries the assistant turn it answers as
context, and that context is embedded once at ingest (`MemoryService.remember_many`). Assistant turns are long, so
this is where the extra ingest time goes. For the haystacks of the slice this prints the token counts (the
embedder's own tokenizer) of user turns and of their assistant contexts, then the process CPU of embedding a
sample of sessions' user turns and contexts through the real embedder, the contexts at each token cut (the embedder cuts at the model's
`max_seq_length`, 256 for all-MiniLM-L6-v2; each cut shows what truncating there would cost)
and cut to their first words in the harness (`reverie bench retrieval --context-words N`). CPU time, not wall time:
the machine is shared.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.bench.datasets import load  # noqa: E402
from server.bench.retrieval import first_words  # noqa: E402


def _quantiles(xs: list[int]) -> str:
    xs = sorted(xs)
    q = lambda p: xs[min(len(xs) - 1, int(p * len(xs)))]  # noqa: E731
    return f"n={len(xs)} mean {sum(xs) / len(xs):.0f} p50 {q(0.5)} p90 {q(0.9)} max {xs[-1]}, over 256: {sum(x > 256 for x in xs) / len(xs):.0%}"


def _cpu(embedder, texts: list[str]) -> float:
    t0 = time.process_time()
    embedder.embed(texts)
    return time.process_time() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--limit", type=int, default=30)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--cuts", default="512,256,128,64", help="token cuts of the context to time")
    ap.add_argument("--sample", type=int, default=300, help="sessions timed (a seeded sample; 0: token counts only)")
    args = ap.parse_args(argv)
    from server.config import Settings
    from server.embed import FastEmbedEmbedder

    settings = Settings(db=Path("/nonexistent/unused.db"), embedding_model="offline")
    embedder = FastEmbedEmbedder(settings.embedding_model, settings.embedding_cache_dir, precision=settings.embedding_precision)
    tokenizer = embedder._model.model.tokenizer
    model_cut = tokenizer.truncation["max_length"] if tokenizer.truncation else None
    dataset = load("longmemeval", args.path, limit=args.limit, offset=args.offset)
    turns = [t for c in dataset.conversations for s in c.sessions for t in s.turns]
    users = [t.content() for t in turns]
    contexts = [t.replies_to for t in turns if t.replies_to]  # each haystack is a fresh store: embedded once per turn
    padding = tokenizer.padding  # the embedder pads each batch to its longest text: counts need no padding
    tokenizer.no_truncation()
    tokenizer.no_padding()
    count = lambda texts: [len(e.ids) for e in tokenizer.encode_batch(texts)]  # noqa: E731
    user_tokens, context_tokens = count(users), count(contexts)
    cut_tokens = {words: count([first_words(c, words) for c in contexts]) for words in (100, 200)}
    if padding:
        tokenizer.enable_padding(**{k: v for k, v in padding.items() if k != "length"}, length=padding.get("length"))
    print(f"LongMemEval questions {args.offset + 1}-{args.offset + len(dataset.conversations)}: {len(users)} user turns, "
          f"{len(contexts)} assistant contexts; the embedder truncates at {model_cut} tokens")
    print(f"  user turn tokens:         {_quantiles(user_tokens)}")
    print(f"  assistant context tokens: {_quantiles(context_tokens)}")
    for cut in sorted({int(c) for c in args.cuts.split(",")}, reverse=True):
        print(f"  context tokens embedded at cut {cut}: {sum(min(n, cut) for n in context_tokens)} "
              f"(user turns: {sum(min(n, model_cut or n) for n in user_tokens)})")
    for words, counts in cut_tokens.items():
        print(f"  context cut to {words} words: {_quantiles(counts)}; embedded {sum(min(n, model_cut or n) for n in counts)}")
    if args.sample < 1:
        return
    rng = random.Random(7)
    sessions = [s for c in dataset.conversations for s in c.sessions if s.turns]
    sample = rng.sample(sessions, min(args.sample, len(sessions)))
    scale = len(sessions) / len(sample)
    tokenizer.enable_truncation(max_length=model_cut or 512)
    embedder.embed([t.content() for t in sample[0].turns])  # warm-up
    # As ingest embeds them: a session's user turns in one call, its (distinct) contexts in another.
    cpu_users = sum(_cpu(embedder, [t.content() for t in s.turns]) for s in sample)
    print(f"embedding CPU (process time) over {len(sample)} of the slice's {len(sessions)} sessions, one call per session as at ingest, "
          f"scaled to the slice:")
    print(f"  user turns:           {cpu_users * scale:7.0f} s")
    for cut in sorted({int(c) for c in args.cuts.split(",")}, reverse=True):
        tokenizer.enable_truncation(max_length=cut)
        cpu = sum(_cpu(embedder, list(dict.fromkeys(t.replies_to for t in s.turns if t.replies_to))) for s in sample)
        print(f"  contexts cut at {cut:3d}: {cpu * scale:7.0f} s (+{cpu / cpu_users:.0%} of the user turns' embedding)")
    for words in (100, 200):
        tokenizer.enable_truncation(max_length=model_cut or 512)
        cpu = sum(_cpu(embedder, list(dict.fromkeys(first_words(t.replies_to, words) for t in s.turns if t.replies_to))) for s in sample)
        print(f"  contexts cut to {words} words (--context-words {words}): {cpu * scale:7.0f} s (+{cpu / cpu_users:.0%})")
    tokenizer.enable_truncation(max_length=model_cut or 512)


if __name__ == "__main__":
    main()
