"""`pii golden import`: each source format on a small fixture, mappings and their errors."""

import json

import pytest
from typer.testing import CliRunner

from pii.cli import app
from pii.errors import ConfigError, DataError
from pii.golden.importers import import_corpus, load_mapping
from pii.golden.schema import read_records

runner = CliRunner()

TEXT1 = "Call Maria Lindqvist on 0176 4829 1157."
TEXT2 = "The meeting moved to Tuesday."
TEXT3 = "Ship it to Hagenauer Straße 7, 04129 Leipzig, for Lukas."


def span(text, value, label):
    start = text.index(value)
    return start, start + len(value), label


@pytest.fixture
def mapping(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text(
        "PERSON: PERSON_NAME\nPHONE_NUMBER: PHONE\nADDRESS: STREET_ADDRESS\nDATE_TIME: IGNORE\n"
    )
    return path


def presidio(tmp_path, extra_label="DATE_TIME"):
    samples = [
        {"full_text": TEXT1, "spans": []},
        {"full_text": TEXT2, "spans": []},
    ]
    for text, value, label, sample in (
        (TEXT1, "Maria Lindqvist", "PERSON", 0),
        (TEXT1, "0176 4829 1157", "PHONE_NUMBER", 0),
        (TEXT2, "Tuesday", extra_label, 1),
    ):
        start, end, _ = span(text, value, label)
        samples[sample]["spans"].append(
            {
                "entity_type": label,
                "entity_value": value,
                "start_position": start,
                "end_position": end,
            }
        )
    path = tmp_path / "corpus.json"
    path.write_text(json.dumps(samples))
    return path


def test_presidio_research(tmp_path, mapping):
    out = tmp_path / "out.jsonl"
    summary = import_corpus("presidio-research", presidio(tmp_path), str(mapping), out)
    assert (summary.records, summary.positives) == (2, 1)
    assert summary.per_type == {"PERSON_NAME": 1, "PHONE": 1}
    records = read_records(out)  # valid golden schema
    assert [r["id"] for r in records] == ["corpus-000001", "corpus-000002"]
    assert records[0]["pii_types"] == ["PERSON_NAME", "PHONE"]
    assert records[1]["has_pii"] is False  # DATE_TIME was mapped to IGNORE
    assert records[0]["tags"] == {
        "format": "form",
        "language": "en",
        "difficulty": "medium",
        "obfuscated": False,
        "novel": False,
        "hard_negative": False,
        "negative_kind": None,
        "length": "short",
    }
    assert records[0]["template_id"] == "import"


def test_brat_directory_and_single_file(tmp_path, mapping):
    corpus = tmp_path / "brat"
    corpus.mkdir()
    (corpus / "a.txt").write_text(TEXT3)
    s, e, _ = span(TEXT3, "Hagenauer Straße 7, 04129 Leipzig", "ADDRESS")
    s2, e2, _ = span(TEXT3, "Lukas", "PERSON")
    (corpus / "a.ann").write_text(
        f"T1\tADDRESS {s} {e}\tHagenauer Straße 7, 04129 Leipzig\n"
        f"T2\tPERSON {s2} {e2 - 2};{e2 - 2} {e2}\tLukas\n"
        "#1\tAnnotatorNotes T1\tnot a span\n"
    )
    (corpus / "b.txt").write_text(TEXT2)
    (corpus / "b.ann").write_text("")
    out = tmp_path / "out.jsonl"
    summary = import_corpus("brat", corpus, str(mapping), out, tag_format="email", language="de")
    assert (summary.records, summary.positives) == (2, 1)
    records = read_records(out)
    assert [r["id"] for r in records] == ["a", "b"]
    assert records[0]["pii_types"] == ["PERSON_NAME", "STREET_ADDRESS"]
    assert records[0]["tags"]["format"] == "email" and records[0]["tags"]["language"] == "de"
    assert records[0]["text"] == TEXT3  # offsets and umlauts untouched
    summary = import_corpus("brat", corpus / "b.txt", str(mapping), tmp_path / "one.jsonl")
    assert summary.records == 1


def test_jsonl_spans_with_ids_and_inline_mapping(tmp_path):
    path = tmp_path / "spans.jsonl"
    s, e, _ = span(TEXT1, "0176 4829 1157", "TEL")
    path.write_text(
        json.dumps(
            {"id": "doc-a", "text": TEXT1, "spans": [{"start": s, "end": e, "label": "TEL"}]}
        )
        + "\n"
        + json.dumps({"text": TEXT2, "spans": []})
        + "\n"
    )
    out = tmp_path / "out.jsonl"
    summary = import_corpus("jsonl-spans", path, "TEL=PHONE,NAME=PERSON_NAME", out)
    assert summary.per_type == {"PHONE": 1}
    assert [r["id"] for r in read_records(out)] == ["doc-a", "spans-000002"]


def test_code_format_marks_records_novel(tmp_path):
    path = tmp_path / "spans.jsonl"
    path.write_text(json.dumps({"text": "x = 1", "spans": []}) + "\n")
    import_corpus("jsonl-spans", path, "A=IGNORE", tmp_path / "o.jsonl", tag_format="code")
    assert read_records(tmp_path / "o.jsonl")[0]["tags"]["novel"] is True


def test_unmapped_label_names_label_file_and_fix(tmp_path, mapping):
    corpus = presidio(tmp_path, extra_label="NRP")
    out = tmp_path / "out.jsonl"
    with pytest.raises(DataError) as e:
        import_corpus("presidio-research", corpus, str(mapping), out)
    message = str(e.value)
    assert f"{corpus}: sample 2" in message and "'NRP'" in message
    assert "add it" in message and "IGNORE" in message
    assert "Tuesday" not in message
    assert not out.exists()  # nothing half-written


def test_jsonl_unmapped_label_names_the_line(tmp_path):
    path = tmp_path / "spans.jsonl"
    path.write_text(
        json.dumps({"text": TEXT2, "spans": []})
        + "\n"
        + json.dumps({"text": TEXT1, "spans": [{"start": 0, "end": 4, "label": "VERB"}]})
        + "\n"
    )
    with pytest.raises(DataError, match=rf"{path}:2: label 'VERB' is not in the mapping"):
        import_corpus("jsonl-spans", path, "TEL=PHONE", tmp_path / "o.jsonl")


def test_span_out_of_range_names_the_document(tmp_path):
    path = tmp_path / "spans.jsonl"
    path.write_text(
        json.dumps({"text": "short", "spans": [{"start": 2, "end": 99, "label": "TEL"}]}) + "\n"
    )
    with pytest.raises(DataError, match=rf"{path}:1: span 2-99 .* outside the text \(length 5\)"):
        import_corpus("jsonl-spans", path, "TEL=PHONE", tmp_path / "o.jsonl")


def test_mapping_errors(tmp_path):
    with pytest.raises(ConfigError, match="maps to 'PERSON'; map it to IGNORE or one of"):
        load_mapping("PER=PERSON")
    with pytest.raises(ConfigError, match="mapping file not found"):
        load_mapping(str(tmp_path / "missing.yaml"))
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"PER": "PERSON_NAME", "MISC": "IGNORE"}))
    assert load_mapping(str(path)) == {"PER": "PERSON_NAME", "MISC": "IGNORE"}


def test_cli_import_success_and_errors(tmp_path, mapping):
    corpus, out = presidio(tmp_path), tmp_path / "out.jsonl"
    args = ["golden", "import", str(corpus), "--format", "presidio-research", "--map", str(mapping)]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 2 records (1 with PII, 1 without)" in result.stdout
    assert "PERSON_NAME" in result.stdout
    result = runner.invoke(app, [*args, "--out", str(out), "--tag-format", "tweet"])
    assert result.exit_code == 1 and "--tag-format 'tweet'" in result.stderr
    result = runner.invoke(app, [*args[:-1], "PERSON=PERSON_NAME", "--out", str(out)])
    assert result.exit_code == 1
    assert "label 'PHONE_NUMBER' is not in the mapping" in result.stderr
    result = runner.invoke(
        app, [*args[:3], "--format", "conll", "--map", "A=IGNORE", "--out", str(out)]
    )
    assert result.exit_code == 2  # typer's usage error for a bad choice
