"""The `apple-fm` classifier against a fake `apple_fm_sdk` (the real one needs macOS 26)."""

import dataclasses
import json
import sys
import types

import numpy as np
import pytest
from typer.testing import CliRunner

from pii.classifiers import prompts
from pii.cli import app
from pii.errors import ConfigError, ModelError

runner = CliRunner()


class _FMError(Exception):
    pass


def fake_sdk(available=(True, None), refuse=()):
    """A stand-in for apple_fm_sdk with the calls the classifier makes; it records them and
    answers "yes" when the text holds an "@" (and refuses texts containing `refuse`)."""
    fm = types.SimpleNamespace(sessions=[], calls=[])
    fm.FoundationModelsError = _FMError

    class SystemLanguageModel:
        def is_available(self):
            return available

    def guide(description, anyOf=None):  # noqa: N803 - the SDK's own keyword
        return dataclasses.field(default=None, metadata={"anyOf": anyOf})

    def generable(description):
        def wrap(cls):
            cls = dataclasses.dataclass(cls)
            cls.description = description
            return cls

        return wrap

    class LanguageModelSession:
        def __init__(self, instructions=None, model=None):
            self.instructions, self.model = instructions, model
            fm.sessions.append(self)

        async def respond(self, prompt, generating=None, options=None):
            fm.calls.append({"prompt": prompt, "generating": generating, "options": options})
            if any(r in prompt for r in refuse):
                raise _FMError("guardrail")
            return generating(answer="yes" if "@" in prompt else "no")

    fm.SystemLanguageModel = SystemLanguageModel
    fm.LanguageModelSession = LanguageModelSession
    fm.guide, fm.generable = guide, generable
    fm.SamplingMode = types.SimpleNamespace(greedy=lambda: "GREEDY")
    fm.GenerationOptions = lambda sampling=None: {"sampling": sampling}
    return fm


@pytest.fixture
def on_macos26(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr("platform.mac_ver", lambda: ("26.1", ("", "", ""), "arm64"))


def test_decisions_only_with_the_baseline_prompt_and_greedy_yes_no(on_macos26, monkeypatch):
    from pii.classifiers.applefm import AppleFMClassifier
    from pii.classifiers.protocol import has_scores
    from pii.classifiers.registry import load_classifier

    fm = fake_sdk()
    monkeypatch.setitem(sys.modules, "apple_fm_sdk", fm)
    clf = load_classifier("apple-fm", "ignored")
    assert isinstance(clf, AppleFMClassifier) and not has_scores(clf)
    texts = ["mail me at lena@web.de", "the meeting moved", "x@y"]
    p = clf.predict_proba(texts)
    assert p.tolist() == [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
    assert len(fm.sessions) == 3  # a fresh session per text: no transcript carries over
    assert fm.sessions[0].instructions == prompts.INSTRUCTIONS[prompts.DEFAULT_INSTRUCTION]
    assert fm.calls[1]["prompt"] == prompts.user_turn("the meeting moved")
    assert fm.calls[0]["options"] == {"sampling": "GREEDY"}
    anyof = dataclasses.fields(fm.calls[0]["generating"])[0].metadata["anyOf"]
    assert anyof == [prompts.YES, prompts.NO]


def test_refused_requests_are_counted_and_flagged(on_macos26):
    from pii.classifiers.applefm import AppleFMClassifier

    clf = AppleFMClassifier(sdk=fake_sdk(refuse=("BLOCK",)))
    p = clf.predict_proba(["BLOCK this", "plain text"])[:, 1]
    assert p.tolist() == [1.0, 0.0] and clf.failures == 1


def test_unavailable_model_and_wrong_platform_fail_with_the_requirement(on_macos26, monkeypatch):
    from pii.classifiers.applefm import AppleFMClassifier, load_sdk

    with pytest.raises(ModelError, match="APPLE_INTELLIGENCE_NOT_ENABLED.*turn on Apple"):
        AppleFMClassifier(sdk=fake_sdk(available=(False, "APPLE_INTELLIGENCE_NOT_ENABLED")))
    monkeypatch.setitem(sys.modules, "apple_fm_sdk", None)  # not installed
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[apple-fm\]'"):
        load_sdk()
    monkeypatch.setattr("platform.mac_ver", lambda: ("15.4", ("", "", ""), "arm64"))
    with pytest.raises(ModelError, match="macOS 26\\+.*this is macOS 15.4"):
        load_sdk()
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(ModelError, match="macOS 26\\+ with Apple Intelligence"):
        load_sdk()


def test_cli_one_line_error_off_macos_and_no_threshold(monkeypatch, on_macos26):
    monkeypatch.setattr(sys, "platform", "linux")
    result = runner.invoke(app, ["classify", "--classifier", "apple-fm", "hello"])
    assert result.exit_code == 1
    assert "macOS 26+" in result.output and "Traceback" not in result.output
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setitem(sys.modules, "apple_fm_sdk", fake_sdk())
    result = runner.invoke(
        app, ["classify", "--classifier", "apple-fm", "--threshold", "0.3", "hello"]
    )
    assert result.exit_code == 1 and "yields decisions only" in result.output
    result = runner.invoke(app, ["classify", "--classifier", "apple-fm", "a@b.de", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"id": "1", "p_pii": None, "has_pii": True}


def test_bench_reports_no_score_statistics_for_it(on_macos26, monkeypatch, tmp_path):
    monkeypatch.setattr("pii.metrics.stats.N_BOOT", 50)  # intervals are not under test here
    from tests.golden_fixtures import write_split

    monkeypatch.setitem(sys.modules, "apple_fm_sdk", fake_sdk())
    data = write_split(tmp_path / "t.jsonl", "t", 12)
    out = tmp_path / "out"
    args = ["bench", "--data", str(data), "--classifiers", "rules,apple-fm", "--out", str(out)]
    gates = ["--fail-under", "rules:auroc=1.01", "--fail-under", "apple-fm:auroc=1.01"]
    result = runner.invoke(app, [*args, "--latency-n", "2", *gates])
    rep = json.loads((out / "report.json").read_text())
    fm = next(c for c in rep["classifiers"] if c["kind"] == "apple-fm")
    assert fm["has_scores"] is False and fm["reliability"] is None
    assert {fm["scores"][k] for k in ("auroc", "ece", "brier")} == {None}
    assert "auroc" not in fm["ci95"] and "f1" in fm["ci95"]
    assert fm["failures"] == 0 and fm["disk_mb"] is None
    assert fm["cold_start_s"] is None  # a fresh process has no fake SDK
    row = next(
        line for line in (out / "report.md").read_text().splitlines() if "| apple-fm |" in line
    )
    assert row.count("n/a") >= 3  # AUROC, ECE, tokens/text
    assert not np.isnan(fm["scores"]["f1"])
    # an AUROC gate judges only the classifiers that have scores (rules fails it)
    assert result.exit_code == 3 and "apple-fm auroc" not in result.output
