"""Training, tuning and fitting refuse the test split and the OOD set: by name, and the OOD
set by content (a renamed copy, or one OOD line pasted into a training file)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pii.cli import app
from pii.errors import ConfigError
from pii.golden.held_out import refuse
from tests.golden_fixtures import record


@pytest.fixture
def ood(tmp_path):
    path = tmp_path / "ood.jsonl"
    rows = [record("ood-000001", "Letter from Jo Marsh of 12 Elm Road", True)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def write(path, texts):
    rows = [record(f"train-{i:06d}", t, i % 2 == 0) for i, t in enumerate(texts)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_refused_by_name_and_by_content(tmp_path, ood):
    with pytest.raises(ConfigError, match="out-of-distribution set is for evaluation only"):
        refuse(ood, "training", ood=ood)
    with pytest.raises(ConfigError, match="never on test"):
        refuse(write(tmp_path / "test_copy.jsonl", ["a", "b"]), "training", ood=ood)
    mixed = write(
        tmp_path / "mine.jsonl", ["fine", "also fine", "Letter from Jo Marsh of 12 Elm Road"]
    )
    with pytest.raises(
        ConfigError, match=r"mine.jsonl:3: id=train-000002: this text is in the out"
    ):
        refuse(mixed, "training", ood=ood)
    refuse(write(tmp_path / "train.jsonl", ["fine", "also fine"]), "training", ood=ood)


def test_the_committed_ood_set_is_refused_by_every_command_that_chooses(tmp_path):
    runner = CliRunner()
    for args in (
        ["train", "--train", "golden/ood.jsonl", "--out", str(tmp_path / "a")],
        ["train", "--valid", "golden/ood.jsonl", "--out", str(tmp_path / "b")],
        ["baseline", "tune", "--valid", "golden/ood.jsonl", "--out", str(tmp_path / "c.json")],
        ["baseline", "fit", "--kind", "rules", "--valid", "golden/ood.jsonl",
         "--out", str(tmp_path / "d.json")],
        ["baseline", "fit", "--kind", "tfidf", "--train", "golden/ood.jsonl",
         "--out", str(tmp_path / "e.json")],
    ):  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert "out-of-distribution set is for evaluation only" in result.output, args
        assert "Traceback" not in result.output
