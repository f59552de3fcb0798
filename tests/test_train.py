import json

import mlx.core as mx
import numpy as np
import pytest

from pii.errors import ConfigError, ModelError
from pii.training import loop as train
from tests.golden_fixtures import write_split


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("data")
    return write_split(d / "train.jsonl", "train", 48), write_split(
        d / "valid.jsonl", "valid", 16, start=500
    )


def config(model, **kw):
    base = dict(
        model=str(model),
        rank=4,
        scale=10.0,
        num_layers=2,
        learning_rate=5e-3,
        warmup=0,
        iters=8,
        batch_size=4,
        max_tokens=32,
        steps_per_eval=4,
        val_limit=None,
        val_batches=2,
        patience=10,
        instruction="short",
        precision="float32",
    )
    return train.TrainConfig(**(base | kw))


def run(cfg, out, data, **kw):
    return train.run(cfg, out, data[0], data[1], log=lambda s: None, **kw)


def test_loss_falls_and_artifacts_are_written(tiny_model, data, tmp_path):
    info = run(config(tiny_model, iters=12), tmp_path / "a", data)
    losses = [h["train_loss"] for h in info["history"]]
    assert losses[-1] < losses[0]
    for name in ("adapter_config.json", "adapters.safetensors", "training.json"):
        assert (tmp_path / "a" / name).exists()
    assert not (tmp_path / "a" / "checkpoint").exists()
    saved = json.loads((tmp_path / "a" / "training.json").read_text())
    assert saved["threshold"] == saved["best"]["threshold"] and saved["n_train_examples"] == 48


def test_same_seed_same_adapter(tiny_model, data, tmp_path):
    run(config(tiny_model), tmp_path / "a", data)
    run(config(tiny_model), tmp_path / "b", data)
    a = mx.load(str(tmp_path / "a" / "adapters.safetensors"))
    b = mx.load(str(tmp_path / "b" / "adapters.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(np.array(a[k]), np.array(b[k]), atol=1e-6)


def test_resume_equals_uninterrupted(tiny_model, data, tmp_path, monkeypatch):
    full = run(config(tiny_model), tmp_path / "full", data)
    from pii.training import checkpoint

    real_save = checkpoint.save

    def save_then_crash(*args, **kwargs):
        real_save(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, "save", save_then_crash)
    with pytest.raises(KeyboardInterrupt):
        run(config(tiny_model), tmp_path / "cut", data)
    monkeypatch.setattr(checkpoint, "save", real_save)
    work = checkpoint.workdir(tmp_path / "cut")
    assert json.loads((work / "checkpoint/state.json").read_text())["state"]["step"] == 4
    assert not (tmp_path / "cut").exists()  # the adapter folder appears when the run finishes
    changed = tmp_path / "train-changed.jsonl"
    changed.write_text(data[0].read_text() + data[0].read_text().splitlines()[0] + "\n")
    with pytest.raises(ConfigError, match="train_sha256 differ"):
        run(config(tiny_model), tmp_path / "cut", (changed, data[1]), resume=True)
    resumed = run(config(tiny_model), tmp_path / "cut", data, resume=True)
    for a, b in zip(full["history"], resumed["history"], strict=True):
        assert a["step"] == b["step"]
        assert a["val_loss"] == pytest.approx(b["val_loss"], abs=1e-5)
        assert a["train_loss"] == pytest.approx(b["train_loss"], abs=1e-5)


def test_resume_needs_the_same_config(tiny_model, data, tmp_path):
    with pytest.raises(ConfigError, match="nothing to resume"):
        run(config(tiny_model), tmp_path / "none", data, resume=True)
    run(config(tiny_model, iters=4), tmp_path / "x", data)
    with pytest.raises(ConfigError, match="already holds an adapter"):
        run(config(tiny_model, iters=4), tmp_path / "x", data)


def test_adapter_round_trips_through_load(tiny_model, data, tmp_path):
    from pii.classifiers.adapter import load_adapter_classifier

    info = run(config(tiny_model), tmp_path / "a", data)
    clf = load_adapter_classifier(tmp_path / "a", model=str(tiny_model))
    assert clf.threshold == info["threshold"]
    texts = [json.loads(line)["text"] for line in data[1].read_text().splitlines()]
    y = np.array([json.loads(line)["has_pii"] for line in data[1].read_text().splitlines()])
    from pii.metrics import scores as metrics

    p = clf.predict_proba(texts)[:, 1]
    assert metrics.summary(y, p >= clf.threshold)["f1"] == pytest.approx(
        info["best"]["val_f1"], abs=1e-3
    )


def test_mismatch_errors(tiny_model, data, tmp_path, tmp_path_factory):
    from pii.engine.mlx_engine import load_engine
    from tests.tiny import make_llama

    run(config(tiny_model), tmp_path / "a", data)
    other = make_llama(tmp_path_factory.mktemp("other") / "m", seed=1)
    with pytest.raises(ModelError, match="trained on base model"):
        load_engine(str(other), adapter=tmp_path / "a", precision="float32")
    with pytest.raises(ModelError, match="adapter directory not found"):
        load_engine(str(tiny_model), adapter=tmp_path / "nope", precision="float32")
    broken = tmp_path / "a" / "adapters.safetensors"
    broken.write_bytes(broken.read_bytes()[:100])
    with pytest.raises(ModelError, match="adapters.safetensors changed since training"):
        load_engine(str(tiny_model), adapter=tmp_path / "a", precision="float32")
    (tmp_path / "a" / "manifest.json").unlink()  # an adapter from before manifests
    with pytest.raises(ModelError, match="corrupted"):
        load_engine(str(tiny_model), adapter=tmp_path / "a", precision="float32")
    (tmp_path / "a" / "adapters.safetensors").unlink()
    with pytest.raises(ModelError, match="missing adapters.safetensors"):
        load_engine(str(tiny_model), adapter=tmp_path / "a", precision="float32")


def test_incompatible_adapter_config_is_an_error(tiny_model, data, tmp_path):
    from pii.engine.mlx_engine import load_engine

    run(config(tiny_model), tmp_path / "a", data)
    cfg_path = tmp_path / "a" / "adapter_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["lora_parameters"]["rank"] = 16
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(ModelError, match="adapter_config.json changed since training"):
        load_engine(str(tiny_model), adapter=tmp_path / "a", precision="float32")
    (tmp_path / "a" / "manifest.json").unlink()  # an adapter from before manifests
    with pytest.raises(ModelError, match="does not fit this model"):
        load_engine(str(tiny_model), adapter=tmp_path / "a", precision="float32")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("rank: 0\n", "rank=0"),
        ("bogus: 1\n", r"unknown key\(s\) bogus"),
        ("rank: [\n", "not valid YAML"),
    ],
)
def test_bad_config_files(tmp_path, content, message):
    path = tmp_path / "c.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        train.TrainConfig.from_file(path)


def test_cli_overrides_win_over_the_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("rank = 4\niters = 10\n")
    cfg = train.TrainConfig.from_file(path, {"iters": 20, "seed": None})
    assert (cfg.rank, cfg.iters, cfg.seed) == (4, 20, 13)


def test_force_checks_first_and_removes_only_what_a_run_wrote(tiny_model, data, tmp_path):
    """Regression: --force deleted --out (and unrelated files in it) before any check."""
    from typer.testing import CliRunner

    from pii.cli import app

    runner = CliRunner()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("not pii's")
    result = runner.invoke(
        app, ["train", "--out", str(mine), "--force", "--train", "missing.jsonl"]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (mine / "notes.txt").exists()  # nothing removed
    assert "--force removes only an adapter pii wrote" in result.output
    adapter = tmp_path / "adapter"
    run(config(tiny_model, iters=4), adapter, data)
    before = (adapter / "adapters.safetensors").read_bytes()
    for args in (
        ["--force", "--resume"],  # contradictory: refused, adapter intact
        ["--force", "--train", str(tmp_path / "missing.jsonl")],  # bad input: checked first
    ):
        result = runner.invoke(app, ["train", "--out", str(adapter), *args])
        assert result.exit_code == 1, result.output
        assert (adapter / "adapters.safetensors").read_bytes() == before
    afile = tmp_path / "a-file"
    afile.write_text("x")
    result = runner.invoke(app, ["train", "--out", str(afile)])
    assert result.exit_code == 1 and "is a file" in result.output
    assert "Traceback" not in result.output
    info = run(config(tiny_model, iters=4, seed=3), adapter, data, force=True)
    assert info["config"]["seed"] == 3 and not (adapter / "checkpoint").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('learning_rate: "abc"\n', "learning_rate is str"),
        ('dropout: "x"\n', "dropout is str"),
        ("model: 123\n", "model is int"),
        ("val_limit: -3\n", "val_limit=-3"),
        ('select_beta: "x"\n', "select_beta is str"),
        ("rank: true\n", "rank is bool"),
        ("precision: fp8\n", "precision 'fp8'"),
    ],
)
def test_wrong_types_are_one_line_errors_before_training(tmp_path, content, message):
    """Regression: these raised tracebacks (select_beta only after a training step)."""
    from typer.testing import CliRunner

    from pii.cli import app

    path = tmp_path / "c.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        train.TrainConfig.from_file(path)
    result = CliRunner().invoke(app, ["train", "--config", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_leftovers_of_a_killed_run_are_named_and_a_killed_save_recovers(tiny_model, data, tmp_path):
    """Regression: after a kill, a plain rerun said "use --resume", --resume said "nothing
    to resume", and a save killed between its renames lost the checkpoint."""
    import shutil

    out = tmp_path / "killed"
    (out / "checkpoint").mkdir(parents=True)  # killed before the first save
    with pytest.raises(ConfigError, match="stopped before its first checkpoint; use --force"):
        run(config(tiny_model, iters=4), out, data)
    with pytest.raises(ConfigError, match="stopped before it saved a checkpoint"):
        run(config(tiny_model, iters=4), out, data, resume=True)
    assert run(config(tiny_model, iters=4), out, data, force=True)["best"]

    from pii.training import checkpoint

    real_save = checkpoint.save

    def save_then_crash(*args, **kwargs):
        real_save(*args, **kwargs)
        raise KeyboardInterrupt

    cut = tmp_path / "cut"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(checkpoint, "save", save_then_crash)
        with pytest.raises(KeyboardInterrupt):
            run(config(tiny_model), cut, data)
    # the next save was killed between its renames: checkpoint/ moved aside, .tmp written
    work = checkpoint.workdir(cut)
    (work / "checkpoint").rename(work / "checkpoint.old")
    shutil.copytree(work / "checkpoint.old", work / "checkpoint.tmp")
    resumed = run(config(tiny_model), cut, data, resume=True)
    assert resumed["history"][0]["step"] == 4
    assert not work.exists() and not (cut / "checkpoint").exists()
    assert (cut / "training.json").is_file() and (cut / "manifest.json").is_file()


def test_training_examples_are_windows_labelled_by_spans(tiny_engine):
    from pii.training.batches import counts, examples, label_token_ids
    from pii.training.recipe import TrainConfig

    cfg = TrainConfig(model="tiny", max_tokens=24, window_overlap=8, max_negative_windows=None)
    text = "Order 88231 shipped on Tuesday. " * 12 + "My name is Maria Lopez."
    start = text.index("Maria Lopez")
    records = [
        {"text": text, "has_pii": True, "spans": [[start, start + 11, "PERSON_NAME"]]},
        {"text": "Version 4.2.1 is out", "has_pii": False, "spans": []},
    ]
    yes, no = label_token_ids(tiny_engine)
    window_set, owner = examples(tiny_engine, records, cfg)
    labels = [tokens[off] for tokens, off in window_set]
    assert owner.count(1) == 1 and labels[owner.index(1)] == no
    long_labels = [lab for lab, o in zip(labels, owner, strict=True) if o == 0]
    assert long_labels.count(yes) >= 1 and long_labels.count(no) >= 3  # the head holds no PII
    every, owner_all = examples(tiny_engine, records, cfg, every_window=True)
    assert len(every) >= len(window_set) and counts(owner_all, 2)[1] == 1
    # A cap on PII-free windows per text keeps every window with PII, a seeded few others.
    capped = TrainConfig(model="tiny", max_tokens=24, window_overlap=8, max_negative_windows=1)
    few, few_owner = examples(tiny_engine, records, capped)
    few_labels = [tokens[off] for (tokens, off), o in zip(few, few_owner, strict=True) if o == 0]
    assert few_labels.count(no) == 1 and few_labels.count(yes) == long_labels.count(yes)
    assert examples(tiny_engine, records, capped) == (few, few_owner)  # seeded
    assert len(examples(tiny_engine, records, capped, every_window=True)[0]) == len(every)


def test_force_keeps_the_finished_adapter_whole_until_the_new_one_lands(tiny_model, data, tmp_path):
    """Issue 15: an adapter is replaced as a unit. A --force run trains in a working folder
    beside it; killed half-way, the previous adapter still loads and matches its manifest;
    resumed, the new adapter replaces it whole."""
    from pii.engine.adapters import read_training
    from pii.publish import check
    from pii.training import checkpoint

    out = tmp_path / "a"
    first = run(config(tiny_model, seed=1), out, data)
    real_save = checkpoint.save

    def save_then_crash(*args, **kwargs):
        real_save(*args, **kwargs)
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(checkpoint, "save", save_then_crash)
        with pytest.raises(KeyboardInterrupt):
            run(config(tiny_model, seed=2), out, data, force=True)
    assert read_training(out)["date"] == first["date"] and check(out) == []
    assert checkpoint.resumable(checkpoint.workdir(out))
    second = run(config(tiny_model, seed=2), out, data, resume=True)
    assert read_training(out)["date"] == second["date"] and check(out) == []
    assert read_training(out)["config"]["seed"] == 2 and not checkpoint.workdir(out).exists()
