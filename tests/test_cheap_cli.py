"""The cheap baselines through the CLI: `pii baseline fit`, `pii classify`, `pii bench`."""

import json

import pytest
from typer.testing import CliRunner

from pii.cli import app
from tests.golden_fixtures import write_split

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def splits(tmp_path_factory):
    d = tmp_path_factory.mktemp("cheap")
    tr = write_split(d / "train.jsonl", "train", 40)
    return d, tr, write_split(d / "valid.jsonl", "valid", 12, start=100)


@pytest.mark.parametrize("kind", ["rules", "tfidf"])
def test_fit_then_classify(kind, splits):
    d, tr, va = splits
    out = d / f"{kind}.json"
    result = run("baseline", "fit", "--kind", kind, "--train", tr, "--valid", va, "--out", out)
    assert result.exit_code == 0, result.output
    assert f"{kind}: threshold" in result.output and "saved" in result.output
    data = json.loads(out.read_text())
    assert data["kind"] == kind and data["fitted_on"]["valid_file"] == str(va)
    result = run(
        "classify", "--classifier", kind, "--config", out, "My email is a.b9@mail.net", "--json"
    )
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)
    assert row["has_pii"] == (row["p_pii"] >= data["threshold"])
    assert "a.b9" not in result.output  # texts are never echoed


def test_classify_rules_with_the_committed_artifact():
    result = run("classify", "--classifier", "rules", "IBAN DE89 3704 0044 0532 0130 00")
    assert result.exit_code == 0, result.output
    assert "PII" in result.output and "classifier rules, threshold" in result.output
    assert "DE89" not in result.output


def test_fit_errors_are_one_line(splits, tmp_path):
    d, tr, va = splits
    result = run("baseline", "fit", "--kind", "bayes")
    assert result.exit_code == 1 and "use one of rules, tfidf, presidio" in result.output
    test = tmp_path / "test.jsonl"
    test.write_text(va.read_text())
    result = run(
        "baseline", "fit", "--kind", "rules", "--valid", test, "--out", tmp_path / "r.json"
    )
    assert result.exit_code == 1 and "never on test" in result.output
    result = run(
        "baseline", "fit", "--kind", "tfidf", "--train", tmp_path / "none.jsonl", "--valid", va
    )
    assert result.exit_code == 1 and "none.jsonl: file not found" in result.output
    assert "Traceback" not in result.output


def test_classify_missing_artifact_and_generate(tmp_path):
    result = run("classify", "--classifier", "tfidf", "--config", tmp_path / "no.json", "hi")
    assert result.exit_code == 1
    assert "no fitted tfidf baseline; run `pii baseline fit --kind tfidf`" in result.output
    result = run("classify", "--classifier", "rules", "--generate", "hi")
    assert result.exit_code == 1 and "--generate needs an LLM classifier" in result.output


def test_bench_cheap_classifiers_without_an_llm(splits, monkeypatch):
    monkeypatch.setattr("pii.metrics.stats.N_BOOT", 50)  # intervals are not under test here
    d, _, va = splits
    out = d / "bench"
    result = run(
        "bench", "--data", va, "--classifiers", "rules,tfidf", "--out", out, "--latency-n", "3"
    )
    assert result.exit_code == 0, result.output
    rep = json.loads((out / "report.json").read_text())
    assert rep["network_attempts"] == 0 and "verdict" not in rep
    assert rep["environment"]["model"] is None and rep["environment"]["gemm_gflops"] == 0.0
    for c in rep["classifiers"]:
        assert c["has_scores"] and c["scores"]["auroc"] is not None
        assert c["batch_sweep"] is None and c["throughput_batch"] is None
        assert "prefix_cache_off" not in c["latency"] and "floor_s" not in c["latency"]
        assert c["prompt_tokens_per_text"] is None
        assert 0 < c["disk_mb"] < 5 and c["cold_start_s"] > 0  # `pii classify --classifier`
    md = (out / "report.md").read_text()
    assert "# pii bench: rules, tfidf on valid.jsonl" in md
    latency_rows = [line for line in md.splitlines() if line.startswith("| rules |")]
    assert any("(one call)" in line and "n/a" in line for line in latency_rows)
    assert (out / "curves.png").exists() and (out / "reliability.png").exists()


def test_bench_rejects_unknown_and_repeated_classifiers(splits):
    d, _, va = splits
    result = run("bench", "--data", va, "--classifiers", "rules,regex")
    assert result.exit_code == 2 and "unknown classifier 'regex'" in result.output
    result = run("bench", "--data", va, "--classifiers", "rules,rules")
    assert result.exit_code == 2 and "twice" in result.output
