"""int8 embeddings (REVERIE_EMBEDDING_PRECISION=int8): close to fp32, quantized once into the cache, rebuilt when damaged."""

from __future__ import annotations

import json

import numpy as np
import pytest

from server import quantize
from server.config import Settings
from server.embed import FastEmbedEmbedder
from tests.conftest import MODEL_CACHE

TEXTS = [
    "hi",
    "thanks!",
    "My rent went up to 1,450 euros a month in March.",
    "Ich wohne seit 2019 in Berlin.",
    "東京で寿司を食べるのが好きです。",
    "def merge(a, b):\n    return {**a, **b}",
    "Call me at +1 (415) 555-0134 on 2024-06-30 at 09:45.",
    "Caroline: I went to a support group yesterday and it was so powerful, everyone was welcoming. " * 4,
]


@pytest.fixture(scope="module")
def int8() -> FastEmbedEmbedder:
    return FastEmbedEmbedder("offline", MODEL_CACHE, precision="int8")


def test_int8_stays_within_cosine_099_of_fp32(embedder, int8):
    assert embedder.precision == "fp32" and Settings().embedding_precision == "fp32"  # the default (see server/config.py)
    assert int8.precision == "int8"
    cosines = (int8.embed(TEXTS) * embedder.embed(TEXTS)).sum(axis=1)
    assert cosines.min() > 0.99, cosines
    assert int8.model_id == embedder.model_id  # one database serves either precision


def test_the_quantized_file_is_cached_and_reused(int8, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("quantized again")

    monkeypatch.setattr(quantize, "quantize", fail)
    again = FastEmbedEmbedder("offline", MODEL_CACHE, precision="int8")  # the fixture built the file already
    assert np.allclose(again.embed(TEXTS[:3]), int8.embed(TEXTS[:3]), atol=1e-6)


def test_a_corrupt_or_partial_cache_file_is_rebuilt_not_loaded(embedder, tmp_path):
    inner = embedder._model.model
    model_dir, model_file = inner._model_dir, inner.model_description.model_file
    built = quantize.int8_dir(model_dir, model_file, tmp_path)
    good = (built / model_file).read_bytes()
    (built / model_file).write_bytes(good[: len(good) // 3])  # a crash mid-write
    assert quantize.int8_dir(model_dir, model_file, tmp_path) == built
    assert (built / model_file).read_bytes() == good
    (built / quantize.MANIFEST).write_text("{not json")
    assert quantize.int8_dir(model_dir, model_file, tmp_path) == built
    assert json.loads((built / quantize.MANIFEST).read_text())["sha256"] == quantize.file_digest(built / model_file)


def test_precision_setting_reads_the_environment_and_rejects_unknown_values(monkeypatch):
    monkeypatch.setenv("REVERIE_EMBEDDING_PRECISION", "int8")
    assert Settings().embedding_precision == "int8"
    monkeypatch.setenv("REVERIE_EMBEDDING_PRECISION", "int4")
    with pytest.raises(ValueError, match="embedding_precision"):
        Settings()


def test_stats_say_which_precision_runs(app, settings, int8):
    from server.app import build_context

    assert app.service.stats().embedding_precision == "fp32"
    other = build_context(settings.model_copy(update={"db": settings.db.with_name("int8.db")}), embedder=int8)
    try:
        assert other.service.stats().embedding_precision == "int8"
    finally:
        other.store.close()


def test_int8_without_onnx_names_the_fix(tmp_path, monkeypatch):
    """onnx is an extra: asking for int8 without it is one clear error, not an ImportError from deep inside."""
    from server.errors import ConfigError

    monkeypatch.setitem(__import__("sys").modules, "onnx", None)
    with pytest.raises(ConfigError, match=r"reverie-memory\[int8\]"):
        quantize.quantize(tmp_path / "model.onnx", tmp_path / "out.onnx", tmp_path / "tokenizer.json")
