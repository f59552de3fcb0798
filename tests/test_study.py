"""The learning curve on the tiny llama: points, resumption, the finding, the CLI."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from pii.classifiers.fewshot import FewShotConfig
from pii.cli import app
from pii.errors import ConfigError
from pii.study import learning_curve as study
from tests.golden_fixtures import write_split

runner = CliRunner()


@pytest.fixture()
def files(tiny_model, tmp_path, monkeypatch):
    from pii.metrics import stats

    monkeypatch.setattr(stats, "N_BOOT", 100)  # intervals are not what is tested here
    splits = {
        "train": write_split(tmp_path / "train.jsonl", "train", 32),
        "valid": write_split(tmp_path / "valid.jsonl", "valid", 12, start=100),
        "test": write_split(tmp_path / "test.jsonl", "test", 12, start=200),
    }
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        f"model: {tiny_model}\nrank: 4\nnum_layers: 2\niters: 2\nbatch_size: 4\n"
        "max_tokens: 32\nsteps_per_eval: 2\nval_limit: null\nval_batches: 1\nwarmup: 0\n"
        "precision: float32\n"
    )
    baseline = tmp_path / "baseline.json"
    FewShotConfig(model=str(tiny_model), k=0).save(baseline)
    return splits, recipe, baseline


def _args(files, out, sizes="8,16,all", seeds="13"):
    splits, recipe, baseline = files
    return [
        "study", "learning-curve", "--config", str(recipe), "--sizes", sizes, "--seeds", seeds,
        "--out", str(out), "--baseline", str(baseline), "--train", str(splits["train"]),
        "--valid", str(splits["valid"]), "--test", str(splits["test"]),
    ]  # fmt: skip


def test_learning_curve_trains_scores_and_resumes(files, tmp_path):
    out = tmp_path / "curve"
    result = runner.invoke(app, _args(files, out, "8,all"))
    assert result.exit_code == 0, result.output
    s = json.loads((out / "study.json").read_text())
    assert [s["points"][k]["n"] for k in ("8", "all")] == [8, 32]
    for point in s["points"].values():
        assert 0 <= point["test"]["f1"] <= 1 and len(point["valid"]["ci95"]["f1"]) == 2
    info = json.loads((out / "adapter-n8" / "training.json").read_text())
    assert info["n_train_examples"] == 8
    assert (out / "learning_curve.png").stat().st_size > 1000
    assert "Learning curve" in (out / "README.md").read_text()
    # run again with one more size: finished points are kept, not retrained
    stamp = (out / "adapter-n8" / "training.json").stat().st_mtime_ns
    again = runner.invoke(app, _args(files, out, "8,16,all"))
    assert again.exit_code == 0, again.output
    assert "N=8: done before, kept" in again.stderr
    assert (out / "adapter-n8" / "training.json").stat().st_mtime_ns == stamp
    assert json.loads((out / "study.json").read_text())["points"]["16"]["n"] == 16
    published = tmp_path / "published"
    done = runner.invoke(app, [*_args(files, out, "8,16,all"), "--publish", str(published)])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in published.iterdir()) == [
        "README.md", "learning_curve.png", "manifest.json", "study.json"
    ]  # fmt: skip
    assert (published / "study.json").read_bytes() == (out / "study.json").read_bytes()


def test_another_recipe_in_the_same_directory_is_refused(files, tmp_path):
    out = tmp_path / "curve"
    assert runner.invoke(app, _args(files, out, "8")).exit_code == 0
    splits, recipe, baseline = files
    recipe.write_text(recipe.read_text().replace("rank: 4", "rank: 2"))
    result = runner.invoke(app, _args(files, out, "8"))
    assert result.exit_code == 1 and "another recipe" in result.stderr


def test_bad_sizes_are_one_line_errors(files, tmp_path):
    result = runner.invoke(app, _args(files, tmp_path / "c", "8,abc"))
    assert result.exit_code == 1 and "'abc' is not a positive number" in result.stderr
    (tmp_path / "a-file").write_text("x")
    result = runner.invoke(
        app, [*_args(files, tmp_path / "c", "8"), "--publish", str(tmp_path / "a-file")]
    )
    assert result.exit_code == 1 and "is a file" in result.stderr
    assert not (tmp_path / "c").exists()  # refused before any training
    result = runner.invoke(app, _args(files, tmp_path / "d", "8,999"))
    assert result.exit_code == 1 and "999 exceeds the 32 examples" in result.stderr
    assert not (tmp_path / "d").exists()  # refused before the baseline is scored or a folder made
    result = runner.invoke(app, _args(files, tmp_path / "d", "999"))
    assert result.exit_code == 1 and "exceeds the 32 examples" in result.stderr


def _scores(y, pred):
    from pii.metrics import scores as metrics

    f1 = metrics.summary(y, pred)["f1"]
    return {"f1": f1, "recall": 0.0, "ci95": {"f1": [f1, f1]}, "pred": study._bits(pred)}


def test_finding_pairs_each_size_with_the_baseline(monkeypatch):
    from pii.metrics import stats

    monkeypatch.setattr(stats, "N_BOOT", 100)
    y = np.r_[np.ones(100, bool), np.zeros(100, bool)]
    base = np.ones(200, bool)  # flags everything: F1 0.667
    worse = y.copy()
    worse[:60] = False  # misses 60 of the 100
    near = base.copy()
    near[100:130] = False  # right on 30 more negatives ...
    near[:12] = False  # ... wrong on 12 positives: F1 0.682, within noise of 0.667
    good = y.copy()
    good[[0, 1, 150]] = [False, False, True]  # three errors
    points = {"50": worse, "250": near, "1000": good}
    s = {
        "labels": {"valid": study._bits(y), "test": study._bits(y)},
        "baseline": {k: _scores(y, base) for k in ("valid", "test")},
        "points": {
            n: {"n": int(n)} | {k: _scores(y, pred) for k in ("valid", "test")}
            for n, pred in points.items()
        },
    }
    f = study.finding(s)
    assert f["first_n_above"] == 250 and f["first_n_clearly_above"] == 1000
    assert f["first_n_worth_it"] == 1000 and "in line with the 500+ rule" in f["rule_of_thumb"]
    assert f["paired"]["250"][0]["f1_diff_ci95"][0] < 0 < f["paired"]["250"][0]["f1_diff_ci95"][1]
    assert f["paired"]["50"][0]["f1_diff"] < 0 and f["paired"]["1000"][0]["verdict"] == "worth it"
    # a second seed at N=1000 that does not clear zero: 1000 is no longer the break-even N
    s["points"]["1000-s14"] = {"n": 1000, "seed": 14} | {
        k: _scores(y, near) for k in ("valid", "test")
    }
    f = study.finding(s)
    assert f["break_even_n"] is None and f["seeds_per_size"]["1000"] == 2
    del s["points"]["1000-s14"]
    s["points"]["250"] = {"n": 250} | {k: _scores(y, good) for k in ("valid", "test")}
    assert "from N=250 on, below the 500-example rule" in study.finding(s)["rule_of_thumb"]
    s["points"]["4000"] = {"n": 4000} | {k: _scores(y, near) for k in ("valid", "test")}
    f = study.finding(s)
    assert f["clearly_above_at"] == [250, 1000] and "not at N=4000" in f["rule_of_thumb"]
    assert "support no size threshold" in f["rule_of_thumb"]
    s["points"] = {"50": s["points"]["50"]}
    f = study.finding(s)
    assert f["first_n_clearly_above"] is None and "cannot confirm" in f["rule_of_thumb"]


def test_an_older_study_without_decisions_is_scored_again_not_retrained(files, tmp_path):
    out = tmp_path / "curve"
    assert runner.invoke(app, _args(files, out, "8")).exit_code == 0
    path = out / "study.json"
    s = json.loads(path.read_text())
    for entry in (s["baseline"], s["points"]["8"]):
        for split in ("valid", "test"):
            del entry[split]["pred"]
    path.write_text(json.dumps(s))
    stamp = (out / "adapter-n8" / "training.json").stat().st_mtime_ns
    result = runner.invoke(app, _args(files, out, "8"))
    assert result.exit_code == 0, result.output
    assert "scoring the prompted baseline" in result.stderr and "again" in result.stderr
    assert (out / "adapter-n8" / "training.json").stat().st_mtime_ns == stamp
    again = json.loads(path.read_text())
    assert len(again["points"]["8"]["test"]["pred"]) == 12 and "8" in again["finding"]["paired"]


def test_seeds_train_one_adapter_each_for_small_sizes(files, tmp_path):
    out = tmp_path / "curve"
    result = runner.invoke(app, _args(files, out, "8,all", seeds="13,14"))
    assert result.exit_code == 0, result.output
    s = json.loads((out / "study.json").read_text())
    assert sorted(s["points"]) == ["8", "8-s14", "all"]  # N=all (above 500): one seed
    assert s["points"]["8-s14"]["seed"] == 14 and len(s["finding"]["paired"]["8"]) == 2
    a = json.loads((out / "adapter-n8" / "training.json").read_text())
    b = json.loads((out / "adapter-n8-s14" / "training.json").read_text())
    assert a["config"]["seed"] == 13 and b["config"]["seed"] == 14
    assert "| 8 | 14 |" in (out / "README.md").read_text()
    bad = runner.invoke(app, _args(files, out, "8", seeds="1,x"))
    assert bad.exit_code == 1 and "--seeds" in bad.stderr


def test_parse_sizes():
    assert study.parse_sizes("50, 100,all") == [50, 100, None]
    with pytest.raises(ConfigError):
        study.parse_sizes("0")


def test_point_recipe_evaluates_each_size_on_its_own_clock():
    from pii.training.recipe import TrainConfig

    recipe = TrainConfig(epochs=2, batch_size=8, warmup=20, steps_per_eval=297, val_limit=None)
    small = study.point_recipe(recipe, 50, 14, 6295, 200)
    assert (small.train_size, small.seed, small.val_limit) == (50, 14, 200)
    assert small.steps_per_eval == 3  # half of the 6 steps an epoch of 50 texts takes
    assert small.warmup == 1  # a tenth of its ~12 steps, not the whole run
    whole = study.point_recipe(recipe, None, 13, 6295, None)
    assert (whole.steps_per_eval, whole.warmup, whole.val_limit) == (393, 20, None)
    fixed = study.point_recipe(TrainConfig(iters=10, steps_per_eval=5), 50, 13, 6295, 200)
    assert (fixed.steps_per_eval, fixed.val_limit) == (5, 160)  # a recipe in steps: as written


def test_all_from_takes_an_adapter_evaluated_differently_but_not_one_trained_differently(
    files, tmp_path
):
    from dataclasses import replace

    from pii.training import loop as train
    from pii.training.recipe import TrainConfig

    splits, recipe_file, _ = files
    recipe = TrainConfig.from_file(recipe_file)
    quiet = {"log": lambda s: None}
    same = tmp_path / "same"
    train.run(
        replace(recipe, val_limit=6, steps_per_eval=1),
        same,
        splits["train"],
        splits["valid"],
        **quiet,
    )
    other = tmp_path / "other"
    train.run(replace(recipe, rank=2), other, splits["train"], splits["valid"], **quiet)
    out = tmp_path / "curve"
    result = runner.invoke(app, [*_args(files, out, "all"), "--all-from", str(same)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "study.json").read_text())["points"]["all"]["adapter"] == str(same)
    assert not (out / "adapter-nall").exists()
    bad = runner.invoke(app, [*_args(files, tmp_path / "c2", "all"), "--all-from", str(other)])
    assert bad.exit_code == 1 and "differs in ['rank']" in bad.stderr
    assert not (tmp_path / "c2" / "study.json").exists()  # refused before the baseline is scored


def test_a_model_the_cached_path_cannot_run_is_scored_by_the_classifier(
    files, tmp_path, monkeypatch
):
    from pii.training import fast

    out = tmp_path / "curve"
    assert runner.invoke(app, _args(files, out, "8")).exit_code == 0
    cached = json.loads((out / "study.json").read_text())["points"]["8"]
    monkeypatch.setattr(fast, "available", lambda model: False)
    saved = json.loads((out / "study.json").read_text())
    del saved["points"]["8"]
    (out / "study.json").write_text(json.dumps(saved))
    again = runner.invoke(app, _args(files, out, "8"))
    assert again.exit_code == 0, again.output
    plain = json.loads((out / "study.json").read_text())["points"]["8"]
    assert plain["test"]["pred"] == cached["test"]["pred"]
    assert abs(plain["test"]["auroc"] - cached["test"]["auroc"]) < 1e-6
