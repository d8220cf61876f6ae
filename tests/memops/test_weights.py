import json

import torch
from safetensors.torch import load_file

import server.memops as memops
from server.memops import checkpoint, load_ops
from server.memops.model import OpsConfig, OpsNet


def test_public_api_is_exactly_the_documented_names():
    assert set(memops.__all__) == {"KINDS", "LearnedOps", "MemoryOps", "Neighbor", "OpsDecision", "RankCandidate",
                                   "RulesOps", "load_ops"}


def test_shipped_weights_rebuild_the_model_exactly_from_json():
    meta = json.loads((checkpoint.WEIGHTS_DIR / "ops.json").read_text())
    net = OpsNet(OpsConfig(**meta["config"]))
    state = load_file(str(checkpoint.WEIGHTS_DIR / "ops.safetensors"))
    net.load_state_dict(state, strict=True)
    ops = load_ops()
    for k, v in ops.net.state_dict().items():
        assert torch.equal(v, state[k])


def test_shipped_weights_match_the_current_feature_code():
    meta = json.loads((checkpoint.WEIGHTS_DIR / "ops.json").read_text())
    assert meta["code_version"] == checkpoint.code_version(), "features changed: retrain with python -m server.memops.train"


def test_shipped_checkpoint_is_small_and_documents_its_provenance():
    size = sum(p.stat().st_size for p in checkpoint.WEIGHTS_DIR.iterdir())
    assert size < 5_000_000
    meta = json.loads((checkpoint.WEIGHTS_DIR / "ops.json").read_text())
    assert {"data_hash", "seed", "code_version", "metrics", "config", "embedding_model"} <= set(meta)


def test_numpy_serving_path_matches_the_torch_model():
    import numpy as np

    from server.memops import Neighbor
    from server.memops.encode import encode

    ops = load_ops()
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(4, 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    neigh = [Neighbor(f"memory {i}", "fact", vecs[i], float(vecs[i] @ vecs[0])) for i in range(1, 4)]
    x = encode("My rent is 900 now", vecs[0], neigh, ops.k)
    fast = ops.np.forward(x["emb"], x["stmt"], x["nvec"], x["pair"], x["mask"])
    with torch.no_grad():
        ref = ops.net(*[torch.from_numpy(np.asarray(x[k]))[None] for k in ("emb", "stmt", "nvec", "pair", "mask")])
    assert np.allclose(fast["action_logits"], ref["action_logits"][0].numpy(), atol=1e-4)
    assert np.allclose(fast["kind_logits"], ref["kind_logits"][0].numpy(), atol=1e-4)
    feats = rng.normal(size=(5, ops.net.cfg.n_rank)).astype(np.float32)
    assert np.allclose(ops.np.rank_scores(feats), ops.net.rank_scores(torch.from_numpy(feats)).detach().numpy(), atol=1e-4)


def test_promoted_weights_from_older_feature_code_fall_back_to_the_shipped_ones(tmp_path):
    import shutil

    for f in checkpoint.WEIGHTS_DIR.iterdir():
        shutil.copy(f, tmp_path / f.name)
    meta = json.loads((tmp_path / "ops.json").read_text())
    meta["code_version"] = "0000000000000000"
    (tmp_path / "ops.json").write_text(json.dumps(meta))
    assert load_ops(tmp_path).meta["code_version"] == checkpoint.code_version()


def test_the_learned_model_runs_only_beside_the_embeddings_it_was_trained_on(tmp_path, caplog):
    """Its inputs are MiniLM vectors: beside another model it would decide on noise, so the rules decide."""
    from server.app import load_ops as server_ops
    from server.config import Settings
    from server.embed import MINILM
    from server.memops import LearnedOps, RulesOps

    def ops_for(model: str):
        return server_ops(Settings(db=tmp_path / "r.db", embedding_model=model))

    assert json.loads((checkpoint.WEIGHTS_DIR / "ops.json").read_text())["embedding_model"] == MINILM
    assert isinstance(ops_for("offline"), LearnedOps)
    assert isinstance(ops_for(MINILM), LearnedOps)
    other = tmp_path / "all-mpnet-base-v2"
    other.mkdir()
    for model in (str(other), "BAAI/bge-small-en-v1.5"):  # 768 wide, and 384 wide like MiniLM
        assert isinstance(ops_for(model), RulesOps)
    assert "using the rules baseline" in caplog.text
