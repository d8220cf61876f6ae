"""The serving encoder (fastpair) gives bit-identical arrays to the reference `encode.encode` the weights were trained on."""

from __future__ import annotations

import json

import numpy as np

from server.memops import curriculum, encode, fastpair, features
from server.memops.evaluate import DEV_CASES
from server.memops.schema import Neighbor


def _cases() -> list[tuple[str, list[dict]]]:
    dev = [json.loads(line) for line in DEV_CASES.read_text().splitlines() if line.strip()]
    generated = curriculum.build(7, 600)
    # Every text against every other's memories too: speakers, numbers, days, antonyms across families.
    mixed = [(dev[i]["new"], generated[i]["existing"] + dev[-1 - i].get("existing", [])) for i in range(len(dev))]
    return [(c["new"], c.get("existing") or []) for c in dev + generated] + mixed


def test_fastpair_encode_matches_the_reference_bit_for_bit():
    rng = np.random.default_rng(0)
    checked = 0
    for new, existing in _cases():
        neighbors = [Neighbor(content=e["content"], kind=e.get("kind") or "fact", vector=rng.normal(size=8).astype(np.float32),
                              similarity=float(rng.uniform(0.2, 1.0))) for e in existing]
        vector = rng.normal(size=8).astype(np.float32)
        ref, fast = encode.encode(new, vector, neighbors, 8), fastpair.encode(new, vector, neighbors, 8)
        assert ref["order"] == fast["order"]
        for key in ("emb", "stmt", "nvec", "pair", "mask"):
            assert np.array_equal(ref[key], fast[key]), (key, new, existing)
        checked += len(neighbors)
    assert checked > 2000


def test_fastpair_parse_matches_the_reference():
    texts = {t for new, existing in _cases() for t in [new, *(e["content"] for e in existing)]}
    texts |= {"Caroline: I went hiking last weekend!", "Dr. Lindqvist moved my appointment to half past nine on Sundays",
              "I don't eat meat anymore - not since March", "thirty-four", ""}
    for text in texts:
        assert fastpair.parsed(text) == features.parse(text), text


def test_recall_stage_reuses_the_parses_the_write_path_made():
    """A memory written by this process is not parsed again when the learned recall stage ranks it.

    (The stage once parsed with `encode.parsed`, whose cache the write path no longer fills: on LongMemEval's
    long turns that made the stage ~6x slower.)"""
    from server.memops.learned import rank_matrix
    from server.memops.schema import RankCandidate

    texts = [f"Mateo: we finally booked the cabin by the lake for the {n}th, after weeks of searching" for n in range(5)]
    vector = np.ones(8, np.float32)
    for text in texts:
        fastpair.encode(text, vector, [], 8)  # what a remember does
    before = fastpair.parsed.cache_info()
    candidates = [RankCandidate(content=t, kind="event", vector=vector, vector_sim=0.5, keyword=0.2, fused=1.0 - i / 10,
                                strength=1.0, recency=0.5, confidence=0.9, age_days=3.0) for i, t in enumerate(texts)]
    rank_matrix("when is the cabin booked?", candidates)
    after = fastpair.parsed.cache_info()
    assert after.hits - before.hits >= len(texts)
