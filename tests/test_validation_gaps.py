"""Regressions for inputs that were accepted silently (issue 15 item 8): an empty golden
file passed `golden check`, `decide` wrote NaN/Infinity, an adapter_config.json that
contradicts training.json or the model loaded, and .json/.csv read as lines of text."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from pii.cli import app
from pii.errors import ConfigError, DataError, ModelError

runner = CliRunner()


def test_golden_check_refuses_an_empty_file(tmp_path):
    empty = tmp_path / "valid.jsonl"
    empty.write_text("")
    result = runner.invoke(app, ["golden", "check", str(empty)])
    assert result.exit_code == 1 and "no records" in result.output


@pytest.mark.parametrize("value", ["inf", "nan"])
def test_decide_refuses_non_finite_numbers(value):
    from pii.study.decide import Supplied

    with pytest.raises(ConfigError, match="finite"):
        Supplied(calls_per_month=float(value))
    result = runner.invoke(app, ["decide", "--calls-per-month", value, "--json"])
    assert result.exit_code in (1, 2) and "Infinity" not in result.output
    assert "NaN" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("suffix", [".json", ".csv", ".JSON"])
def test_classify_refuses_json_and_csv_read_as_text_lines(tmp_path, suffix):
    from pii.jsonl import read_texts

    path = tmp_path / f"texts{suffix}"
    path.write_text('[{"text": "Call Ann"}]\n')
    with pytest.raises(DataError, match="give JSONL"):
        read_texts(path)


def test_upper_case_jsonl_is_read_as_jsonl(tmp_path):
    from pii.jsonl import read_texts

    path = tmp_path / "texts.JSONL"
    path.write_text('{"id": "a", "text": "Call Ann"}\n')
    assert read_texts(path) == [("a", "Call Ann")]


def test_adapter_config_must_agree_with_training_json_and_the_model(tiny_adapter, tmp_path):
    from pii.engine.mlx_engine import load_engine

    adapter, model = tiny_adapter
    for change, message in (({"num_layers": 99}, "puts LoRA on 99 blocks"),
                            ({"model": "someone/else"}, "names base model 'someone/else'")):  # fmt: skip
        copy = tmp_path / f"a{len(message)}"
        shutil.copytree(adapter, copy)
        path = copy / "adapter_config.json"
        path.write_text(json.dumps(json.loads(path.read_text()) | change))
        with pytest.raises(ModelError, match="adapter_config.json changed since training"):
            load_engine(str(model), adapter=copy, precision="float32")
        (copy / "manifest.json").unlink()  # an adapter from before manifests: checked deeper
        with pytest.raises(ModelError, match=message):
            load_engine(str(model), adapter=copy, precision="float32")
