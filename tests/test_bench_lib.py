"""The bench as a library, on fake classifiers (scores from a table): verdicts, gates, the
report files and the CLI's exit codes, in seconds and without MLX."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pii.study import bench
from tests.conftest import FakeClassifier
from tests.golden_fixtures import record

N = 40


@pytest.fixture(autouse=True)
def few_resamples(monkeypatch):
    monkeypatch.setattr("pii.metrics.stats.N_BOOT", 100)  # shapes and verdicts, not widths


@pytest.fixture
def records():
    return [record(f"test-{i:06d}", f"text number {i}", i % 2 == 0) for i in range(N)]


def flags_everything(records):
    return FakeClassifier("everything", {r["text"]: 0.9 for r in records})


def nearly_perfect(records, wrong=2):
    table = {r["text"]: (0.8 if r["has_pii"] else 0.1) for r in records}
    for r in records[:wrong]:  # the first items answered wrongly
        table[r["text"]] = 1.0 - table[r["text"]]
    return FakeClassifier("nearly-perfect", table)


def test_run_scores_each_classifier_and_gives_the_verdict(records):
    base, adapter = flags_everything(records), nearly_perfect(records)
    report = bench.run([("fewshot", lambda: base), ("adapter", lambda: adapter)], records)
    data = report.data
    assert data["n"] == N and data["format_version"] == bench.FORMAT_VERSION
    by_kind = {c["kind"]: c for c in data["classifiers"]}
    # flags everything: precision 0.5, recall 1 -> F1 2/3; the other misses 1 of 20 and
    # raises 1 false alarm in 20 -> F1 0.95
    assert by_kind["fewshot"]["scores"]["f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert by_kind["adapter"]["scores"]["f1"] == pytest.approx(0.95, abs=1e-4)
    assert by_kind["fewshot"]["slices"]["hard_negatives"]["n"] == 0
    assert data["verdict"]["verdict"] == "worth it"
    assert data["paired"]["base"] == "fewshot" and data["paired"]["other"] == "adapter"
    assert len(by_kind["adapter"]["errors"]) == 2
    assert all("text" not in e for e in by_kind["adapter"]["errors"])  # ids, never texts
    assert data["network_attempts"] == 0
    assert set(report.arrays) == {"everything", "nearly-perfect"}


def test_no_verdict_without_both_arms_and_no_scores_for_a_decision_only_one(records):
    table = {r["text"]: float(r["has_pii"]) for r in records}
    oracle = FakeClassifier("oracle", table, has_scores=False)
    data = bench.run([("apple-fm", lambda: oracle)], records).data
    assert "verdict" not in data
    section = data["classifiers"][0]
    assert section["scores"]["f1"] == 1.0
    assert section["scores"]["auroc"] is None and section["reliability"] is None


def test_the_same_two_arms_swapped_are_not_worth_it(records):
    base, adapter = nearly_perfect(records), flags_everything(records)
    data = bench.run([("fewshot", lambda: base), ("adapter", lambda: adapter)], records).data
    assert data["verdict"]["verdict"] == "not worth it"


def test_gates_name_each_classifier_below_and_skip_score_metrics_without_scores(records):
    base, adapter = flags_everything(records), nearly_perfect(records)
    data = bench.run([("fewshot", lambda: base), ("adapter", lambda: adapter)], records).data
    Gate = bench.Gate
    assert bench.gate_failures(data, [Gate("fewshot", "f1", 0.9)]) == ["everything f1=0.6667 < 0.9"]
    assert bench.gate_failures(data, [Gate("fewshot", "f1", 0.5)]) == []
    assert bench.gate_failures(data, [Gate("adapter", "f1", 0.9)]) == []  # only the adapter
    assert bench.gate_failures(data, [Gate(None, "f1", 0.9)]) == []  # unprefixed: the adapter
    swapped = bench.run([("fewshot", lambda: adapter), ("adapter", lambda: base)], records).data
    assert bench.gate_failures(swapped, [Gate(None, "f1", 0.9)]) == ["everything f1=0.6667 < 0.9"]
    oracle = FakeClassifier("oracle", {r["text"]: 0.0 for r in records}, has_scores=False)
    data = bench.run([("apple-fm", lambda: oracle)], records).data
    # a gate without a classifier binds the verdict's arms, never a reference row
    assert bench.gate_failures(data, [Gate(None, "recall", 0.5)]) == []
    assert bench.gate_failures(data, [Gate("apple-fm", "auroc", 0.9)]) == []  # no scores
    assert bench.gate_failures(data, [Gate("apple-fm", "recall", 0.5)]) == [
        "oracle recall=0.0000 < 0.5"
    ]


def test_one_classifier_in_memory_at_a_time_and_cold_start_injected(records):
    loaded = []

    def loader(name):
        def load():
            loaded.append(name)
            return flags_everything(records)

        return load

    opts = bench.Options(cold_start=lambda kind: {"rules": 0.25}.get(kind))
    data = bench.run([("rules", loader("a")), ("tfidf", loader("b"))], records, opts).data
    assert loaded == ["a", "b"]
    assert [c["cold_start_s"] for c in data["classifiers"]] == [0.25, None]


def test_cold_start_probe_runs_after_the_classifier_is_released(records):
    """The probe starts a fresh process that loads the model again: with the bench's own copy
    still in memory a float32 3B (12.8 GB) twice did not fit 23 GB (the rehearsal was killed)."""
    import weakref

    alive = []

    def load():
        clf = flags_everything(records)
        alive.append(weakref.ref(clf))
        return clf

    seen = []
    opts = bench.Options(cold_start=lambda kind: seen.append(alive[-1]() is None) or 0.5)
    data = bench.run([("rules", load)], records, opts, ood=records[:4]).data
    assert seen == [True]
    assert data["classifiers"][0]["cold_start_s"] == 0.5


def test_write_then_rerender_gives_the_same_pages(records, tmp_path):
    from pii.render.report import rerender

    base, adapter = flags_everything(records), nearly_perfect(records)
    report = bench.run([("fewshot", lambda: base), ("adapter", lambda: adapter)], records)
    page = bench.write(report, tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert {"report.json", "report.md", "report.html", "curves.png", "latency.png"} <= names
    assert page == tmp_path / "report.html"
    md, html = (tmp_path / "report.md").read_text(), page.read_text()
    assert "worth it" in md and "text number" not in md + html
    assert json.loads((tmp_path / "report.json").read_text()) == json.loads(json.dumps(report.data))
    rerender(tmp_path)
    assert (tmp_path / "report.md").read_text() == md
    assert (tmp_path / "report.html").read_text() == html


def test_cli_bench_on_fake_arms_gate_exit_code(records, tmp_path, fake_kinds, monkeypatch):
    from pii.cli import app
    from pii.cli import bench as cli_bench

    data = tmp_path / "test.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    fake_kinds["fewshot"] = nearly_perfect(records)
    fake_kinds["adapter"] = flags_everything(records)
    monkeypatch.setattr(cli_bench, "cold_start", lambda *a: None)  # no subprocess
    args = ["bench", "--data", str(data), "--out", str(tmp_path / "out")]
    args += ["--classifiers", "fewshot,adapter", "--latency-n", "2", "--sweep-n", "0"]
    result = CliRunner().invoke(app, [*args, "--fail-under", "f1=0.9"])
    assert result.exit_code == 3, result.output
    assert "quality gate failed: everything f1=0.6667 < 0.9" in result.output
    assert "verdict: not worth it" in result.output
    assert (tmp_path / "out" / "report.html").exists()
    result = CliRunner().invoke(app, [*args, "--fail-under", "f1=0.5"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, [*args, "--classifiers", "fewshot,nope"])
    assert result.exit_code == 2 and "unknown classifier 'nope'" in result.output


@pytest.fixture
def ood_records():
    return [record(f"ood-{i:06d}", f"written elsewhere {i}", i % 2 == 0) for i in range(30)]


def test_ood_set_gets_its_own_tables_verdict_and_the_transfer_finding(records, ood_records):
    # on test the adapter is nearly perfect; out of distribution it flags everything, like
    # the baseline: the gain does not hold
    base = FakeClassifier("everything", {r["text"]: 0.9 for r in records + ood_records})
    table = {r["text"]: (0.8 if r["has_pii"] else 0.1) for r in records}
    table |= {r["text"]: 0.9 for r in ood_records}
    adapter = FakeClassifier("adapter", table)
    data = bench.run(
        [("fewshot", lambda: base), ("adapter", lambda: adapter)], records, ood=ood_records
    ).data
    assert data["verdict"]["verdict"] == "worth it"
    ood = data["ood"]
    assert ood["n"] == 30 and len(ood["classifiers"]) == 2
    assert ood["verdict"]["verdict"] == "not worth it"
    assert all("latency" not in c for c in ood["classifiers"])  # timed on test only
    t = data["transfer"]
    assert t["test_f1_diff"] == pytest.approx(1.0 - 2 / 3, abs=1e-4)
    assert t["ood_f1_diff"] == pytest.approx(0.0)
    assert t["diff_of_diffs_ci95"][1] < 0 and "shrinks on the OOD set" in t["finding"]
    from pii.render.report import markdown

    md = markdown(data)
    assert "**Out of distribution** (n=30" in md and "## Out-of-distribution set" in md
    assert md.index("**Out of distribution**") < md.index("## Headline")


def test_cli_benches_the_ood_file_beside_data(
    records, ood_records, tmp_path, fake_kinds, monkeypatch
):
    from pii.cli import app
    from pii.cli import bench as cli_bench

    data, ood = tmp_path / "test.jsonl", tmp_path / "ood.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    ood.write_text("".join(json.dumps(r) + "\n" for r in ood_records))
    both = records + ood_records
    fake_kinds["fewshot"] = FakeClassifier("everything", {r["text"]: 0.9 for r in both})
    fake_kinds["adapter"] = nearly_perfect(both)
    monkeypatch.setattr(cli_bench, "cold_start", lambda *a: None)
    args = ["bench", "--data", str(data), "--out", str(tmp_path / "out"), "--ood", str(ood)]
    args += ["--classifiers", "fewshot,adapter", "--latency-n", "2", "--sweep-n", "0"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "OOD verdict: worth it" in result.output and "test -> OOD:" in result.output
    rep = json.loads((tmp_path / "out" / "report.json").read_text())
    assert rep["ood"]["n"] == 30 and rep["environment"]["ood_data"] == str(ood)
    result = CliRunner().invoke(app, [*args, "--no-ood"])
    assert result.exit_code == 0 and "OOD" not in result.output
