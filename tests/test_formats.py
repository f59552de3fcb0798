"""Every versioned JSON artifact is read through pii.formats: another version is named
(found and read), wrong types and missing fields are one PiiError naming the file."""

import json

import pytest

from pii.classifiers import artifact
from pii.classifiers.fewshot import FewShotConfig
from pii.engine import adapters
from pii.errors import ConfigError, DataError, ModelError, PiiError
from pii.formats import check_fields, read_versioned
from pii.report_format import read_report
from pii.study.learning_curve import read_study


def _adapter_dir(path, record):
    path.mkdir()
    (path / "training.json").write_text(json.dumps(record))
    (path / "adapter_config.json").write_text("{}")
    (path / "adapters.safetensors").write_text("")
    return path


# reader, the error class it raises, and the file name it reads
READERS = [
    (read_report, DataError, "report.json"),
    (lambda p: artifact.read(p, "tfidf"), ConfigError, "tfidf.json"),
    (FewShotConfig.load, ConfigError, "fewshot.json"),
    (adapters.read_record, ModelError, "training.json"),
    (read_study, DataError, "study.json"),
]


@pytest.mark.parametrize(("reader", "error", "name"), READERS)
def test_every_reader_names_the_version_it_found_and_the_one_it_reads(
    tmp_path, reader, error, name
):
    path = tmp_path / name
    path.write_text(json.dumps({"format_version": 7, "kind": "tfidf"}))
    with pytest.raises(error, match="format_version 7; this pii reads version 1"):
        reader(path)
    path.write_text(json.dumps({"kind": "tfidf"}))
    with pytest.raises(error, match="format_version missing; this pii reads version 1"):
        reader(path)
    path.write_text(json.dumps({"format_version": True}))  # a bool is not version 1
    with pytest.raises(error, match="format_version True"):
        reader(path)


@pytest.mark.parametrize(("reader", "error", "name"), READERS)
@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("[1, 2]", "a JSON list, not a"),
        ("3", "a JSON int, not a"),
        ('{"format_version": 1', "not a JSON"),
        ("\udcff", "not a JSON"),
        ("[" * 100_000, "not a JSON"),  # nesting deeper than the parser's recursion limit
    ],
)
def test_every_reader_refuses_what_is_not_an_object(tmp_path, reader, error, name, content, why):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8", errors="surrogateescape")
    with pytest.raises(error, match=why) as e:
        reader(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_wrong_types_and_missing_fields_name_the_key(tmp_path):
    path = tmp_path / "training.json"
    record = {"format_version": 1, "config": {"instruction": "short", "max_tokens": 192}}
    path.write_text(json.dumps({**record, "base_model": "m", "threshold": "0.5"}))
    with pytest.raises(ModelError, match="'threshold' is a str"):
        adapters.read_record(path)
    path.write_text(json.dumps({**record, "threshold": 0.5}))
    with pytest.raises(ModelError, match="'base_model' is missing"):
        adapters.read_record(path)
    bad_config = {**record, "base_model": "m", "threshold": 0.5, "config": {"instruction": 1}}
    path.write_text(json.dumps(bad_config))
    with pytest.raises(ModelError, match="config.'instruction' is a int"):
        adapters.read_record(path)
    good = {**record, "base_model": "m", "threshold": 0.5}
    path.write_text(json.dumps(good))
    assert adapters.read_record(path)["base_model"] == "m"
    folder = _adapter_dir(tmp_path / "a", good)
    (folder / "adapter_config.json").write_text("[]")
    with pytest.raises(ModelError, match="a JSON list, not a adapter config"):
        adapters.read_training(folder)


def test_bool_is_not_a_number_and_optional_fields_are_typed_when_present(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"format_version": 1, "n": True}))
    with pytest.raises(DataError, match="'n' is a bool"):
        read_versioned(path, "thing", 1, "fix it", {"n": int})
    path.write_text(json.dumps({"format_version": 1, "n": 2, "opt": "x"}))
    with pytest.raises(DataError, match="'opt' is a str"):
        read_versioned(path, "thing", 1, "fix it", {"n": int}, optional={"opt": (int, float)})
    assert read_versioned(path, "thing", 1, "fix it", {"n": int})["n"] == 2
    check_fields({"flag": True}, {"flag": bool}, path, "thing")  # asked for: accepted


def test_a_tuned_config_with_wrong_types_is_refused_in_one_line(tmp_path):
    path = tmp_path / "fewshot.json"
    path.write_text(json.dumps({"format_version": 1, "k": "4"}))
    with pytest.raises(ConfigError, match="'k' is a str"):
        FewShotConfig.load(path)
    path.write_text(json.dumps({"format_version": 1, "threshold": None}))
    with pytest.raises(PiiError, match="'threshold' is a NoneType"):
        FewShotConfig.load(path)
