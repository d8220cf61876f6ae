"""features.py computes some signals by shortcuts (the text tokenised once, per-text sets cached); they must give
exactly what text.py's definitions and plain set arithmetic give, or the shipped weights read other inputs."""

from __future__ import annotations

import json
import math

import numpy as np

from server.memops import curriculum, encode, features
from server.memops import text as T
from server.memops.evaluate import DEV_CASES
from server.memops.schema import Neighbor


def _cases() -> list[tuple[str, list[dict]]]:
    dev = [json.loads(line) for line in DEV_CASES.read_text().splitlines() if line.strip()]
    generated = curriculum.build(7, 600)
    # Every text against every other's memories too: speakers, numbers, days, antonyms across families.
    mixed = [(dev[i]["new"], generated[i]["existing"] + dev[-1 - i].get("existing", [])) for i in range(len(dev))]
    return [(c["new"], c.get("existing") or []) for c in dev + generated] + mixed


def _texts() -> set[str]:
    texts = {t for new, existing in _cases() for t in [new, *(e["content"] for e in existing)]}
    return texts | {"Caroline: I went hiking last weekend!", "Dr. Lindqvist moved my appointment to half past nine on Sundays",
                    "I don't eat meat anymore - not since March", "thirty-four", ""}


def test_parse_reads_its_fields_as_text_helpers_define_them():
    for text in _texts():
        p = features.parse(text)
        assert p.content == frozenset(T.content_tokens(p.raw)), text
        assert p.stems == frozenset(T.stems(p.raw)), text
        assert p.neg == T.negation_count(p.raw), text


def test_statement_markers_count_as_has_any_does():
    for text in _texts():
        low = features.parse(text).raw.strip().lower()
        norm = features._normalised(low)
        for name, padded in features._PADDED.items():
            assert features._has(norm, padded) == T.has_any(low, getattr(T, name)), (name, text)


def test_pair_shortcuts_equal_the_plain_set_arithmetic():
    checked = 0
    for new, existing in _cases():
        a = features.parse(new)
        for e in existing:
            b = features.parse(e["content"])
            f = features.pair_features(a, b, e.get("kind") or "fact", 0.7, 0.9, 1)
            new_only = a.stems - b.stems - features._DISCOURSE
            pos = next((i / max(len(a.toks) - 1, 1) for i, t in enumerate(a.toks) if T.stem(t) in new_only), 1.0)
            assert f[4] == len(a.stems & b.stems) / max(len(a.stems | b.stems), 1)
            assert f[5] == len(a.trigrams & b.trigrams) / max(len(a.trigrams | b.trigrams), 1)
            assert f[23] == float(T.antonym_hit(set(a.content), set(b.content))), (new, e["content"])
            assert f[28] == pos
            assert f[29] == len(a.bigrams & b.bigrams) / max(len(a.bigrams | b.bigrams), 1)
            assert f[32] == math.log1p(len(a.toks)) - math.log1p(len(b.toks))
            assert f[-len(features.KINDS):] == [float((e.get("kind") or "fact") == k) for k in features.KINDS]
            checked += 1
    assert checked > 2000


def test_encode_orders_and_fills_slots_by_similarity():
    rng = np.random.default_rng(0)
    for new, existing in _cases()[:300]:
        neighbors = [Neighbor(content=e["content"], kind=e.get("kind") or "fact", vector=rng.normal(size=8).astype(np.float32),
                              similarity=float(rng.uniform(0.2, 1.0))) for e in existing]
        x = encode.encode(new, rng.normal(size=8).astype(np.float32), neighbors, 8)
        sims = [neighbors[i].similarity for i in x["order"]]
        assert sims == sorted(sims, reverse=True) and len(sims) == min(len(neighbors), 8)
        assert x["mask"].sum() == len(sims) and not x["pair"][len(sims):].any()
        for j, i in enumerate(x["order"]):
            assert np.array_equal(x["nvec"][j], neighbors[i].vector)
            assert x["pair"][j][0] == np.float32(neighbors[i].similarity) and x["pair"][j][2] == float(j == 0)


def test_recall_stage_reuses_the_parses_the_write_path_made():
    """A memory written by this process is not parsed again when the learned recall stage ranks it.

    (The stage once parsed with a cache the write path did not fill: on LongMemEval's long turns that made the
    stage ~6x slower.)"""
    from server.memops.learned import rank_matrix
    from server.memops.schema import RankCandidate

    texts = [f"Mateo: we finally booked the cabin by the lake for the {n}th, after weeks of searching" for n in range(5)]
    vector = np.ones(8, np.float32)
    for text in texts:
        encode.encode(text, vector, [], 8)  # what a remember does
    before = encode.parsed.cache_info()
    candidates = [RankCandidate(content=t, kind="event", vector=vector, vector_sim=0.5, keyword=0.2, fused=1.0 - i / 10,
                                strength=1.0, recency=0.5, confidence=0.9, age_days=3.0) for i, t in enumerate(texts)]
    rank_matrix("when is the cabin booked?", candidates)
    after = encode.parsed.cache_info()
    assert after.hits - before.hits >= len(texts)
