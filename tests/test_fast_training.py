"""The fast training path: cached frozen-layer features, adapted blocks only (issue 13)."""

import json
import re

import mlx.core as mx
import mlx.nn as nn
import numpy as np
import pytest
from mlx.utils import tree_flatten

from pii.engine.blocks import run_blocks
from pii.errors import ConfigError
from pii.golden.schema import read_records
from pii.training import fast, features
from pii.training import loop as train
from pii.training.batches import answer_loss, examples
from tests.golden_fixtures import write_split


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("fast-data")
    return write_split(d / "train.jsonl", "train", 40), write_split(
        d / "valid.jsonl", "valid", 16, start=500
    )


@pytest.fixture
def lora_engine(tiny_model):
    """The tiny llama with LoRA on its last block, LoRA weights non-zero."""
    from mlx_lm.tuner.utils import linear_to_lora_layers

    from pii.engine.mlx_engine import load_engine

    engine = load_engine(str(tiny_model), precision="float32")
    engine.model.freeze()
    linear_to_lora_layers(engine.model, 1, {"rank": 4, "scale": 10.0, "dropout": 0.0})
    from mlx_lm.tuner.lora import LoRALinear

    mx.random.seed(3)
    for _, module in engine.model.named_modules():
        if isinstance(module, LoRALinear):
            module.lora_b = mx.random.normal(module.lora_b.shape) * 0.05
    return engine


def cfg(model, **kw):
    base = dict(model=str(model), max_tokens=32, instruction="short", precision="float32")
    return train.TrainConfig(**(base | kw))


def test_written_out_blocks_equal_mlx_lm_layers_with_and_without_a_prefix(lora_engine):
    inner = lora_engine.model.model
    ids = mx.array(np.random.default_rng(0).integers(5, 300, (3, 21)))
    h = inner.embed_tokens(ids)
    ref = h
    for layer in inner.layers:
        ref = layer(ref, "causal", None)
    ours, _ = run_blocks(inner.layers, h)
    np.testing.assert_allclose(np.array(ours), np.array(ref), atol=1e-5)
    # the first 7 positions as a shared prefix (batch 1), the rest continuing it
    head = inner.embed_tokens(ids[:1, :7])
    _, past = run_blocks(inner.layers, head)
    same = mx.broadcast_to(ids[:1], ids.shape)
    full = inner.embed_tokens(same)
    for layer in inner.layers:
        full = layer(full, "causal", None)
    tail, _ = run_blocks(inner.layers, inner.embed_tokens(same[:, 7:]), past)
    np.testing.assert_allclose(np.array(tail), np.array(full[:, 7:]), atol=1e-5)


def test_fast_loss_and_gradients_equal_the_plain_path_on_the_same_batch(
    lora_engine, data, tmp_path
):
    engine = lora_engine
    recs = read_records(data[0])[:6]
    ex, _ = examples(engine, recs, cfg("m"), every_window=True)
    cut = len(engine.model.model.layers) - 1
    feats = features.load_or_build(
        engine.model, ex, cut, model_hash="h", precision="float32", root=tmp_path, log=print
    )
    assert feats.prefix.shape[0] > 10  # the system turn is shared and stored once
    width = max(len(t) for t, _ in ex)
    batch = mx.array([t + [0] * (width - len(t)) for t, _ in ex])
    lengths = mx.array([[off, len(t)] for t, off in ex])
    model = engine.model
    model.train()
    plain_value, plain_grads = nn.value_and_grad(model, lambda m, b, n: answer_loss(m, b, n)[0])(
        model, batch, lengths
    )
    h, last, targets = feats.batch(range(len(ex)))
    fast_value, fast_grads = nn.value_and_grad(model, fast.loss)(
        model, cut, mx.array(feats.prefix), h, last, targets
    )
    assert float(fast_value) == pytest.approx(float(plain_value), abs=1e-4)
    a, b = dict(tree_flatten(plain_grads)), dict(tree_flatten(fast_grads))
    assert a.keys() == b.keys() and len(a) == 14  # 7 LoRA layers x (A, B)
    for k in a:
        np.testing.assert_allclose(np.array(b[k]), np.array(a[k]), atol=1e-4, rtol=1e-3)


def test_fast_validation_scores_equal_the_classifier(lora_engine, data, tmp_path):
    from pii.classifiers.fewshot import FewShotClassifier, FewShotConfig

    engine = lora_engine
    long = "Order 88231 shipped on Tuesday. " * 8 + "Call Maria Lopez at 0176 500."
    recs = read_records(data[1]) + [{"text": long, "has_pii": True}]
    ex, _ = examples(engine, recs, cfg("m"), every_window=True)
    cut = len(engine.model.model.layers) - 1
    feats = features.load_or_build(
        engine.model, ex, cut, model_hash="h", precision="float32", root=tmp_path, log=print
    )
    scorer = FewShotClassifier(
        engine, FewShotConfig(model="m", k=0, instruction="short", max_text_tokens=32)
    )
    engine.model.eval()
    scorer.logits([r["text"] for r in recs])
    want = scorer.window_logits  # every window of every text, in text order
    assert len(want) == len(ex) > len(recs)  # some validation texts take several windows
    got = fast.label_log_odds(
        engine.model, feats, cut, list(range(len(ex))), scorer._rows, len(scorer._yes)
    )
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_features_are_reused_only_for_the_same_inputs(tiny_engine, data, tmp_path):
    recs = read_records(data[0])[:8]
    ex, _ = examples(tiny_engine, recs, cfg("m"))
    logs = []
    kw = {"precision": "float32", "root": tmp_path, "log": logs.append}
    a = features.load_or_build(tiny_engine.model, ex, 1, model_hash="h", **kw)
    b = features.load_or_build(tiny_engine.model, ex, 1, model_hash="h", **kw)
    assert "read from the cache" in logs[-1] and a.key == b.key
    np.testing.assert_array_equal(np.asarray(a.hidden), np.asarray(b.hidden))
    # another model hash, another cut, other texts: other keys, never the cached set
    keys = {a.key}
    for other in (
        {"model_hash": "other", "cut": 1, "ex": ex},
        {"model_hash": "h", "cut": 2, "ex": ex},
        {"model_hash": "h", "cut": 1, "ex": ex[:7]},
    ):
        got = features.load_or_build(
            tiny_engine.model, other["ex"], other["cut"], model_hash=other["model_hash"], **kw
        )
        assert got.key not in keys and "read from the cache" not in logs[-1]
        keys.add(got.key)
    # a folder whose record does not match (edited, or another format) is rebuilt
    folder = tmp_path / a.key[:24]
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps(meta | {"key": "stale"}))
    features.load_or_build(tiny_engine.model, ex, 1, model_hash="h", **kw)
    assert any("does not match" in line for line in logs)
    assert json.loads((folder / "meta.json").read_text())["key"] == a.key


def test_batches_cover_each_epoch_once_in_a_seeded_order():
    lengths = np.array([5, 3, 9, 1, 7, 2, 8, 4, 6, 10, 11])
    e0 = fast.batch_order(lengths, 4, seed=1, epoch=0)
    assert sorted(np.concatenate(e0).tolist()) == list(range(11))
    assert [len(b) for b in sorted(e0, key=len)] == [4, 7]  # the short tail joins a batch
    again = fast.batch_order(lengths, 4, seed=1, epoch=0)
    assert all((x == y).all() for x, y in zip(e0, again, strict=True))
    assert fast.total_steps(40, 4, 2.5) == 25


def test_epochs_set_the_steps_and_both_paths_train(tiny_model, data, tmp_path, monkeypatch):
    base = dict(
        rank=4,
        num_layers=1,
        learning_rate=5e-3,
        warmup=0,
        batch_size=4,
        steps_per_eval=5,
        val_limit=None,
        val_batches=2,
        patience=10,
    )
    from functools import partial

    from pii.training import fast

    lines = []
    monkeypatch.setattr(fast, "train", partial(fast.train, log_every_s=0.0))  # a line a step
    info = train.run(
        cfg(tiny_model, epochs=1.0, **base), tmp_path / "fast", *data, log=lines.append
    )
    assert info["training_path"] == "fast" and info["steps"] == 10 and info["epochs_seen"] == 1.0
    progress = [line for line in lines if re.match(r"step \d+/", line)]
    assert len(progress) == 10 and progress[-1].startswith("step 10/10: loss ")
    assert "s a step, ETA" in progress[0]
    plain = train.run(
        cfg(tiny_model, iters=10, fast=False, **base), tmp_path / "plain", *data, log=print
    )
    assert plain["training_path"] == "plain"
    for run in (info, plain):
        losses = [h["train_loss"] for h in run["history"]]
        assert losses[-1] < losses[0]


def test_more_blocks_than_the_model_has_is_refused_before_training(tiny_model, data, tmp_path):
    with pytest.raises(ConfigError, match="has 2 blocks"):
        train.run(cfg(tiny_model, num_layers=3), tmp_path / "x", *data, log=print)
    assert not (tmp_path / "x").exists()


def test_engine_scores_equal_with_and_without_the_written_out_blocks(tiny_model, monkeypatch):
    from pii.classifiers.fewshot import FewShotClassifier, FewShotConfig
    from pii.engine.mlx_engine import load_engine

    texts = ["Call Maria Lopez on +1 415 882 9931.", "Order 88231 shipped.", "yes"]
    got = {}
    for flag in ("1", "0"):
        monkeypatch.setenv("PII_FAST_BLOCKS", flag)
        engine = load_engine(str(tiny_model), precision="float32")
        assert engine.fast == (flag == "1")
        clf = FewShotClassifier(engine, FewShotConfig(model="m", k=0, instruction="rules"))
        got[flag] = clf.logits(texts)
        got[flag + "pooled"] = engine.pooled_hidden(engine.prefix([5, 6, 7]), [[8, 9], [10]])[1]
    np.testing.assert_allclose(got["1"], got["0"], atol=1e-4)
    np.testing.assert_allclose(got["1pooled"], got["0pooled"], atol=1e-3, rtol=1e-4)
