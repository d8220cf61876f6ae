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


def test_a_local_model_without_token_type_ids_exports_and_embeds(tmp_path):
    """MPNet, RoBERTa and their kin take no token_type_ids: the ONNX export must not ask for them."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from server.embed import FastEmbedEmbedder

    _, minilm = resolve_model("offline")
    model_dir = tmp_path / "tiny-mpnet"
    specials = dict(bos_token="[CLS]", cls_token="[CLS]", eos_token="[SEP]", sep_token="[SEP]", unk_token="[UNK]",
                    pad_token="[PAD]", mask_token="[MASK]")  # MiniLM's vocabulary, MPNet's tokenizer
    tokenizer = transformers.MPNetTokenizerFast(tokenizer_file=str(minilm / "tokenizer.json"), **specials)
    tokenizer.model_max_length = 128
    assert "token_type_ids" not in tokenizer("probe")
    torch.manual_seed(0)
    config = transformers.MPNetConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1,
                                      num_attention_heads=2, intermediate_size=64,
                                      pad_token_id=tokenizer.pad_token_id)
    model = transformers.MPNetModel(config).eval()
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    (model_dir / "1_Pooling").mkdir()
    (model_dir / "1_Pooling" / "config.json").write_text('{"word_embedding_dimension": 32, "pooling_mode_mean_tokens": true}')

    ours = FastEmbedEmbedder(str(model_dir), tmp_path / "cache").embed(TEXTS)

    batch = tokenizer(TEXTS, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    reference = ((hidden * mask).sum(1) / mask.sum(1)).numpy()
    reference /= np.linalg.norm(reference, axis=1, keepdims=True)
    assert ours.shape == (len(TEXTS), 32)
    assert (reference * ours).sum(axis=1).min() > 0.999
