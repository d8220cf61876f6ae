"""Recall's query embedding (REVERIE_QUERY_PRECISION): int8 by default, fp32 on request, the same steps as a batch of one."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from server import embed, quantize
from server.config import Settings
from server.embed import FastEmbedEmbedder, _normalise, export_onnx, offline_model_dir
from server.errors import ConfigError
from tests.conftest import MODEL_CACHE

QUERIES = [
    "hi",
    "what does Ana like to drink?",
    "When did Caroline go to the LGBTQ support group?",
    "What is my preferred airline for domestic flights, and why did I switch last year?",
    "Wo wohne ich seit 2019?",
    "寿司はどこで食べた？",
    "which port does the staging server use (8443?)",
    "tax forms " * 200,  # longer than the model reads: cut at 256 tokens like the stored texts
]


@pytest.fixture(scope="module")
def fp32_queries() -> FastEmbedEmbedder:
    return FastEmbedEmbedder("offline", MODEL_CACHE, query_precision="fp32")


def _fastembed_query(embedder: FastEmbedEmbedder, query: str) -> np.ndarray:
    """fastembed's own query vector through its public API, normalised in float32 as `embed` does."""
    return _normalise(np.asarray(list(embedder._model.query_embed([query])), dtype=np.float32))[0]


def test_the_fp32_query_path_is_bit_identical_to_fastembeds_own_query_vectors(fp32_queries):
    assert fp32_queries.query_precision == "fp32" and fp32_queries._query_session is fp32_queries._model.model.model
    for query in QUERIES:
        vector = fp32_queries.embed_query(query)
        assert np.array_equal(vector, fp32_queries.embed([query])[0]), query
        assert np.array_equal(vector, _fastembed_query(fp32_queries, query)), query


def _local_model(tmp_path, name: str, cls: bool, normalised: bool):
    """The exported MiniLM served as a local sentence-transformers directory that pools and normalises as told."""
    onnx_dir = export_onnx(offline_model_dir(), MODEL_CACHE)
    model_dir = tmp_path / name
    model_dir.mkdir()
    for path in onnx_dir.iterdir():
        (model_dir / path.name).symlink_to(path)
    (model_dir / "1_Pooling").mkdir()
    (model_dir / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 384, "pooling_mode_cls_token": cls, "pooling_mode_mean_tokens": not cls}))
    modules = [{"type": "sentence_transformers.models.Transformer"}, {"type": "sentence_transformers.models.Pooling"}]
    if normalised:
        modules.append({"type": "sentence_transformers.models.Normalize"})
    (model_dir / "modules.json").write_text(json.dumps(modules))
    return FastEmbedEmbedder(str(model_dir), tmp_path / "cache", query_precision="fp32")


@pytest.mark.parametrize("cls,normalised", [(False, False), (True, False)])  # (mean, normalised): the offline model
def test_queries_pool_as_fastembed_pools_the_model(tmp_path, cls, normalised):
    embedder = _local_model(tmp_path, f"pool-{cls}-{normalised}", cls, normalised)
    assert embedder._query_pooling == ("cls" if cls else "mean", normalised)
    for query in QUERIES:
        assert np.array_equal(embedder.embed_query(query), _fastembed_query(embedder, query)), query


def test_a_model_pooled_otherwise_embeds_its_queries_through_fastembed_with_a_warning(monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(embed, "_pool", lambda hidden, mask, *_: _normalise(hidden.max(axis=1)))  # max pooling: no match
    with caplog.at_level(logging.WARNING, logger="server.embed"):
        embedder = FastEmbedEmbedder("offline", MODEL_CACHE)  # int8 queries asked for
    assert embedder._query_pooling is None and embedder.query_precision == "fp32" and "fastembed's batch path" in caplog.text
    for query in QUERIES[:3]:
        assert np.array_equal(embedder.embed_query(query), _fastembed_query(embedder, query)), query


def test_int8_queries_are_the_default_and_stay_within_cosine_099_of_fp32(embedder, fp32_queries):
    assert Settings().query_precision == "int8" and embedder.query_precision == "int8"
    assert embedder.precision == "fp32"  # stored vectors stay fp32: only the query runs int8
    int8 = np.stack([embedder.embed_query(q) for q in QUERIES])
    fp32 = np.stack([fp32_queries.embed_query(q) for q in QUERIES])
    assert int8.dtype == np.float32 and np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    cosines = (int8 * fp32).sum(axis=1)
    assert cosines.min() > 0.99, cosines
    assert not np.array_equal(int8, fp32)  # it is another model run, not the fp32 one under another name


def test_an_int8_store_reuses_its_session_for_queries():
    both = FastEmbedEmbedder("offline", MODEL_CACHE, precision="int8")
    assert both.query_precision == "int8" and both._query_session is both._model.model.model
    assert np.array_equal(both.embed_query(QUERIES[1]), both.embed([QUERIES[1]])[0])


def test_without_an_int8_model_queries_fall_back_to_fp32_with_a_warning(monkeypatch, tmp_path, caplog, fp32_queries):
    def cannot(*args, **kwargs):
        raise ConfigError("needs the onnx package")

    monkeypatch.setattr(quantize, "int8_dir", cannot)
    with caplog.at_level(logging.WARNING, logger="server.embed"):
        embedder = FastEmbedEmbedder("offline", MODEL_CACHE)
    assert embedder.query_precision == "fp32"
    assert "REVERIE_QUERY_PRECISION=fp32" in caplog.text and "needs the onnx package" in caplog.text
    assert np.array_equal(embedder.embed_query(QUERIES[2]), fp32_queries.embed_query(QUERIES[2]))


def test_query_precision_reads_the_environment_and_rejects_unknown_values(monkeypatch):
    monkeypatch.setenv("REVERIE_QUERY_PRECISION", "fp32")
    assert Settings().query_precision == "fp32"
    monkeypatch.setenv("REVERIE_QUERY_PRECISION", "fp16")
    with pytest.raises(ValueError, match="query_precision"):
        Settings()
    with pytest.raises(ConfigError, match="Query precision"):
        FastEmbedEmbedder("offline", MODEL_CACHE, query_precision="fp16")


def test_stats_say_how_queries_are_embedded(app):
    stats = app.service.stats()
    assert (stats.embedding_precision, stats.query_precision) == ("fp32", "int8")


def test_every_embedder_prepares_queries_and_embed_query_is_the_prepared_call(embedder):
    from server.embed import HashEmbedder, LazyEmbedder

    run = embedder.prepare_query(QUERIES[3])
    assert np.array_equal(run(), embedder.embed_query(QUERIES[3]))
    lazy = LazyEmbedder("offline", MODEL_CACHE).start()  # the server's wrapper: same settings, so the same vector
    assert np.array_equal(lazy.prepare_query(QUERIES[3])(), run()) and lazy.query_precision == "int8"
    hashed = HashEmbedder()
    assert np.array_equal(hashed.prepare_query("tea or coffee")(), hashed.embed(["tea or coffee"])[0])
    assert np.array_equal(hashed.embed_query("tea or coffee"), hashed.embed(["tea or coffee"])[0])
