"""The offline model path gives the same vectors as the reference sentence-transformers model."""

from __future__ import annotations

import numpy as np
import pytest

from server.embed import MINILM, resolve_model

TEXTS = [
    "hi",
    "The user prefers dark roast coffee, brewed in a French press, every morning before work.",
    "Deploys happen on Tuesdays.",
    "Meeting notes: discussed the migration plan, the rollback strategy and who owns the on-call rotation next quarter. " * 3,
]


def test_offline_alias_records_the_hub_model_id():
    model_id, path = resolve_model("offline")
    assert model_id == MINILM and path.is_dir()


def test_fastembed_on_the_exported_model_matches_sentence_transformers(embedder):
    st = pytest.importorskip("sentence_transformers")
    _, path = resolve_model("offline")
    reference = st.SentenceTransformer(str(path), device="cpu").encode(TEXTS, normalize_embeddings=True)
    ours = embedder.embed(TEXTS)
    cosines = (reference * ours).sum(axis=1)
    assert cosines.min() > 0.99, cosines
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
