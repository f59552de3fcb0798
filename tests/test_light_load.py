"""pii.engine.light loads what mlx-lm's loader loads, without transformers: the same token
ids, offsets and chat prompts, the same scores (with and without an adapter, quantized or
not), a dequantized-weights cache that a changed model misses, and mlx-lm's loader for the rest."""

import json
import os
import shutil
import subprocess
import sys

import mlx.core as mx
import numpy as np
import pytest

from pii.engine import light
from pii.engine.mlx_engine import load_engine

TEXTS = ["My name is Maria Lopez.", "Version 4.2.1 is out", "ünïcödé  spaces\tand\nlines", "x"]
MESSAGES = [{"role": "system", "content": "Answer yes or no."}, {"role": "user", "content": "hi"}]


def _both(monkeypatch, model, **kw):
    monkeypatch.setenv("PII_LIGHT_LOAD", "0")
    plain = load_engine(str(model), precision="float32", **kw)
    monkeypatch.delenv("PII_LIGHT_LOAD")
    return load_engine(str(model), precision="float32", **kw), plain


def _scores(engine):
    rows = engine.label_rows([5, 7])
    suffixes = [engine.encode(t) or [1] for t in TEXTS]
    return engine.label_scores(None, suffixes, rows)


def test_light_and_mlx_lm_loaders_agree(tiny_model, monkeypatch):
    ours, theirs = _both(monkeypatch, tiny_model)
    assert isinstance(ours.tokenizer, light.Tokenizer)
    assert not isinstance(theirs.tokenizer, light.Tokenizer)
    for text in TEXTS:
        assert ours.encode(text) == theirs.encode(text)
        assert ours.token_offsets(text) == theirs.token_offsets(text)
    for gen in (False, True):
        assert ours.render(MESSAGES, gen) == theirs.render(MESSAGES, gen)
    assert ours.tokenizer.pad_token_id == theirs.tokenizer.pad_token_id
    assert ours.tokenizer.eos_token_id == theirs.tokenizer.eos_token_id
    ids = ours.encode("Maria <|im_end|> Lopez")
    assert ours.tokenizer.decode(ids) == theirs.tokenizer.decode(ids)
    np.testing.assert_allclose(_scores(ours), _scores(theirs), atol=1e-5)


def test_an_adapter_gives_the_same_scores_on_both_paths(tiny_adapter, monkeypatch):
    adapter, model = tiny_adapter
    ours, theirs = _both(monkeypatch, model, adapter=adapter)
    assert any(type(m).__name__ == "LoRALinear" and m.__module__ == "pii.engine.light"
               for _, m in ours.model.named_modules())  # fmt: skip
    np.testing.assert_allclose(_scores(ours), _scores(theirs), atol=1e-5)
    fused = light.LoRALinear(ours.model.layers[-1].self_attn.q_proj.linear, 2, 3.0)
    fused.lora_a, fused.lora_b = mx.ones_like(fused.lora_a), mx.ones_like(fused.lora_b)
    x = mx.random.normal((3, fused.lora_a.shape[0]))
    np.testing.assert_allclose(fused.fuse()(x), fused(x), atol=1e-4)


@pytest.fixture
def quantized_model(tiny_model, tmp_path):
    """The tiny llama quantized (4 bits, groups of 32) and saved the way mlx-lm saves it."""
    import mlx.nn as nn
    from mlx.utils import tree_flatten

    out = tmp_path / "q4"
    shutil.copytree(tiny_model, out)
    net = light.load_model(out)
    nn.quantize(net, group_size=32, bits=4)
    (out / "model.safetensors").unlink()
    mx.save_safetensors(str(out / "model.safetensors"), dict(tree_flatten(net.parameters())))
    config = json.loads((out / "config.json").read_text())
    config["quantization"] = {"group_size": 32, "bits": 4}
    (out / "config.json").write_text(json.dumps(config))
    return out


def test_an_adapter_attaches_to_a_quantized_base_as_mlx_lm_attaches_it(
    tiny_adapter, quantized_model
):
    """The Mac path (weights kept 4-bit): the light loader once wrapped plain linears only, so
    an adapter on a quantized base failed to load (found by scripts/rehearse_3b.py)."""
    from mlx_lm.tuner.utils import load_adapters
    from mlx_lm.utils import load_model

    adapter = tiny_adapter[0]
    x = mx.array([[5, 17, 42, 7, 99]])
    base = light.load_model(quantized_model)(x)
    ours = light.attach_lora(light.load_model(quantized_model), adapter)
    theirs = load_adapters(load_model(quantized_model)[0], str(adapter))
    np.testing.assert_allclose(ours(x), theirs(x), atol=1e-4)
    assert float(mx.abs(ours(x) - base).max()) > 1e-3  # the adapter is really there
    layer = ours.layers[-1].self_attn.q_proj
    assert type(layer.linear).__name__ == "QuantizedLinear"
    h = mx.random.normal((3, layer.lora_a.shape[0]))
    np.testing.assert_allclose(layer.fuse()(h), layer(h), atol=1e-4)  # fused into float


def test_a_quantized_model_counts_the_parameters_of_its_float_self(tiny_adapter, quantized_model):
    """The compute floor's parameter count: packed 4-bit words, scales and biases once made a
    3B model count as 0.44B (scripts/rehearse_3b.py); LoRA's parameters never count."""
    from pii.engine.mlx_engine import non_embedding_params

    plain, packed = (
        light.load_model(quantized_model, dequantized=True),
        light.load_model(quantized_model),
    )
    assert non_embedding_params(packed) == non_embedding_params(plain) > 0
    with_lora = light.attach_lora(light.load_model(quantized_model), tiny_adapter[0])
    assert non_embedding_params(with_lora) == non_embedding_params(plain)


def test_a_quantized_model_is_dequantized_once_and_kept(quantized_model, monkeypatch, tmp_path):
    monkeypatch.setenv("PII_CACHE", str(tmp_path / "own-cache"))  # others' entries not counted
    ours, theirs = _both(monkeypatch, quantized_model)
    np.testing.assert_allclose(_scores(ours), _scores(theirs), atol=1e-5)
    kept = list((light.cache_root().parent / "dequantized").glob("*.safetensors"))
    assert len(kept) == 1
    again = load_engine(str(quantized_model), precision="float32")  # read from the cache
    np.testing.assert_allclose(_scores(again), _scores(theirs), atol=1e-5)
    kept[0].write_bytes(b"garbage")  # a damaged cache file is rebuilt, not trusted
    np.testing.assert_allclose(_scores(load_engine(str(quantized_model), precision="float32")),
                               _scores(theirs), atol=1e-5)  # fmt: skip
    assert kept[0].stat().st_size > 1000
    os.utime(quantized_model / "model.safetensors", ns=(1, 1))  # a changed model misses
    load_engine(str(quantized_model), precision="float32")
    assert len(list(kept[0].parent.glob("*.safetensors"))) == 2


@pytest.mark.parametrize("change", [{"model_type": "qwen2"}, {"model_file": "x.py"},
                                    {"quantization": {"group_size": 32, "bits": 4, "mode": "mxfp4"}},
                                    {"quantization_config": {"quant_method": "fp8"}}])  # fmt: skip
def test_other_models_go_through_mlx_lm(tiny_model, tmp_path, change):
    out = tmp_path / "m"
    shutil.copytree(tiny_model, out)
    config = json.loads((out / "config.json").read_text()) | change
    (out / "config.json").write_text(json.dumps(config))
    assert light.can_load(tiny_model) and not light.can_load(out)


def test_dora_or_custom_keys_go_through_mlx_lm(tiny_adapter, tmp_path):
    adapter = tiny_adapter[0]
    assert light.can_attach(adapter)
    for change in ({"fine_tune_type": "dora"}, {"lora_parameters": {"rank": 2, "keys": ["x"]}}):
        out = tmp_path / str(len(list(tmp_path.iterdir())))
        shutil.copytree(adapter, out)
        config = json.loads((out / "adapter_config.json").read_text()) | change
        (out / "adapter_config.json").write_text(json.dumps(config))
        assert not light.can_attach(out)


def test_scoring_with_an_adapter_imports_neither_transformers_nor_torch(tiny_adapter):
    adapter, model = tiny_adapter
    code = (f"import sys; from pii.classifiers.adapter import load_adapter_classifier as load; "
            f"load({str(adapter)!r}, {str(model)!r}).predict_proba(['hi there']); "
            f"print(sorted({{'transformers', 'torch'}} & set(sys.modules)))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env=os.environ)  # fmt: skip
    assert done.returncode == 0, done.stderr[-800:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
