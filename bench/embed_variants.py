"""The embedding's CPU floor: ONNX variants of all-MiniLM-L6-v2 on bench.core's batch texts, one ONNX Runtime thread.

    python -m bench.embed_variants [--rounds 5] [--sizes 1,8,16,32,64] [--join 2]

For each variant: ms of CPU per text by texts per call (the least over `--rounds`: the machine is shared, and
other work only ever adds), the minimum and mean cosine to the plain fp32 graph over varied texts
(server/quantize.py's calibration texts plus bench texts), and whether a text's vector depends on the batch it
was embedded in (largest difference between each text embedded alone and in one batch: 0 is batch-invariant,
which a batch import needs to decide what one-by-one writes decide, tests/test_remember_many.py).

Variants: the plain fp32 export (what Reverie serves); the same graph through ORT's transformer optimizer
(fused Attention, SkipLayerNormalization, BiasGelu); the int8 copy REVERIE_EMBEDDING_PRECISION=int8 serves
(dynamic quantization, per-tensor activation scales); and, when `onnx_ir` is installed, weight-only
MatMulNBits with int8 compute (`accuracy_level=4`: activations quantized per block of a row, so per token).
Variants built here live in a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.core import CACHE, sentence


def _session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # as FastEmbedEmbedder runs each call
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _feeds(tokenizer, texts: list[str]) -> dict[str, np.ndarray]:
    enc = tokenizer.encode_batch(texts)
    return {"input_ids": np.array([e.ids for e in enc], np.int64),
            "attention_mask": np.array([e.attention_mask for e in enc], np.int64),
            "token_type_ids": np.array([e.type_ids for e in enc], np.int64)}


def _vectors(session, feeds) -> np.ndarray:
    """Mean-pooled, normalised: what fastembed returns for this model."""
    out = session.run(None, feeds)[0]
    mask = feeds["attention_mask"][..., None].astype(np.float32)
    v = (out * mask).sum(1) / mask.sum(1)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def build_variants(plain: Path, tmp: Path) -> dict[str, Path | str]:
    """name -> model file, or the reason it could not be built."""
    out: dict[str, Path | str] = {"fp32 plain (served)": plain}
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        fused = optimize_model(str(plain), model_type="bert", num_heads=12, hidden_size=384)
        fused.save_model_to_file(str(tmp / "fused.onnx"))
        out["fp32 fused (transformer optimizer)"] = tmp / "fused.onnx"
    except Exception as exc:  # noqa: BLE001 - a variant that cannot be built is reported, not fatal
        out["fp32 fused (transformer optimizer)"] = f"{type(exc).__name__}: {exc}"
    try:
        from server.quantize import int8_dir

        out["int8 dynamic (REVERIE_EMBEDDING_PRECISION=int8)"] = int8_dir(plain.parent, plain.name, CACHE) / plain.name
    except Exception as exc:  # noqa: BLE001
        out["int8 dynamic (REVERIE_EMBEDDING_PRECISION=int8)"] = f"{type(exc).__name__}: {exc}"
    try:
        import onnx
        from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer

        config = DefaultWeightOnlyQuantConfig(block_size=32, is_symmetric=True, accuracy_level=4, bits=8)
        quantizer = MatMulNBitsQuantizer(onnx.load(str(plain)), algo_config=config, block_size=32, is_symmetric=True, accuracy_level=4)
        quantizer.process()
        quantizer.model.save_model_to_file(str(tmp / "nbits8.onnx"))
        out["int8 weights, int8 compute per block (MatMulNBits)"] = tmp / "nbits8.onnx"
    except Exception as exc:  # noqa: BLE001
        out["int8 weights, int8 compute per block (MatMulNBits)"] = f"{type(exc).__name__}: {exc}"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", default="1,8,16,32,64", help="texts per ONNX Runtime call")
    parser.add_argument("--texts", type=int, default=128, help="bench texts timed per size")
    parser.add_argument("--join", type=int, default=1, help="bench sentences per text (2: ~35 tokens, 3: ~50)")
    args = parser.parse_args(argv)
    import logging

    logging.disable(logging.WARNING)  # the optimizer and quantizer log every node
    from tokenizers import Tokenizer

    from server.embed import FastEmbedEmbedder
    from server.quantize import CALIBRATION

    embedder = FastEmbedEmbedder("offline", CACHE)  # exports the plain graph into the cache if needed
    model_dir = Path(embedder._model.model._model_dir)
    plain = model_dir / embedder._model.model.model_description.model_file
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_padding()
    tokenizer.enable_truncation(256)
    texts = sorted((" and ".join(sentence(20_000_000 + args.join * i + j) for j in range(args.join)) for i in range(args.texts)),
                   key=len)  # as embed() groups them
    varied = CALIBRATION + texts[:: max(len(texts) // 8, 1)]
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{len(texts)} bench texts ({np.mean([len(tokenizer.encode(t).ids) for t in texts]):.1f} tokens on average); "
          f"load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as d:
        variants = build_variants(plain, Path(d))
        sessions = {name: _session(p) for name, p in variants.items() if isinstance(p, Path)}
        for name, p in variants.items():
            if not isinstance(p, Path):
                print(f"{name}: not built ({p})")
        feeds = _feeds(tokenizer, varied)
        reference = _vectors(sessions["fp32 plain (served)"], feeds)
        batches = {bs: [_feeds(tokenizer, texts[i : i + bs]) for i in range(0, len(texts), bs)] for bs in sizes}
        cpu: dict[tuple[str, int], float] = {}
        for _ in range(args.rounds):  # variants alternate within a round, so load hits them alike
            for bs in sizes:
                for name, session in sessions.items():
                    c = time.thread_time()
                    for f in batches[bs]:
                        session.run(None, f)
                    ms = (time.thread_time() - c) * 1000 / len(texts)
                    cpu[name, bs] = min(cpu.get((name, bs), ms), ms)
        for name, session in sessions.items():
            together = _vectors(session, feeds)
            alone = np.concatenate([_vectors(session, _feeds(tokenizer, [t])) for t in varied])
            cos = (together * reference).sum(1)
            per_size = ", ".join(f"{bs}: {cpu[name, bs]:.2f}" for bs in sizes)
            print(f"{name}\n    ms CPU per text by texts per call: {per_size}\n    cosine to fp32 plain: min {cos.min():.5f} "
                  f"mean {cos.mean():.5f}; alone vs batched: max |diff| {np.abs(alone - together).max():.1e}")
    print(f"load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
