"""int8 embedding model: the fp32 ONNX file smoothed and quantized once into the cache, a few MatMuls kept fp32.

Why: embedding is most of a write's CPU, and dynamic int8 quantization of the weight MatMuls cuts it by
~40%. Quantizing every MatMul as it is moves some vectors too far (min cosine ~0.95 against fp32 on short
texts), because dynamic quantization scales each activation tensor by its extreme value: an input with a
few huge values loses the resolution of everything else. Two measured steps fix most of it, with no list
of node names (so any export of a BERT-like model works, the hub's or ours):
- smoothing (SmoothQuant): per input channel, outliers are divided out of the activation and multiplied
  into the weight rows (exact in fp32; per-channel weight quantization absorbs the larger rows);
- the MatMuls whose inputs still have the largest peak-to-RMS ratio on varied calibration texts stay fp32
  (in MiniLM these are the early feed-forward outputs, whose outliers sit on a few tokens, not channels).
`bench/int8.py` measured the operating point (KEEP_FP32, SMOOTH_ALPHA): the least kept fp32 with the
minimum cosine to fp32 >= 0.99 over short, long, chat, code, number and non-English texts.

Caveat (why it is not the default): ONNX Runtime's dynamic quantization scales an activation tensor, i.e. a
whole batch of texts, by its own range, so a text's int8 vector depends slightly on the texts batched with
it (a batch import and one-at-a-time writes then differ in the last digits). Batch-invariant variants tried:
static scales calibrated on these texts (min cosine 0.91 against fp32) and per-token scales built from
ONNX ops around MatMulInteger (3.7x the CPU of fp32 in ONNX Runtime 1.31); batches of one (~1.5x the CPU
of batched int8).

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

KEEP_FP32 = 0.167  # share of the weight MatMuls kept fp32 (after smoothing), most outlier-prone inputs first: the least that keeps min cosine >= 0.99 (bench/int8.py)
SMOOTH_ALPHA = 0.5  # how much of an input channel's outlier moves into the weights (SmoothQuant's default)
RULE_VERSION = "2"  # bump when the selection rule changes: old cached files are then rebuilt
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
    h = hashlib.sha256(f"{RULE_VERSION}:{keep_fp32}:{SMOOTH_ALPHA}:{path.stat().st_size}".encode())
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


def activation_stats(model, tokenizer_file: Path, texts: list[str] = CALIBRATION) -> dict[str, tuple[np.ndarray, float]]:
    """For each weight MatMul's input tensor: its per-channel peak |x| and its peak-to-RMS ratio, over `texts`."""
    import onnx
    import onnxruntime as ort
    from tokenizers import Tokenizer

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    names = {n.input[0] for n in weight_matmuls(probe)}
    existing = {o.name for o in probe.graph.output}
    for name in sorted(names - existing):
        probe.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    del probe
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(256)
    wanted = [o.name for o in session.get_outputs()]
    peak: dict[str, np.ndarray] = {}
    ratio = dict.fromkeys(names, 0.0)
    for text in texts:
        enc = tokenizer.encode(text)
        feeds = {}
        for inp in session.get_inputs():
            values = {"input_ids": enc.ids, "attention_mask": enc.attention_mask, "token_type_ids": enc.type_ids}.get(inp.name)
            if values is None:
                raise ValueError(f"unexpected model input {inp.name!r}")
            feeds[inp.name] = np.asarray([values], np.int64)
        for name, value in zip(wanted, session.run(wanted, feeds)):
            if name in ratio:
                x = np.abs(np.asarray(value, np.float64)).reshape(-1, value.shape[-1])
                peak[name] = np.maximum(peak.get(name, 0.0), x.max(axis=0))
                ratio[name] = max(ratio[name], float(x.max() / max(np.sqrt((x * x).mean()), 1e-12)))
    return {name: (peak[name], ratio[name]) for name in names}


def smooth(model, stats: dict[str, tuple[np.ndarray, float]], alpha: float | None = None) -> int:
    """Move activation outliers into the weights (SmoothQuant): x @ W == (x / s) @ (s * W), per input channel.

    Why: dynamic int8 scales a whole activation tensor by its extreme value; dividing the outlier channels
    down (and multiplying the matching weight rows up, which per-channel weight quantization absorbs) leaves
    the tensor's other values their resolution. The division is one elementwise Mul before the MatMuls that
    read the tensor; the fp32 maths is unchanged. Returns how many tensors were smoothed.
    """
    import onnx
    from onnx import numpy_helper

    alpha = SMOOTH_ALPHA if alpha is None else alpha
    inits = {i.name: i for i in model.graph.initializer}
    uses: dict[str, int] = {}
    for node in model.graph.node:
        for name in node.input:
            uses[name] = uses.get(name, 0) + 1
    consumers: dict[str, list] = {}
    for node in weight_matmuls(model):
        consumers.setdefault(node.input[0], []).append(node)
    done = 0
    for tensor, nodes in consumers.items():
        if tensor not in stats or any(uses[n.input[1]] != 1 for n in nodes):
            continue  # a shared weight cannot be rescaled for one reader
        act = stats[tensor][0]
        weights = [numpy_helper.to_array(inits[n.input[1]]) for n in nodes]
        wmax = np.max([np.abs(w).max(axis=1) for w in weights], axis=0)
        scale = np.where((act > 0) & (wmax > 0), act**alpha / np.maximum(wmax, 1e-12) ** (1 - alpha), 1.0)
        scale = np.clip(scale, 1e-4, 1e4)
        for n, w in zip(nodes, weights):
            inits[n.input[1]].CopyFrom(numpy_helper.from_array((w * scale[:, None]).astype(w.dtype), n.input[1]))
        inv = f"{tensor}/reverie_smooth_inv"
        model.graph.initializer.append(numpy_helper.from_array((1.0 / scale).astype(np.float32), inv))
        out = f"{tensor}/reverie_smoothed"
        first = min(i for i, node in enumerate(model.graph.node) if any(node is n for n in nodes))
        model.graph.node.insert(first, onnx.helper.make_node("Mul", [tensor, inv], [out], name=f"{tensor}/reverie_smooth"))
        for n in nodes:
            n.input[0] = out
        done += 1
    return done


def quantize(source: Path, out: Path, tokenizer_file: Path, keep_fp32: float = KEEP_FP32) -> list[str]:
    """Write the int8 model (smoothed, then quantized); returns the names of the MatMuls kept fp32."""
    try:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        from server.errors import ConfigError

        raise ConfigError(
            "REVERIE_EMBEDDING_PRECISION=int8 needs the onnx package to quantize the model: "
            "`pip install 'reverie-memory[int8]'` (or set REVERIE_EMBEDDING_PRECISION=fp32)."
        ) from exc

    model = onnx.load(str(source))
    smooth(model, activation_stats(model, tokenizer_file))
    stats = activation_stats(model, tokenizer_file)
    nodes = weight_matmuls(model)
    ranked = sorted(nodes, key=lambda n: -stats[n.input[0]][1])
    kept = [n.name for n in ranked[: round(keep_fp32 * len(ranked))]]
    weighted = {n.name for n in nodes}
    attention = [n.name for n in model.graph.node if n.op_type == "MatMul" and n.name not in weighted]
    smoothed = out.with_name(out.name + ".smoothed.onnx")
    onnx.save(model, str(smoothed))
    del model
    try:
        quantize_dynamic(
            str(smoothed), str(out), per_channel=True, weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"], nodes_to_exclude=kept + attention,
        )
    finally:
        smoothed.unlink(missing_ok=True)
    return kept
