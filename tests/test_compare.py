"""`pii compare`: one table of differences B - A with unpaired 95% intervals, and --json."""

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pii.cli.main import app
from pii.study.compare import differences

REPORT = Path(__file__).resolve().parents[1] / "bench/results/smollm2-135m/report.json"


def _shifted(report: dict, kind: str, delta: float) -> dict:
    other = copy.deepcopy(report)
    for s in other["classifiers"]:
        if s.get("kind") == kind:
            s["scores"]["f1"] += delta
            s["ci95"]["f1"] = [x + delta for x in s["ci95"]["f1"]]
    return other


def test_the_difference_and_its_unpaired_interval():
    a = json.loads(REPORT.read_text())
    rows = {(r["classifier"], r["metric"]): r for r in differences(a, _shifted(a, "rules", 0.1))}
    rules, fewshot = rows[("rules", "f1")], rows[("fewshot", "f1")]
    assert rules["diff"] == pytest.approx(0.1) and rules["clear"]
    lo, hi = rules["diff_ci95"]
    width = rules["a_ci95"][1] - rules["a_ci95"][0]
    assert hi - lo == pytest.approx(width * 2**0.5, rel=1e-6)  # two equal, independent intervals
    assert fewshot["diff"] == 0 and not fewshot["clear"]
    assert rows[("adapter", "p50_ms")]["diff_ci95"] is None


def test_cli_table_and_json(tmp_path):
    b = tmp_path / "b.json"
    b.write_text(json.dumps(_shifted(json.loads(REPORT.read_text()), "probe", -0.2)))
    result = CliRunner().invoke(app, ["compare", str(REPORT), str(b)])
    assert result.exit_code == 0, result.output
    assert "B - A [95% CI]" in result.stdout and "-0.200" in result.stdout
    result = CliRunner().invoke(app, ["compare", str(REPORT), str(b), "--json"])
    data = json.loads(result.stdout)
    probe = next(
        r for r in data["differences"] if r["classifier"] == "probe" and r["metric"] == "f1"
    )
    assert probe["diff"] == pytest.approx(-0.2) and probe["clear"] is True
    assert data["a"]["model"] == "smollm2-135m"


def test_cli_takes_bench_folders_as_well_as_their_report_files(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "report.json").write_text(REPORT.read_text())
    result = CliRunner().invoke(app, ["compare", str(REPORT.parent), str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert "B - A [95% CI]" in result.stdout
    result = CliRunner().invoke(app, ["compare", str(tmp_path), str(REPORT)])  # no report.json
    assert result.exit_code == 1 and "report.json" in result.output
