import json

import pytest
from typer.testing import CliRunner

from pii.classifiers.fewshot import FewShotConfig
from pii.cli import app
from tests.golden_fixtures import write_split

runner = CliRunner()


@pytest.fixture(scope="module")
def setup(tiny_model, tiny_adapter, tmp_path_factory):
    d = tmp_path_factory.mktemp("bench")
    te = write_split(d / "test.jsonl", "test", 24, start=200)
    cfg = d / "baseline.json"
    FewShotConfig(model=str(tiny_model), k=0).save(cfg)
    (d / "adapter").symlink_to(tiny_adapter[0])
    from pii.metrics import stats

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(stats, "N_BOOT", 100)  # fewer resamples: the tests check shapes, not widths
        yield d, te, cfg


def test_bench_writes_every_report_and_a_verdict(tiny_model, setup):
    d, te, cfg = setup
    out = d / "out"
    result = runner.invoke(
        app,
        [
            "bench",
            "--model",
            str(tiny_model),
            "--data",
            str(te),
            "--config",
            str(cfg),
            "--adapter",
            str(d / "adapter"),
            "--out",
            str(out),
            "--latency-n",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    for name in (
        "report.json",
        "report.md",
        "report.html",
        "curves.png",
        "reliability.png",
        "slices.png",
        "latency.png",
    ):
        assert (out / name).exists(), name
    rep = json.loads((out / "report.json").read_text())
    assert rep["network_attempts"] == 0
    assert rep["verdict"]["verdict"] in ("worth it", "not worth it", "inconclusive")
    # the default: the verdict's pair plus the cheap baselines, in every table
    assert [c["kind"] for c in rep["classifiers"]] == ["fewshot", "adapter", "rules", "tfidf"]
    llms = [c for c in rep["classifiers"] if c["kind"] in ("fewshot", "adapter")]
    for c in rep["classifiers"][2:]:
        assert c["batch_sweep"] is None and "prefix_cache_off" not in c["latency"]
        assert c["scores"]["auroc"] is not None and c["disk_mb"] < 5
    for c in llms:
        assert c["disk_mb"] > 0 and c["prompt_tokens_per_text"] > 0
        sweep = c["batch_sweep"]
        assert set(sweep["texts_per_s"]) == {"1", "4", "8", "16", "32"}
        assert c["throughput_batch"] == sweep["best_batch"]
        off = c["latency"]["prefix_cache_off"]
        # without the cache the whole prompt is run for every text
        assert off["tokens_processed_per_text"] > c["latency"]["tokens_processed_per_text"]
    md = (out / "report.md").read_text()
    assert "Prefix cache on and off" in md and "Throughput by batch size" in md
    assert md.count("| rules |") >= 3 and md.count("| tfidf |") >= 3  # headline, latency, slices
    assert "Call Maria" not in (out / "report.md").read_text()  # no texts without --show-text
    html = (out / "report.html").read_text()
    assert "<table>" in html and "data:image/png;base64," in html
    cmp = runner.invoke(app, ["compare", str(out / "report.json"), str(out / "report.json")])
    assert cmp.exit_code == 0 and "verdict" in cmp.output
    (out / "report.md").unlink()
    again = runner.invoke(app, ["report", str(out)])
    assert again.exit_code == 0 and (out / "report.md").exists()


def test_caveats_flag_a_classifier_that_flags_everything():
    from pii.render.report import caveats

    c = {
        "name": "always-yes",
        "threshold": 0.1,
        "p_pii": {str(i): 0.9 for i in range(10)},
        "scores": {"auroc": 0.5, "recall": 1.0, "precision": 0.5},
        "ci95": {"auroc": [0.4, 0.6]},
    }
    notes = caveats({"n": 10, "classifiers": [c]})
    assert any("no better than chance" in n for n in notes)
    assert any("flags 100.0% of all items" in n and "F1 0.667" in n for n in notes)


def test_caveats_name_a_cheap_baseline_that_beats_both_llms():
    from pii.render.report import caveats

    def row(name, kind, f1, ci):
        return {
            "name": name,
            "kind": kind,
            "threshold": 0.5,
            "p_pii": {"a": 0.9, "b": 0.1},
            "scores": {"f1": f1, "recall": 0.5, "precision": 0.5},
            "ci95": {"f1": ci},
            "latency": {"p50_s": 0.0006},
        }

    llms = [row("base", "fewshot", 0.67, [0.64, 0.70]), row("lora", "adapter", 0.7, [0.66, 0.74])]
    rules = row("rules", "rules", 0.86, [0.83, 0.89])
    notes = caveats({"n": 2, "classifiers": [*llms, rules]})
    assert any("rules beats base and lora on F1" in n and "0.6 ms" in n for n in notes)
    rules["ci95"]["f1"] = [0.73, 0.89]  # overlaps the adapter's interval: no claim
    assert not any("beats" in n for n in caveats({"n": 2, "classifiers": [*llms, rules]}))


def test_bench_gate_fails_with_exit_3(tiny_model, setup):
    d, te, cfg = setup
    result = runner.invoke(
        app,
        [
            "bench",
            "--model",
            str(tiny_model),
            "--data",
            str(te),
            "--config",
            str(cfg),
            "--classifiers",
            "fewshot",
            "--out",
            str(d / "gate"),
            "--latency-n",
            "2",
            "--fail-under",
            "fewshot:f1=1.01",
        ],
    )
    assert result.exit_code == 3 and "quality gate failed" in result.output


def test_bench_bad_inputs(tiny_model, setup, tmp_path):
    d, te, cfg = setup
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n')
    result = runner.invoke(
        app, ["bench", "--model", str(tiny_model), "--data", str(bad), "--config", str(cfg)]
    )
    assert result.exit_code == 1 and "bad.jsonl:1" in result.output
    result = runner.invoke(app, ["bench", "--fail-under", "f1"])
    assert result.exit_code == 2 and "[CLASSIFIER:]METRIC=VALUE" in result.output
    # an unprefixed gate binds the adapter: refused when the adapter is not benched
    result = runner.invoke(app, ["bench", "--classifiers", "rules", "--fail-under", "f1=0.5"])
    assert result.exit_code == 2 and "rules:f1=0.5" in result.output
    # issue 16: a typo in the metric was exit 3 "rules recal=None < 0.5"
    result = runner.invoke(app, ["bench", "--fail-under", "recal=0.5"])
    assert result.exit_code == 2 and "unknown metric 'recal'" in result.output
    result = runner.invoke(app, ["bench", "--fail-under", "presidio:f1=0.5"])
    assert result.exit_code == 2 and "'presidio' is not benched" in result.output
    result = runner.invoke(app, ["compare", str(tmp_path / "no.json"), str(tmp_path / "no.json")])
    assert result.exit_code == 1 and "report not found" in result.output
