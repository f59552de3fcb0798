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


def _finished(out, info):
    """What a finished run leaves: its training.json beside the adapter files."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "training.json").write_text(json.dumps(info))
    for name in ("adapter_config.json", "adapters.safetensors"):
        (out / name).write_text("{}")
    return info


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
        ("fixed: {}\nprune: {after_evals: 2}\nconfigs: [{name: a}]\n", "'prune' must be"),
        (
            "fixed: {}\nprune: {after_evals: 0, margin: 0.02}\nconfigs: [{name: a}]\n",
            "after_evals must be at least 1",
        ),
        (
            "fixed: {}\nprune: {after_evals: 2, margin: -1}\nconfigs: [{name: a}]\n",
            "prune.margin must be",
        ),
        (
            "fixed: {}\nprune: {after_evals: true, margin: 0.1}\nconfigs: [{name: a}]\n",
            "prune.after_evals must be",
        ),
        # found by make fuzz: keys that are not strings (TypeError tracebacks before)
        ("fixed: {}\n1: x\nfoo: y\nconfigs: [{name: a}]\n", "unknown key.*1, foo"),
        ("fixed: {}\nconfigs: [{name: a, ~: ~}]\n", "config 'a'.*None.*not recipe key names"),
        ("fixed: {3: 4}\nconfigs: [{name: a}]\n", "config 'a'.*3.*not recipe key names"),
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
        return _finished(out, info)

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


def _history(*f1s, every=5):
    return [{"step": every * (i + 1), "val_f1": f} for i, f in enumerate(f1s)]


def test_the_prune_rule_stops_only_a_clearly_trailing_run():
    done = [_history(0.60, 0.70, 0.80), _history(0.65, 0.66)]
    stop_if = sweep.prune_rule(done, after_evals=2, margin=0.05)
    assert stop_if(_history(0.10)) is None  # too early to judge
    assert stop_if(_history(0.60, 0.66)) is None  # within the margin of 0.70 by step 10
    reason = stop_if(_history(0.50, 0.60))
    assert reason and "0.600 by step 10" in reason and "0.700" in reason
    assert stop_if(_history(0.5, 0.6, 0.78)) is None  # by step 15 the best was 0.80: in margin
    assert sweep.prune_rule([], 1, 0.0)(_history(0.0, 0.0)) is None  # nothing to compare with


def test_a_sweep_with_pruning_gives_later_runs_the_rule(tmp_path, data):
    seen = {}

    def fake_train(cfg, out, train, valid, *, resume, force, log, stop_if=None):
        from dataclasses import asdict

        f1s = {"r4-b1": (0.7, 0.8), "r8-b2": (0.5, 0.55)}[out.name]
        history = _history(*f1s)
        seen[out.name] = stop_if
        pruned = stop_if(history) if stop_if else None
        info = {
            "format_version": 1, "config": asdict(cfg), "base_model": "tiny",
            "best": {"step": 5, "val_f1": max(f1s), "val_auroc": 0.9, "val_loss": 0.5},
            "history": history, "threshold": 0.5, "pruned": pruned,
            "train_sha256": sha256_file(train), "valid_sha256": sha256_file(valid),
        }  # fmt: skip
        return _finished(out, info)

    p = plan(tmp_path, GOOD.replace("configs:", "prune: {after_evals: 2, margin: 0.1}\nconfigs:"))
    summary = sweep.run(p, tmp_path / "s", *data, log=print, trainer=fake_train)
    assert seen["r4-b1"] is None and seen["r8-b2"] is not None  # the first has no one to trail
    rows = {r["name"]: r for r in summary["rows"]}
    assert rows["r4-b1"]["pruned"] is None and "0.550 by step 10" in rows["r8-b2"]["pruned"]
    assert summary["prune"] == {"after_evals": 2, "margin": 0.1} and summary["best"] == "r4-b1"
    assert "r8-b2: best validation F1 0.550" in render.markdown(summary)


def test_a_pruned_run_stops_at_that_evaluation_and_says_why(tiny_model, data, tmp_path):
    from pii.training import loop
    from pii.training.recipe import TrainConfig

    cfg = TrainConfig(model=str(tiny_model), rank=4, num_layers=1, learning_rate=5e-3, warmup=0,
                      epochs=1.0, batch_size=4, max_tokens=32, steps_per_eval=2, val_limit=None,
                      val_batches=2, patience=10, precision="float32")  # fmt: skip
    lines = []
    info = loop.run(cfg, tmp_path / "a", *data, log=lines.append,
                    stop_if=lambda h: "trailing the leader" if len(h) >= 2 else None)  # fmt: skip
    assert info["pruned"] == "trailing the leader" and info["stopped_early"]
    assert len(info["history"]) == 2 and info["steps"] > 4  # stopped before its last step
    assert "pruned: trailing the leader" in lines
