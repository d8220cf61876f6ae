import torch

from server.memops import load_ops
from server.memops.evaluate import load_cases
from server.memops.train import finetune, train


def test_a_few_training_steps_write_a_loadable_checkpoint(embed, tmp_path):
    meta = train(embed, seed=1, out_dir=tmp_path / "w", n_examples=120, max_steps=4, cache=None,
                 dev_cases=load_cases()[:8], rerank=False)
    ops = load_ops(tmp_path / "w")
    assert meta["data_hash"] and ops.meta["data_hash"] == meta["data_hash"]
    v = embed(["I keep bees"])[0]
    assert ops.decide("I keep bees", v, []).action in ("add", "skip", "noop", "update", "supersede")


def test_finetuning_on_feedback_writes_a_new_checkpoint_and_keeps_the_parent(embed, tmp_path):
    base = tmp_path / "base"
    train(embed, seed=2, out_dir=base, n_examples=80, max_steps=2, cache=None, dev_cases=load_cases()[:4], rerank=False)
    fb = [{"existing": [{"content": "My locker is number 12", "kind": "fact"}], "new": "My locker is number 31 now",
           "expect": {"action": "supersede", "target": 0, "kind": ["fact"]}}]
    meta = finetune(embed, fb, base, tmp_path / "ft", epochs=1, replay=40, dev_cases=load_cases()[:4], cache=None)
    assert meta["n_feedback"] == 1 and meta["parent"]["dir"] == str(base)
    assert (base / "ops.safetensors").exists() and (tmp_path / "ft" / "ops.safetensors").exists()
    a, b = load_ops(base), load_ops(tmp_path / "ft")
    assert not all(torch.equal(x, y) for x, y in zip(a.net.parameters(), b.net.parameters()))
