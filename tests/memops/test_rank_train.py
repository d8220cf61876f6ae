"""The recall reranker's synthetic users and training: as recall ranks, reproducible, and apart from the write path."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import torch

from server.memops import rank_train
from server.memops.model import OpsConfig, OpsNet


def _hash_embed(texts):
    """A cheap deterministic stand-in for MiniLM: the structure of the lists is under test, not the model."""
    out = []
    for t in texts:
        rng = np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:8], 16))
        v = rng.standard_normal(384).astype(np.float32)
        out.append(v / np.linalg.norm(v))
    return np.stack(out)


def test_lists_are_deterministic_per_seed_and_ordered_as_recall_ranks_them():
    a = rank_train.build_lists(5, 6, _hash_embed)
    b = rank_train.build_lists(5, 6, _hash_embed)
    assert [(q, p, [c.content for c in cs]) for cs, q, p in a] == [(q, p, [c.content for c in cs]) for cs, q, p in b]
    for cands, _, pos in a:
        scores = [c.fused for c in cands]
        assert scores[0] == 1.0 and scores == sorted(scores, reverse=True)
        assert pos and all(0 <= p < len(cands) for p in pos)


def test_conversations_hold_unnamed_questions_retold_evidence_and_multi_turn_questions():
    r = random.Random(0)
    users = [rank_train._conversation(r) for _ in range(30)]
    questions = [(q, ev, u) for u in users for q, ev in u.questions]
    speakers = lambda u, ev: {u.mems[i][0].split(":")[0] for i in ev}  # noqa: E731
    assert any(" she " in f" {q} " or " he " in f" {q} " for q, _, _ in questions)
    assert any(len(ev) >= 3 for _, ev, _ in questions)
    assert any(len(speakers(u, ev)) == 2 for _, ev, u in questions)  # the other person's reaction holds part of it
    assert all(u.session == sorted(u.session) for u in users)


def test_training_the_rank_stage_is_reproducible_and_leaves_the_write_path_heads_alone():
    torch.manual_seed(0)
    net = OpsNet(OpsConfig())
    before = {k: v.clone() for k, v in net.state_dict().items()}
    state = torch.get_rng_state()
    first = rank_train.train_reranker(net, _hash_embed, seed=3, n_users=9, epochs=1)
    assert torch.equal(torch.get_rng_state(), state)  # the global random stream the write path trains on is untouched
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before if not k.startswith("rank"))
    assert not torch.equal(before["rank.0.weight"], after["rank.0.weight"])
    again = OpsNet(OpsConfig())
    second = rank_train.train_reranker(again, _hash_embed, seed=3, n_users=9, epochs=1)
    assert first == second
    assert all(torch.equal(after[k], again.state_dict()[k]) for k in after if k.startswith("rank"))
    assert set(first["heldout"]["model"]) == {"recall@1", "recall@5", "recall@10", "mrr", "n"}
