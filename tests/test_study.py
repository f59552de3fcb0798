"""The learning curve on the tiny llama: points, resumption, the finding, the CLI."""

import json

import pytest
from typer.testing import CliRunner

from pii import study
from pii.cli import app
from pii.errors import ConfigError
from pii.fewshot import FewShotConfig
from tests.golden_fixtures import write_split

runner = CliRunner()


@pytest.fixture()
def files(tiny_model, tmp_path, monkeypatch):
    from pii import stats

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


def _args(files, out, sizes="8,16,all"):
    splits, recipe, baseline = files
    return [
        "study", "learning-curve", "--config", str(recipe), "--sizes", sizes,
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
    result = runner.invoke(app, _args(files, tmp_path / "d", "999"))
    assert result.exit_code == 1 and "exceeds the 32 examples" in result.stderr


def _point(n, f1, lo, hi):
    s = {"f1": f1, "recall": f1, "ci95": {"f1": [lo, hi]}}
    return {"n": n, "valid": s, "test": s}


def test_finding_names_where_the_adapter_overtakes():
    base = {"f1": 0.60, "recall": 0.9, "ci95": {"f1": [0.55, 0.65]}}
    s = {
        "baseline": {"valid": base, "test": base},
        "points": {
            "50": _point(50, 0.55, 0.50, 0.60),
            "250": _point(250, 0.63, 0.58, 0.68),  # above, but the interval straddles 0.60
            "1000": _point(1000, 0.70, 0.66, 0.74),  # clearly above
        },
    }
    f = study.finding(s)
    assert f["first_n_above"] == 250 and f["first_n_clearly_above"] == 1000
    assert "in line with the 500+ rule" in f["rule_of_thumb"]
    s["points"]["250"] = _point(250, 0.66, 0.62, 0.70)
    assert "below the 500-example rule" in study.finding(s)["rule_of_thumb"]
    s["points"] = {"50": _point(50, 0.5, 0.4, 0.6)}
    f = study.finding(s)
    assert f["first_n_clearly_above"] is None and "cannot confirm" in f["rule_of_thumb"]


def test_parse_sizes():
    assert study.parse_sizes("50, 100,all") == [50, 100, None]
    with pytest.raises(ConfigError):
        study.parse_sizes("0")
