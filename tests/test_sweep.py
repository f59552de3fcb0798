"""The LoRA recipe sweep (issue 13): checked before training, resumable, chosen on valid."""

import json

import pytest

from pii.engine import models
from pii.errors import ConfigError
from pii.hashing import sha256_file
from pii.render import sweep as render
from pii.study import sweep
from tests.golden_fixtures import write_split

GOOD = """
fixed: {epochs: 1, batch_size: 4, max_tokens: 32, val_limit: null, val_batches: 2,
        steps_per_eval: 5, precision: float32, warmup: 0}
configs:
  - {name: r4-b1, rank: 4, num_layers: 1, learning_rate: 5.0e-3}
  - {name: r8-b2, rank: 8, num_layers: 2, learning_rate: 1.0e-3}
"""


@pytest.fixture
def data(tmp_path):
    return write_split(tmp_path / "train.jsonl", "train", 24), write_split(
        tmp_path / "valid.jsonl", "valid", 16, start=500
    )


def plan(tmp_path, text, model="m", depth=lambda m: 30):
    f = tmp_path / "sweep.yaml"
    f.write_text(text.replace("fixed: {", f"fixed: {{model: '{model}', "))
    return sweep.read(f, depth=depth)


@pytest.mark.parametrize(
    "text, message",
    [
        ("configs: []\n", "non-empty list"),
        ("fixed: {}\nconfigs: [{name: a, rnk: 4}]\n", "config 'a'.*unknown key.*rnk"),
        ("fixed: {}\nconfigs: [{name: a, rank: 0}]\n", "config 'a'.*rank=0"),
        ("fixed: {}\nconfigs: [{name: a, learning_rate: -1.0e-4}]\n", "config 'a'.*learning_rate"),
        (
            "fixed: {}\nconfigs: [{name: a, num_layers: 31}]\n",
            "config 'a'.*num_layers=31.*has 30 blocks",
        ),
        ("fixed: {}\nconfigs: [{name: a}, {name: a}]\n", "used twice"),
        ("fixed: {}\nconfigs: [{name: ../x}]\n", "'name' must be"),
        ("fixed: {}\nconfig: []\n", "unknown key.*config"),
        ("fixed: {}\nconfigs: [{name: a, epochs: 0}]\n", "epochs=0"),
        ("fixed: {}\nconfigs: [{name: a, rank: true}]\n", "rank is bool"),
        ("fixed: [\n", "not valid YAML"),
        ("fixed: {}\nconfigs: [{name: a, rank: null}]\n", "rank: null is not allowed"),
    ],
)
def test_bad_sweep_files_are_refused_before_training_with_the_key_named(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        plan(tmp_path, text)


def test_explicit_nulls_override_the_recipe(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("val_limit: 120\nepochs: 3\n")
    text = f"recipe: {recipe}\nfixed: {{val_limit: null}}\nconfigs: [{{name: a, epochs: null}}, {{name: b}}]\n"
    (tmp_path / "s.yaml").write_text(text)
    (a, cfg_a), (b, cfg_b) = sweep.read(tmp_path / "s.yaml").configs
    assert cfg_a.val_limit is None and cfg_a.epochs is None
    assert cfg_b.val_limit is None and cfg_b.epochs == 3


def test_sweep_resumes_and_chooses_on_validation(tmp_path, data):
    calls = []

    def fake_train(cfg, out, train, valid, *, resume, force, log):
        calls.append((out.name, resume, force))
        if out.name == "r8-b2" and len([c for c in calls if c[0] == "r8-b2"]) == 1:
            out.mkdir(parents=True)
            (out / "adapter_config.json").write_text("{}")  # stopped before its checkpoint
            raise KeyboardInterrupt
        from dataclasses import asdict

        f1 = {"r4-b1": 0.7, "r8-b2": 0.8}[out.name]
        info = {
            "format_version": 1, "config": asdict(cfg), "base_model": "tiny",
            "best": {"step": 6, "val_f1": f1, "val_auroc": 0.9, "val_loss": 0.5, "val_n": 16,
                     "val_ci95": {"f1": [f1 - 0.1, f1 + 0.1], "auroc": [0.8, 0.95]}},
            "threshold": 0.5, "steps": 6, "epochs_seen": 1.0, "train_seconds": 12.0,
            "peak_memory_gb": 0.1, "stopped_early": False, "training_path": "fast",
            "train_sha256": sha256_file(train), "valid_sha256": sha256_file(valid),
        }  # fmt: skip
        out.mkdir(parents=True, exist_ok=True)
        (out / "training.json").write_text(json.dumps(info))
        for name in ("adapter_config.json", "adapters.safetensors"):
            (out / name).write_text("{}")
        return info

    p = plan(tmp_path, GOOD)
    with pytest.raises(KeyboardInterrupt):
        sweep.run(p, tmp_path / "s", *data, log=print, trainer=fake_train)
    partial = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert partial["finished"] == 1 and not partial["complete"] and partial["best"] == "r4-b1"
    summary = sweep.run(p, tmp_path / "s", *data, log=print, trainer=fake_train)
    # the finished one is read back, the interrupted one starts over (no checkpoint to resume)
    assert calls == [("r4-b1", False, False), ("r8-b2", False, False), ("r8-b2", False, True)]
    assert summary["complete"] and summary["best"] == "r8-b2"
    text = render.markdown(summary)
    assert "r8-b2 **(best)**" in text and "0.800 [0.700, 0.900]" in text and "n = 16" in text
    render.plot(summary, tmp_path / "sweep.png")
    assert (tmp_path / "sweep.png").stat().st_size > 1000
    # a finished folder trained with another configuration is never silently reused
    changed = plan(tmp_path, GOOD.replace("learning_rate: 5.0e-3", "learning_rate: 4.0e-3"))
    with pytest.raises(ConfigError, match="another configuration"):
        sweep.run(changed, tmp_path / "s", *data, log=print, trainer=fake_train)
    # nor one trained on other versions of the data
    other_train = tmp_path / "train2.jsonl"
    other_train.write_text(data[0].read_text() + data[0].read_text().splitlines()[0] + "\n")
    with pytest.raises(ConfigError, match="train_sha256 differ"):
        sweep.run(p, tmp_path / "s", other_train, data[1], log=print, trainer=fake_train)


def test_sweep_refuses_the_test_split(tmp_path, data):
    from pii.paths import project_path

    with pytest.raises(ConfigError):
        sweep.run(plan(tmp_path, GOOD), tmp_path / "s", project_path("golden/test.jsonl"),
                  data[1], log=print, trainer=lambda *a, **k: {})  # fmt: skip


def test_a_real_sweep_on_the_tiny_model(tiny_model, tmp_path, data):
    p = plan(tmp_path, GOOD, model=str(tiny_model), depth=models.depth)
    summary = sweep.run(p, tmp_path / "s", *data, log=lambda s: None)
    assert summary["complete"] and [r["name"] for r in summary["rows"]] == ["r4-b1", "r8-b2"]
    for r in summary["rows"]:
        assert r["steps"] == 6 and r["training_path"] == "fast" and r["val_f1"] is not None
        assert (tmp_path / "s" / r["name"] / "adapters.safetensors").exists()
