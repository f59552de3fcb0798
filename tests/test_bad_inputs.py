"""Every command's bad inputs (issue 15): one table, each case run as a user would type it.
Each must fail with the exit code the README promises (2 usage, 1 data or config), exactly
one line on stderr that names the problem, no traceback, never the text of a record, and
before any model is loaded or trained (the whole table runs in seconds)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pii.cli.main import app

SECRET = "jane.roe@example.org"  # in every data file below: must never be echoed
GOLDEN = json.dumps({"id": "r1", "text": f"Write to {SECRET} today", "has_pii": "maybe"}) + "\n"


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "texts.jsonl").write_text(json.dumps({"id": "r1", "text": f"mail {SECRET}"}) + "\n")
    (tmp_path / "badgold.jsonl").write_text(GOLDEN)
    (tmp_path / "t.csv").write_text(f'text,label\n"Write to {SECRET}",yes\n')
    (tmp_path / "plain.txt").write_text(f"Write to {SECRET}\n")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe" + SECRET.encode() + b"\n")
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "v9.json").write_text('{"format_version": 9}')
    (tmp_path / "bad_recipe.yaml").write_text("rank: 0\n")
    (tmp_path / "typo_recipe.yaml").write_text("rnak: 8\n")
    (tmp_path / "bad_sweep.yaml").write_text("configs: [{name: a, rank: -1}]\n")
    (tmp_path / "typo_sweep.yaml").write_text("fixed: {}\nconfigs: [{name: a, rnk: 8}]\n")
    adir = tmp_path / "adir"  # an adapter folder whose training.json lacks its config
    adir.mkdir()
    (adir / "adapter_config.json").write_text("{}")
    (adir / "adapters.safetensors").write_text("")
    (adir / "training.json").write_text('{"format_version": 1}')
    return tmp_path


TEST_SPLIT = "golden/test.jsonl"  # the real one, resolved from the checkout
U, D = 2, 1  # usage error, data or config error

CASES = [
    # classify
    (["classify"], D, "give a text or --file"),
    (["classify", "--classifier", "nope", "hi"], U, "unknown classifier 'nope'"),
    (["classify", "Contact", SECRET, "now"], U, "unexpected extra argument"),
    (["classify", "--classifier", "rules", "-f", "missing.jsonl"], D, "file not found"),
    (["classify", "--classifier", "rules", "-f", "binary.txt"], D, "invalid UTF-8"),
    (["classify", "--classifier", "rules", "-f", "empty.jsonl"], D, "no texts found"),
    (["classify", "--classifier", "rules", "-f", "list.json"], D, "give JSONL"),
    (["classify", "--classifier", "rules", "-f", "t.csv", "--text-column", "x"], D, "no column 'x'"),
    (["classify", "--classifier", "rules", "-f", "plain.txt", "--text-column", "x"], U, "apply to a .csv"),
    (["classify", "--classifier", "rules", "--max-chars", "-5", "hi"], U, "--max-chars"),
    (["classify", "--classifier", "rules", "--threshold", "2", "hi"], U, "--threshold"),
    (["classify", "--classifier", "rules", "--bogus", "hi"], U, "No such option: --bogus"),
    (["classify", "--classifier", "adapter", "--adapter", "adir", "hi"], D, "'config' is missing"),
    (["classify", "--classifier", "adapter", "--adapter", "nowhere", "hi"], D, "adapter directory not found"),
    (["classify", "--classifier", "tfidf", "--config", "v9.json", "hi"], D, "format_version 9; this pii reads version 1"),
    (["classify", "--classifier", "fewshot", "--config", "list.json", "hi"], D, "a JSON list, not a baseline config"),
    (["classify", "--classifier", "probe", "--config", "list.json", "hi"], D, "not a probe artifact"),
    # bench, compare, report
    (["bench", "--classifiers", "nope"], U, "unknown classifier 'nope'"),
    (["bench", "--classifiers", "rules", "--data", "missing.jsonl", "--out", "o"], D, "file not found"),
    (["bench", "--classifiers", "rules", "--data", "badgold.jsonl", "--out", "o"], D, "label 'maybe' is not"),
    (["bench", "--classifiers", "rules", "--data", "t.csv", "--label-column", "y"], D, "no column 'y'"),
    (["bench", "--classifiers", "rules", "--data", "empty.jsonl", "--out", "o"], D, "no records"),
    (["bench", "--classifiers", "rules", "--data", TEST_SPLIT, "--ood", "missing.jsonl"], D, "file not found"),
    (["bench", "--classifiers", "rules,adapter", "--adapter", "adir", "--out", "o"], D, "'config' is missing"),
    (["bench", "--classifiers", "rules", "--out", "plain.txt"], D, "is a file"),
    (["bench", "--classifiers", "rules", "--out", "plain.txt/report"], D, "a file stands where a folder"),
    (["bench", "--classifiers", "rules", "--fail-under", "recal=0.5"], U, "unknown metric 'recal'"),
    (["bench", "--classifiers", "rules", "--fail-under", "f1=high"], U, "--fail-under"),
    (["bench", "--limit", "0"], U, "--limit"),
    (["compare", "list.json", "v9.json"], D, "a JSON list, not a pii bench report"),
    (["compare", "missing.json", "v9.json"], D, "report not found"),
    (["compare", "v9.json", "v9.json"], D, "format_version 9"),
    (["report", "missing_dir"], D, "no report.json"),
    (["report", "adir"], D, "no report.json"),
    # train
    (["train", "--config", "bad_recipe.yaml", "--out", "t"], D, "rank=0"),
    (["train", "--config", "typo_recipe.yaml", "--out", "t"], D, "rnak"),
    (["train", "--config", "missing.yaml", "--out", "t"], D, "config file not found"),
    (["train", "--config", "list.json", "--out", "t"], D, "list.json"),
    (["train", "--train", "badgold.jsonl", "--out", "t"], D, "missing field"),
    (["train", "--train", TEST_SPLIT, "--out", "t"], D, "looks like the test split"),
    (["train", "--valid", TEST_SPLIT, "--out", "t"], D, "looks like the test split"),
    (["train", "--out", "plain.txt"], D, "is a file"),
    (["train", "--out", "t", "--resume", "--force"], D, "use one of them"),
    (["train", "--out", "nothing-here", "--resume"], D, "nothing to resume"),
    (["train", "--out", ".", "--force"], D, "removes only an adapter pii wrote"),
    (["train", "--rank", "0", "--out", "t"], D, "rank=0"),
    (["train", "--learning-rate", "-1", "--out", "t"], D, "learning_rate=-1.0"),
    (["train", "--lr-schedule", "zigzag", "--out", "t"], D, "zigzag"),
    (["train", "--rank", "eight", "--out", "t"], U, "--rank"),
    # decide
    (["decide", "--report", "list.json"], D, "a JSON list, not a pii bench report"),
    (["decide", "--report", "v9.json"], D, "format_version 9"),
    (["decide", "--calls-per-month", "-5"], U, "--calls-per-month"),
    (["decide", "--calls-per-month", "inf"], D, "expected a finite number"),
    (["decide", "--prevalence", "2"], U, "--prevalence"),
    (["decide", "--training", "adir/training.json"], D, "'config' is missing"),
    # golden
    (["golden", "stats", "missing.jsonl"], D, "file not found"),
    (["golden", "stats", "--json", "true"], D, "a flag takes no value: drop 'true' after it"),
    (["golden", "import", "--format", "nope", "--map", "A=B", "--out", "o.jsonl", "texts.jsonl"], U, "--format"),
    (["golden", "import", "--format", "jsonl-spans", "--map", "A", "--out", "o.jsonl", "texts.jsonl"], D, "mapping file not found"),
    (["golden", "import", "--format", "jsonl-spans", "--map", "A=B", "--out", "o.jsonl", "texts.jsonl"], D, "map it to IGNORE"),
    (["golden", "import", "--format", "jsonl-spans", "--map", "A=EMAIL", "--out", "adir", "texts.jsonl"], D, "adir"),
    (["golden", "import", "--format", "brat", "--map", "A=EMAIL", "--out", "o.jsonl", "missing"], D, "missing"),
    (["golden", "import", "--format", "presidio-research", "--map", "A=EMAIL", "--out", "o.jsonl", "list.json"], D, "list.json"),
    # baseline
    (["baseline", "tune", "--valid", TEST_SPLIT], D, "looks like the test split"),
    (["baseline", "fit", "--kind", "nope"], D, "--kind 'nope'"),
    (["baseline", "fit", "--kind", "tfidf", "--valid", TEST_SPLIT], D, "looks like the test split"),
    (["baseline", "fit", "--kind", "tfidf", "--train", "badgold.jsonl"], D, "missing field"),
    (["baseline", "windows", "--classifier", "rules"], D, "--classifier 'rules'"),
    # study
    (["study", "sweep", "missing.yaml"], D, "file not found"),
    (["study", "sweep", "bad_sweep.yaml"], D, "bad_sweep.yaml"),
    (["study", "sweep", "typo_sweep.yaml"], D, "unknown key(s) rnk"),
    (["study", "learning-curve", "--sizes", "0,-3"], D, "--sizes"),
    # models, export, serve, doctor, top level
    (["models", "pull"], U, "Missing argument"),
    (["export", "coreml", "--adapter", "adir", "--out", "x.mlpackage"], D, "'config' is missing"),
    (["export", "coreml", "--precision", "int3", "--out", "x.mlpackage"], D, "unknown precision 'int3'"),
    (["export", "coreml", "--out", "plain.txt/x.mlpackage"], D, "a file stands where a folder"),
    (["export", "coreml", "--out", "x.onnx"], D, "must end in .mlpackage"),
    (["serve", "--port", "99999"], U, "--port"),
    (["doctor", "--bogus"], U, "No such option"),
    (["nocommand"], U, "No such command"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "code", "message"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_input_is_one_line_with_its_exit_code(files, args, code, message):
    from pii.paths import project_path

    args = [str(project_path(a)) if a == TEST_SPLIT else a for a in args]
    result = CliRunner().invoke(app, args)
    stderr = result.stderr.strip()
    assert result.exit_code == code, stderr
    assert stderr.count("\n") == 0 and stderr.startswith("error:"), stderr
    assert message in stderr
    assert "Traceback" not in result.output and SECRET not in result.output
    assert not (files / "t").exists() and not (files / "o").exists()  # nothing started


def test_the_table_covers_every_command():
    commands = {c[0][0] for c in CASES} | {" ".join(c[0][:2]) for c in CASES}
    for name in ("classify", "bench", "compare", "report", "train", "decide", "serve", "doctor",
                 "golden stats", "golden import", "baseline tune", "baseline fit",
                 "baseline windows", "study sweep", "study learning-curve", "models pull",
                 "export coreml"):  # fmt: skip
        assert name in commands, name
    print(f"\n{len(CASES)} bad-input cases")
