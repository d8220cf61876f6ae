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


def test_long_texts_are_cut_where_sentence_transformers_cuts_them(embedder):
    """all-MiniLM-L6-v2 reads 256 tokens; its tokenizer config says 512, which fastembed used (cosine 0.83)."""
    st = pytest.importorskip("sentence_transformers")
    _, path = resolve_model("offline")
    long = ("Meeting notes: we discussed the database migration plan, the rollback strategy and the on-call rotation. " * 20
            + "Separately, my favourite dessert is a lemon tart with fresh raspberries from the market. " * 15)
    reference = st.SentenceTransformer(str(path), device="cpu")
    assert len(reference.tokenizer(long)["input_ids"]) > 512 and reference.max_seq_length == 256
    cosine = float(reference.encode([long], normalize_embeddings=True)[0] @ embedder.embed([long])[0])
    assert cosine > 0.99, cosine
