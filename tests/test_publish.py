"""Reports are replaced as a unit (pii.publish) and benches check before they work:
regressions for a report folder left half old, half new, and for results lost after a full
run (issue 15, items 3 and 4)."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pii import publish
from pii.cli import app
from pii.errors import DataError
from tests.conftest import FakeClassifier
from tests.golden_fixtures import record


def test_publish_replaces_the_set_keeps_other_folders_and_writes_a_manifest(tmp_path):
    out = tmp_path / "report"
    publish.publish(out, {"report.json": "{}", "a.png": b"1", "report.md": "old"})
    (out / "decision-1000").mkdir()
    (out / "decision-1000" / "decision.json").write_text("{}")
    publish.publish(out, {"report.json": '{"n": 1}', "report.md": "new"})
    assert sorted(p.name for p in out.iterdir()) == [
        "decision-1000", "manifest.json", "report.json", "report.md"
    ]  # fmt: skip
    assert not (out / "a.png").exists()  # the old set's plot went with it
    assert (out / "decision-1000" / "decision.json").exists()
    assert publish.check(out) == []
    (out / "report.md").write_text("edited by hand")
    assert publish.check(out) == ["report.md"]
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # no temporary folders left


def test_a_failure_while_writing_leaves_the_previous_set_whole(tmp_path, monkeypatch):
    out = tmp_path / "report"
    publish.publish(out, {"report.json": "old", "report.md": "old"})
    (out / "keep").mkdir()
    real = Path.write_bytes
    calls = []

    def disk_full(self, data):
        calls.append(self.name)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    with pytest.raises(OSError):
        publish.publish(out, {"report.json": "new", "report.md": "new"})
    monkeypatch.setattr(Path, "write_bytes", real)
    assert (out / "report.json").read_text() == "old" and (out / "keep").is_dir()
    assert publish.check(out) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_pii_report_refuses_files_that_do_not_match_the_manifest(tmp_path):
    from pii.render.report import rerender

    out = tmp_path / "report"
    publish.publish(out, {"report.json": "{}", "curves.png": b"png"})
    (out / "curves.png").write_bytes(b"another run's plot")
    with pytest.raises(DataError, match=r"curves.png changed since the bench wrote them"):
        rerender(out)
    result = CliRunner().invoke(app, ["report", str(out)])
    assert result.exit_code == 1 and "Traceback" not in result.output


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "test.jsonl"
    rows = [record(f"test-{i:06d}", f"text {i}", i % 2 == 0) for i in range(20)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path, rows


def _fake_fewshot(monkeypatch, rows, loads):
    from pii.classifiers import registry

    def load(model=None, config=None, adapter=None):
        loads.append("fewshot")
        return FakeClassifier("fake", {r["text"]: 0.9 for r in rows})

    monkeypatch.setattr("tests.test_publish._load", load, raising=False)
    monkeypatch.setitem(
        registry.REGISTRY, "fewshot", registry.Kind("fewshot", "tests.test_publish:_load")
    )
    monkeypatch.setattr("pii.cli.bench.cold_start", lambda *a: None)


def test_bench_checks_its_output_and_every_classifier_before_any_work(data, tmp_path, monkeypatch):
    path, rows = data
    loads: list[str] = []
    _fake_fewshot(monkeypatch, rows, loads)
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    base = ["bench", "--data", str(path), "--latency-n", "1", "--sweep-n", "0"]
    result = CliRunner().invoke(app, [*base, "--classifiers", "fewshot", "--out", str(a_file)])
    assert result.exit_code == 1 and "is a file" in result.output and loads == []
    broken = tmp_path / "adapter"
    broken.mkdir()
    for name in ("adapter_config.json", "adapters.safetensors"):
        (broken / name).write_text("{}")
    (broken / "training.json").write_text(json.dumps({"format_version": 1}))  # no config
    args = [*base, "--classifiers", "fewshot,adapter", "--adapter", str(broken)]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "'config' is missing" in result.output
    assert loads == [] and "Traceback" not in result.output  # failed before fewshot ran


def test_bench_keeps_the_results_when_the_report_cannot_be_written(data, tmp_path, monkeypatch):
    path, rows = data
    _fake_fewshot(monkeypatch, rows, [])
    out = tmp_path / "out"
    args = ["bench", "--data", str(path), "--classifiers", "fewshot", "--out", str(out)]
    args += ["--latency-n", "1", "--sweep-n", "0"]
    assert CliRunner().invoke(app, args).exit_code == 0
    before = (out / "report.json").read_bytes()

    def disk_full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("pii.publish.publish", disk_full)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    flat = " ".join(result.output.split())
    assert "No space left on device" in flat and "results are saved in" in flat
    saved = Path(flat.split("results are saved in ")[1].split(":")[0])
    assert json.loads(saved.read_text())["n"] == 20
    saved.unlink()
    assert (out / "report.json").read_bytes() == before  # the previous report is intact


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", "a JSON list, not a pii bench report"),
        ("42", "a JSON int"),
        ('{"format_version": 2, "n": 1}', "format_version 2; this pii reads version 1"),
        ('{"format_version": 1, "n": "ten", "environment": {}, "classifiers": []}', "'n' is a str"),
        ('{"format_version": 1, "n": 1, "environment": {"model": null, "data": null, '
         '"date": "d"}, "classifiers": [{"name": 3}]}', "classifiers[0].'name' is a int"),
    ],
)  # fmt: skip
def test_report_and_compare_refuse_what_is_not_a_report(tmp_path, content, message):
    """Regression: a list, a number, wrong types or another version gave tracebacks (or were
    accepted by compare)."""
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "report.json").write_text(content)
    good = Path("bench/results/smollm2-135m/report.json")
    for args in (["report", str(folder)], ["compare", str(good), str(folder / "report.json")]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert message in " ".join(result.output.split()) and "Traceback" not in result.output
