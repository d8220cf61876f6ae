"""Checkpoint = ops.safetensors (weights) + ops.json (config, data hash, code version, metrics).

Loading rebuilds the network from the JSON config alone, so a checkpoint is
self-describing; `code_version` fingerprints the feature code, because weights
trained on one definition of the features are meaningless under another.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .model import OpsConfig, OpsNet

WEIGHTS_DIR = Path(__file__).parent / "weights"
_FEATURE_SOURCES = ("text.py", "features.py", "encode.py", "model.py")


def code_version() -> str:
    h = hashlib.sha256()
    for name in _FEATURE_SOURCES:
        h.update((Path(__file__).parent / name).read_bytes())
    return h.hexdigest()[:16]


def save(net: OpsNet, out_dir: Path, meta: dict) -> Path:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    save_file(state, str(out_dir / "ops.safetensors"))
    doc = {"config": net.cfg.to_dict(), "code_version": code_version(), **meta}
    (out_dir / "ops.json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return out_dir


def load(weights_dir: Path = WEIGHTS_DIR) -> tuple[OpsNet, dict]:
    """Raises: FileNotFoundError if the checkpoint is missing."""
    weights_dir = Path(weights_dir)
    meta = json.loads((weights_dir / "ops.json").read_text())
    net = OpsNet(OpsConfig(**meta["config"]))
    net.load_state_dict(load_file(str(weights_dir / "ops.safetensors")), strict=True)
    net.eval()
    return net, meta
