"""`pii decide`: known-answer costs on a hand-made report, the tree's answers and marks,
the committed report through the CLI, and the one-line errors."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pii.cli import app
from pii.errors import ConfigError, DataError
from pii.study.decide import Supplied, decide, error_cost
from pii.study.evidence import load, measure, positives

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "bench/results/smollm2-135m/report.json"
runner = CliRunner()


def _scores(tp: int, fn: int, fp: int, tn: int) -> dict:
    n = tp + fn + fp + tn
    p, r = tp / (tp + fp), tp / (tp + fn)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r), "accuracy": (tp + tn) / n}


def _report(adapter_p50: float = 0.2) -> dict:
    """100 items, 40 with PII. Baseline: TP 36, FN 4, FP 30 (recall 0.9, FPR 0.5);
    adapter: TP 38, FN 2, FP 6 (recall 0.95, FPR 0.1)."""
    return {
        "n": 100,
        "environment": {"model": "tiny", "adapter": {"path": "adapters/tiny"}},
        "rule_relative_gain": 0.1,
        "paired": {"relative_f1_gain": 0.33, "relative_f1_gain_ci95": [0.2, 0.45]},
        "classifiers": [
            {
                "name": "fewshot-x",
                "kind": "fewshot",
                "scores": _scores(36, 4, 30, 30),
                "latency": {"p50_s": 0.5},
                "texts_per_s": 4.0,
                "prompt_tokens_per_text": 500.0,
            },
            {
                "name": "adapter-x",
                "kind": "adapter",
                "scores": _scores(38, 2, 6, 54),
                "latency": {"p50_s": adapter_p50},
                "texts_per_s": 10.0,
                "prompt_tokens_per_text": 100.0,
            },
        ],
    }


TRAINING = {
    "n_train_examples": 2000,
    "config": {"iters": 100, "batch_size": 4},
    "history": [{"step": 50}, {"step": 100}],
    "train_seconds": 3000.0,
    "wall_seconds_this_run": 3600.0,
}
# price 3.6 an hour = 0.001 a second; two retrainings a year over a 12-month horizon
NUMBERS = dict(
    calls_per_month=200_000,
    price_per_hour=3.6,
    label_cost=0.5,
    retrains_per_year=2,
    miss_cost=10,
    false_alarm_cost=1,
    horizon_months=12,
)


def supplied(**changes) -> Supplied:
    values = NUMBERS | changes
    return Supplied(**values, given=frozenset(values))


def test_positives_and_false_alarm_rate_come_back_from_the_scores():
    m = measure(_report(), TRAINING)
    assert positives(_report()["classifiers"][0]["scores"], 100) == 40
    assert m.positives == 40
    assert m.baseline.fpr == pytest.approx(30 / 60)
    assert m.adapter.fpr == pytest.approx(6 / 60)
    assert m.training_seconds == 3600.0  # wall clock, validation included
    assert (m.examples_seen, m.train_pool) == (400, 2000)  # 100 steps x batch 4


def test_break_even_and_costs_known_answer():
    d = decide(measure(_report(), TRAINING), supplied())
    p, f = d.costs["prompting"], d.costs["fine-tune"]
    assert p["compute_per_call"] == pytest.approx(0.0005)  # 0.5 s x 0.001
    assert f["compute_per_call"] == pytest.approx(0.0002)
    # one training: 3600 s x 0.001 + 400 examples x 0.5 = 203.6; (1/12 + 2/12) of it a month
    assert d.training_cost == pytest.approx(203.6)
    assert d.fixed_monthly == pytest.approx(50.9)
    assert d.break_even_calls == pytest.approx(50.9 / 0.0003)
    # errors: 0.1 x 0.4 x 10 + 0.5 x 0.6 x 1 = 0.7; 0.05 x 0.4 x 10 + 0.1 x 0.6 x 1 = 0.26
    assert p["errors_per_call"] == pytest.approx(0.7)
    assert f["errors_per_call"] == pytest.approx(0.26)
    assert p["total_monthly"] == pytest.approx(200_000 * 0.7005)
    assert f["total_monthly"] == pytest.approx(200_000 * 0.2602 + 50.9)
    assert d.break_even_with_errors == pytest.approx(50.9 / 0.4403)
    assert d.prevalence == pytest.approx(0.4)
    assert d.verdict == "fine-tune"


def test_prevalence_override_changes_the_error_cost():
    m = measure(_report(), TRAINING)
    # 1% PII: 0.1 x 0.01 x 10 + 0.5 x 0.99 x 1 = 0.505
    assert error_cost(m.baseline, 0.01, supplied()) == pytest.approx(0.505)
    d = decide(m, supplied(prevalence=0.01))
    assert d.costs["prompting"]["errors_per_call"] == pytest.approx(0.505)
    assert not any("bench data's" in n for n in d.notes)


def test_hosted_price_scales_with_tokens():
    d = decide(measure(_report(), TRAINING), supplied(price_per_call=0.01))
    assert d.costs["prompting"]["compute_per_call"] == pytest.approx(0.01)
    assert d.costs["fine-tune"]["compute_per_call"] == pytest.approx(0.002)  # 100 / 500 tokens


def test_tree_answers_and_their_marks():
    d = decide(measure(_report(), TRAINING), supplied())
    assert [(a.answer, a.source) for a in d.answers] == [
        ("yes", "SUPPLIED"),
        ("yes", "MEASURED"),
        ("yes", "MEASURED"),
        ("yes", "SUPPLIED"),
    ]
    bare = decide(measure(_report(), TRAINING), Supplied())
    assert [(a.answer, a.source) for a in bare.answers] == [
        ("unknown", "unknown"),
        ("yes", "MEASURED"),
        ("yes", "MEASURED"),
        ("unknown", "unknown"),
    ]
    assert bare.verdict == "inconclusive" and "Q1 is unknown" in bare.reason


@pytest.mark.parametrize(
    ("changes", "question", "stop"),
    [
        ({"retrains_per_year": 6}, 0, "change too often"),
        ({"calls_per_month": 10}, 3, "too few calls"),
        ({"max_fpr": 0.6}, 1, "good enough"),  # the baseline's FPR 0.5 meets the bar
    ],
)
def test_a_no_in_the_tree_keeps_prompting(changes, question, stop):
    d = decide(measure(_report(), TRAINING), supplied(**changes))
    assert d.answers[question].answer == "no"
    assert d.verdict == "keep prompting" and stop in d.reason


def test_too_few_labelled_pairs():
    d = decide(measure(_report(), TRAINING | {"n_train_examples": 300}), supplied())
    assert d.answers[2].answer == "no" and "300" in d.answers[2].detail
    assert d.verdict == "keep prompting"


def test_bar_missed_by_both_is_inconclusive():
    d = decide(measure(_report(), TRAINING), supplied(max_fpr=0.05))
    assert d.answers[1].answer == "yes" and "FPR 0.500 > 0.05" in d.answers[1].detail
    assert d.verdict == "inconclusive" and "so does the adapter" in d.reason


def test_no_break_even_when_the_adapter_is_not_cheaper():
    d = decide(measure(_report(adapter_p50=0.6), TRAINING), supplied())
    assert d.break_even_calls is None
    assert "no call volume repays training" in d.break_even_text
    # errors still favour the adapter: 0.0005 + 0.7 - (0.0006 + 0.26) saved a call
    assert d.break_even_with_errors == pytest.approx(50.9 / 0.4399)


def test_with_free_errors_only_compute_counts():
    d = decide(measure(_report(), TRAINING), supplied(miss_cost=0, false_alarm_cost=0))
    assert d.break_even_with_errors == pytest.approx(d.break_even_calls)
    d = decide(
        measure(_report(adapter_p50=0.6), TRAINING), supplied(miss_cost=0, false_alarm_cost=0)
    )
    assert d.break_even_with_errors is None and d.verdict == "keep prompting"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"label_cost": -1}, "label_cost"),
        ({"prevalence": 1.5}, "between 0 and 1"),
        ({"horizon_months": 0}, "horizon_months"),
        ({"basis": "vibes"}, "latency, throughput"),
        ({"calls_per_month": "many"}, "calls_per_month"),
    ],
)
def test_nonsense_numbers_are_config_errors(changes, message):
    with pytest.raises(ConfigError, match=message):
        supplied(**changes)


def test_report_without_the_adapter_is_a_data_error():
    rep = _report()
    rep["classifiers"] = rep["classifiers"][:1]
    with pytest.raises(DataError, match="no adapter classifier"):
        measure(rep, TRAINING)


def test_committed_report_false_alarms_match_its_error_list():
    m = load(REPORT)
    rep = json.loads(REPORT.read_text(encoding="utf-8"))
    records = [json.loads(line) for line in (ROOT / "golden/test.jsonl").read_text().splitlines()]
    assert m.n == rep["n"] == len(records)
    assert m.positives == sum(r["has_pii"] for r in records)
    for c, kind in ((m.baseline, "fewshot"), (m.adapter, "adapter")):
        section = next(x for x in rep["classifiers"] if x["kind"] == kind)
        false_alarms = sum(not e["truth"] for e in section["errors"])
        assert c.fpr == pytest.approx(false_alarms / (m.n - m.positives))
    assert m.format_failure_rate == 0.03  # from bench/baselines/smollm2-135m.json


def test_a_better_cheap_baseline_is_named_with_its_cost():
    rep = _report()
    rules = {
        "name": "rules",
        "kind": "rules",
        "scores": _scores(39, 1, 1, 59),  # recall 0.975, FPR 1/60
        "latency": {"p50_s": 0.001},
    }
    rep["classifiers"].append(rules)
    d = decide(measure(rep, TRAINING), supplied())
    r = d.references["rules"]
    # errors a call: 1/40 x 0.4 x 10 + 1/60 x 0.6 x 1 = 0.11; compute 0.001 x 0.001
    assert r["errors_per_call"] == pytest.approx(0.11)
    assert r["total_monthly"] == pytest.approx((0.11 + 1e-6) * 200_000)
    assert any("rules, benched beside them" in n and "cheaper too" in n for n in d.notes)
    rules["scores"] = _scores(20, 20, 0, 60)  # F1 0.667: below the adapter's, not named
    assert not any("benched beside" in n for n in decide(measure(rep, TRAINING), supplied()).notes)
    rules["scores"] = _scores(36, 4, 0, 60)  # higher F1, but 4 misses cost more than ...
    notes = decide(measure(rep, TRAINING), supplied(miss_cost=1000)).notes
    assert any("not cheaper at these error costs" in n for n in notes)


# -- the command ------------------------------------------------------------------------------
def run(*args):
    return runner.invoke(app, ["decide", *map(str, args)])


def test_cli_committed_report_at_two_volumes():
    """On the committed run, whatever it measured: Q2 follows its F1 verdict and Q4 the cost
    model at each volume (the study is re-run; these hold for any run)."""
    small, large = (
        json.loads(run("--report", REPORT, "--calls-per-month", calls, "--json").output)
        for calls in (1000, 1_000_000)
    )
    worth_it = json.loads(REPORT.read_text())["verdict"]["verdict"] == "worth it"
    for d, calls in ((small["decisions"][0], 1000), (large["decisions"][0], 1_000_000)):
        assert d["answers"][1]["answer"] == ("yes" if worth_it else "no")
        assert d["answers"][3]["source"] == "SUPPLIED"
        pays = d["break_even_with_errors"]
        q4 = "yes" if pays is not None and calls >= pays else "no"
        assert d["answers"][3]["answer"] == q4, (d["answers"][3], pays)
        if q4 == "no" or not worth_it:
            assert d["verdict"] == "keep prompting"


def test_cli_terminal_output_and_files(tmp_path):
    result = run("--calls-per-month", 1000, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "verdict: keep prompting" in result.output and "MEASURED" in result.output
    # no record ids, let alone texts (a pattern: pytest's own temp path holds "pytest-0")
    assert not re.search(r"\b(test|valid|train|ood)-\d{6}\b", result.output)
    saved = json.loads((tmp_path / "out/decision.json").read_text(encoding="utf-8"))
    assert saved["decisions"][0]["verdict"] == "keep prompting"
    assert saved["format_version"] == 1  # every JSON artifact says which format it is
    md = (tmp_path / "out/decision.md").read_text(encoding="utf-8")
    assert (
        "### The four questions" in md and "| 4 | Enough calls to repay training? | **no** |" in md
    )
    page = (tmp_path / "out/decision.html").read_text(encoding="utf-8")
    assert "<title>pii decide</title>" in page and "<table>" in page


def test_cli_config_file_and_override(tmp_path):
    cfg = tmp_path / "numbers.toml"
    cfg.write_text("calls-per-month = 500000\nretrains_per_year = 12\n", encoding="utf-8")
    result = run("--config", cfg, "--calls-per-month", 20, "--json")
    d = json.loads(result.stdout)["decisions"][0]
    assert d["supplied"]["calls_per_month"] == 20  # the option wins over the file
    assert d["answers"][0]["answer"] == "no" and d["answers"][0]["source"] == "SUPPLIED"
    assert d["reason"].startswith("requirements change too often")


def test_cli_several_reports(tmp_path):
    result = run("--report", REPORT, "--report", REPORT, "--json")
    assert result.exit_code == 0 and len(json.loads(result.output)["decisions"]) == 2


def _one_line_error(result, fragment):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0 and fragment in result.output


def test_cli_errors(tmp_path):
    _one_line_error(run("--report", tmp_path / "nope.json"), "report not found")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    _one_line_error(run("--report", bad), "not a JSON pii bench report")
    rep = json.loads(REPORT.read_text(encoding="utf-8"))
    rep["classifiers"] = [c for c in rep["classifiers"] if c["kind"] == "fewshot"]
    one = tmp_path / "one.json"
    one.write_text(json.dumps(rep), encoding="utf-8")
    _one_line_error(run("--report", one), "pii bench --classifiers fewshot,adapter")
    _one_line_error(run("--training", tmp_path / "none.json"), "training record not found")
    _one_line_error(run("--horizon-months", 0), "horizon_months")
    _one_line_error(run("--basis", "vibes"), "use one of latency, throughput")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("label_cost: -3\n", encoding="utf-8")
    _one_line_error(run("--config", cfg), "label_cost = -3")
    cfg.write_text("calls: 3\n", encoding="utf-8")
    _one_line_error(run("--config", cfg), "unknown key(s) calls")


def test_cli_negative_option_is_a_usage_error():
    result = run("--calls-per-month", -5)
    assert result.exit_code == 2  # typer's own range check


# -- one verdict that follows from the lines above it ---------------------------------------
@pytest.mark.parametrize("calls", [10, 300, 1_000, 20_000, 100_000, 5_000_000])
@pytest.mark.parametrize("prevalence", [0.01, 0.05, 0.4])
@pytest.mark.parametrize(("miss", "alarm"), [(0.0, 0.0), (10.0, 1.0), (1.0, 50.0)])
@pytest.mark.parametrize("p50", [0.2, 0.8])  # adapter cheaper, or dearer, than prompting
def test_no_printed_line_contradicts_the_verdict(calls, prevalence, miss, alarm, p50):
    m = measure(_report(adapter_p50=p50), TRAINING)
    s = supplied(calls_per_month=calls, prevalence=prevalence, miss_cost=miss,
                 false_alarm_cost=alarm)  # fmt: skip
    d = decide(m, s).to_dict()
    p, f = d["costs"]["prompting"], d["costs"]["fine-tune"]
    cheaper = f["total_monthly"] < p["total_monthly"]
    q4 = d["answers"][3]
    assert q4["answer"] == ("yes" if cheaper else "no"), (q4, p, f)  # the cost table's answer
    pays_from = d["break_even_with_errors"]
    if pays_from is not None:
        assert (calls >= pays_from) == (q4["answer"] == "yes")
        assert f"pays from {pays_from:,.0f}" in d["break_even_text"]
    if d["verdict"] == "fine-tune":
        assert cheaper and all(a["answer"] == "yes" for a in d["answers"])
    if d["verdict"] == "keep prompting" and cheaper:
        assert d["reason"].startswith(("requirements", "prompting is good", "too few labelled"))
    assert not any("stops at Q4" in n for n in d["notes"])


def test_the_issue_example_no_longer_contradicts_itself():
    result = run("--calls-per-month", 1000, "--max-fpr", 0.2, "--prevalence", 0.05, "--json")
    d = json.loads(result.stdout)["decisions"][0]
    assert d["answers"][1]["answer"] == "yes"  # the flag-everything baseline fails --max-fpr
    pays = d["break_even_with_errors"]
    q4 = "yes" if pays is not None and pays <= 1000 else "no"
    assert d["answers"][3]["answer"] == q4
    assert ("too few calls" in d["reason"]) == (q4 == "no")
    assert not any("yet" in n for n in d["notes"])
