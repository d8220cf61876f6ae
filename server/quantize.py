"""int8 embedding model: the fp32 ONNX file quantized once into the cache, with its sensitive MatMuls kept fp32.

Why: embedding is most of a write's CPU (all-MiniLM-L6-v2 fp32: ~7.6 ms per text), and dynamic int8
quantization of the weight MatMuls roughly halves it. Quantizing every MatMul moves some vectors too far
(min cosine ~0.98 against fp32), because dynamic quantization scales each activation tensor by its
extreme value: a MatMul whose input has a few huge outliers loses the resolution of everything else.
So the MatMuls whose inputs have the largest peak-to-RMS ratio on a few varied calibration texts stay
fp32 (a rule measured on the model at hand, not a list of node names, so it serves any export of any
BERT-like model). `bench/int8.py` measured the operating point `KEEP_FP32`.

The quantized file lives in the cache next to a manifest with its sha256: a partial or corrupt file
(a crash mid-write, a disk error) fails the check and is rebuilt instead of being loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np

KEEP_FP32 = 0.417  # share of the weight MatMuls kept fp32, most outlier-prone inputs first: the least that keeps min cosine >= 0.99 (bench/int8.py)
RULE_VERSION = "1"  # bump when the selection rule changes: old cached files are then rebuilt
MANIFEST = "reverie-int8.json"

# Calibration: varied on purpose (short, long, chat, code, numbers, non-English) so outliers show up.
CALIBRATION = [
    "hi",
    "My rent went up to 1,450 euros a month in March.",
    "I prefer tea over coffee, especially green tea in the morning.",
    "Caroline: I went to an LGBTQ support group yesterday and it was so powerful!",
    "def merge(a, b):\n    return {**a, **b}  # later keys win",
    "SELECT id, content FROM memories WHERE namespace = ? ORDER BY recorded_at DESC LIMIT 10;",
    "Ich wohne seit 2019 in Berlin und arbeite als Krankenpfleger.",
    "Je préfère les réunions le matin, jamais après 16h.",
    "東京で寿司を食べるのが好きです。",
    "Call me at +1 (415) 555-0134 or on 2024-06-30 at 09:45 UTC; order #A-77812 totals $1,299.99.",
    "Remember that the staging server uses port 8443 and the VPN config lives in ~/work/vpn/client.ovpn",
    "We decided to migrate the billing service from Python 3.8 to 3.11 after the Q3 incident, because the "
    "old runtime kept leaking file descriptors under load and the on-call rotation had been paged eleven "
    "times in two weeks; the plan is to ship behind a feature flag, watch error rates for a week, then "
    "delete the legacy worker pool and its cron jobs.",
]


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _source_key(path: Path, keep_fp32: float) -> str:
    """Identifies the fp32 file cheaply (size, head and tail: hashing 90 MB at every start is not needed) and the rule."""
    h = hashlib.sha256(f"{RULE_VERSION}:{keep_fp32}:{path.stat().st_size}".encode())
    with open(path, "rb") as fh:
        h.update(fh.read(1 << 20))
        fh.seek(max(path.stat().st_size - (1 << 20), 0))
        h.update(fh.read(1 << 20))
    return h.hexdigest()[:16]


def int8_dir(model_dir: Path, model_file: str, cache_dir: Path, keep_fp32: float | None = None) -> Path:
    """A directory laid out like `model_dir` whose `model_file` is the int8 version (built once, then reused)."""
    keep_fp32 = KEEP_FP32 if keep_fp32 is None else keep_fp32
    source = model_dir / model_file
    key = _source_key(source, keep_fp32)
    target = cache_dir / f"int8-{model_dir.resolve().name}-{key}"
    if _valid(target, model_file):
        return target
    shutil.rmtree(target, ignore_errors=True)  # partial or corrupt: rebuild
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for path in model_dir.rglob("*"):  # tokenizer and config files, laid out as in the source
        rel = path.relative_to(model_dir)
        if path.is_file() and rel.as_posix() != model_file and path.suffix != ".onnx" and path.stat().st_size < (64 << 20):
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, tmp / rel)
    out = tmp / model_file
    out.parent.mkdir(parents=True, exist_ok=True)
    quantize(source, out, model_dir / "tokenizer.json", keep_fp32)
    (tmp / MANIFEST).write_text(json.dumps({"model_file": model_file, "sha256": file_digest(out), "keep_fp32": keep_fp32}))
    try:
        tmp.rename(target)
    except OSError:  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _valid(target: Path, model_file: str) -> bool:
    try:
        manifest = json.loads((target / MANIFEST).read_text())
        return manifest["model_file"] == model_file and file_digest(target / model_file) == manifest["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return False


def weight_matmuls(model) -> list:
    """MatMul nodes with a constant weight (the dense layers); activation-by-activation ones (attention) are left out."""
    consts = {i.name for i in model.graph.initializer}
    return [n for n in model.graph.node if n.op_type == "MatMul" and len(n.input) == 2 and n.input[1] in consts]


def outlier_ratios(source: Path, tokenizer_file: Path, texts: list[str] = CALIBRATION) -> dict[str, float]:
    """Each weight MatMul's input peak-to-RMS ratio over the calibration texts (node name -> worst ratio)."""
    import onnx
    import onnxruntime as ort
    from tokenizers import Tokenizer

    model = onnx.load(str(source))
    nodes = weight_matmuls(model)
    names = {n.input[0] for n in nodes}
    existing = {o.name for o in model.graph.output}
    for name in sorted(names - existing):
        model.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(256)
    wanted = [o.name for o in session.get_outputs()]
    worst = dict.fromkeys(names, 0.0)
    for text in texts:
        enc = tokenizer.encode(text)
        feeds = {}
        for inp in session.get_inputs():
            values = {"input_ids": enc.ids, "attention_mask": enc.attention_mask, "token_type_ids": enc.type_ids}.get(inp.name)
            if values is None:
                raise ValueError(f"unexpected model input {inp.name!r}")
            feeds[inp.name] = np.asarray([values], np.int64)
        for name, value in zip(wanted, session.run(wanted, feeds)):
            if name in worst:
                x = np.asarray(value, np.float64)
                worst[name] = max(worst[name], float(np.abs(x).max() / max(np.sqrt((x * x).mean()), 1e-12)))
    return {n.name: worst[n.input[0]] for n in nodes}


def quantize(source: Path, out: Path, tokenizer_file: Path, keep_fp32: float = KEEP_FP32) -> list[str]:
    """Write the int8 model; returns the names of the MatMuls kept fp32."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    ratios = outlier_ratios(source, tokenizer_file)
    ranked = sorted(ratios, key=lambda name: -ratios[name])
    kept = ranked[: round(keep_fp32 * len(ranked))]
    model = onnx.load(str(source), load_external_data=False)
    attention = [n.name for n in model.graph.node if n.op_type == "MatMul" and n.name not in ratios]
    quantize_dynamic(
        str(source), str(out), per_channel=True, weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul"], nodes_to_exclude=kept + attention,
    )
    return kept
