"""`_Vectors`: a batch's embeddings, shared between a worker thread and the deciding thread."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from server.embed import HashEmbedder
from server.service import EMBED_CHUNK, _Vectors


class Recording(HashEmbedder):
    def __init__(self, fail_on: str | None = None):
        super().__init__()
        self.calls: list[tuple[tuple[str, ...], int]] = []
        self.fail_on = fail_on

    def embed(self, texts):
        self.calls.append((tuple(texts), threading.get_ident()))
        if self.fail_on in texts:
            raise RuntimeError("model failed")
        return super().embed(texts)


def _texts(n: int) -> list[str]:
    return [f"statement number {i}" for i in range(n)]


def test_every_chunk_is_embedded_once_whoever_runs_it():
    texts = _texts(5 * EMBED_CHUNK + 3)
    embedder = Recording()
    vectors = _Vectors(texts, list(range(len(texts))))
    with ThreadPoolExecutor(1) as pool:
        vectors.start(embedder, pool)
        got = np.stack([vectors.get(i) for i in range(len(texts))])
    assert np.array_equal(got, HashEmbedder().embed(texts))
    embedded = [t for chunk, _ in embedder.calls for t in chunk]
    assert sorted(embedded) == sorted(texts) and len(embedder.calls) == 6


def test_the_deciding_thread_embeds_what_the_worker_has_not_started():
    texts = _texts(3 * EMBED_CHUNK)
    embedder = Recording()
    vectors = _Vectors(texts, list(range(len(texts))))
    gate = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        pool.submit(gate.wait)  # the worker is busy elsewhere (another batch)
        vectors.start(embedder, pool)
        got = [vectors.get(i) for i in range(len(texts))]
        assert {thread for _, thread in embedder.calls} == {threading.get_ident()}
        gate.set()
    assert len(got) == len(texts) and len(embedder.calls) == 3


def test_a_failed_chunk_raises_where_it_is_read_and_stop_leaves_the_rest():
    texts = _texts(3 * EMBED_CHUNK)
    embedder = Recording(fail_on=texts[EMBED_CHUNK])
    vectors = _Vectors(texts, list(range(len(texts))))
    with ThreadPoolExecutor(1) as pool:
        vectors.start(embedder, pool)
        assert vectors.get(0) is not None
        with pytest.raises(RuntimeError, match="model failed"):
            vectors.get(EMBED_CHUNK)
        vectors.stop()
        assert vectors._claim() is None
