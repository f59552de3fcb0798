"""Your own data in one step (issue 16 item 4): `pii bench --data my.csv` on the minimal
`text,label` (or `{text, has_pii}` JSONL), and `pii golden import --format csv|jsonl`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pii.cli.main import app
from pii.errors import DataError
from pii.golden.labelled import read_labelled

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "my-texts.csv"


def test_labels_in_every_spelling_and_ids_from_rows(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("text,label\nHi there,no\nmail a@example.org,YES\nx y,1\nz w,False\nq r, t \n")
    records = read_labelled(path)
    assert [r["has_pii"] for r in records] == [False, True, True, False, True]
    assert [r["id"] for r in records][:2] == ["mine-000002", "mine-000003"]
    assert records[1]["pii_types"] == [] and records[1]["tags"] == {"length": "short"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("text,label\nsecret words,maybe\n", "mine.csv:2: label 'maybe' is not yes/no"),
        ("text,lbl\nsecret words,yes\n", "no column 'label' (columns: text, lbl); name the label"),
        ("body,label\nsecret words,yes\n", "no column 'text'"),
        ("text,label\n,yes\n", "mine.csv:2: empty or missing text"),
        ("text,label\nsecret, words,yes\n", "mine.csv:2: 3 fields where the header has 2"),
        (b"text,label\nsecret \xe9 words,yes\n", "mine.csv:2: not valid UTF-8"),
    ],
)
def test_bad_tables_name_the_row_and_the_fix(tmp_path, content, message):
    path = tmp_path / "mine.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")) as e:
        read_labelled(path)
    assert "secret" not in str(e.value)


def test_minimal_jsonl_and_golden_files(tmp_path):
    path = tmp_path / "mine.jsonl"
    rows = [{"text": "a b", "has_pii": True, "pii_types": ["EMAIL"], "tags": {"format": "chat"}},
            {"id": "n1", "text": "c d", "label": "no"}]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    records = read_labelled(path)
    assert records[0]["pii_types"] == ["EMAIL"] and records[0]["tags"]["format"] == "chat"
    assert records[1]["id"] == "n1" and records[1]["has_pii"] is False
    path.write_text(json.dumps({"text": "a b"}) + "\n")
    with pytest.raises(DataError, match="mine.jsonl:1: no 'has_pii'"):
        read_labelled(path)
    path.write_text(json.dumps({"text": "a b", "has_pii": False, "pii_types": ["EMAIL"]}) + "\n")
    with pytest.raises(DataError, match="types given but the label says no PII"):
        read_labelled(path)
    golden = Path(__file__).resolve().parents[1] / "golden" / "valid.jsonl"
    assert len(read_labelled(golden)) == 670  # a golden file is read as it is


def test_bench_on_a_20_row_csv(tmp_path):
    out = tmp_path / "report"
    args = ["bench", "--data", str(EXAMPLE), "--classifiers", "rules", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "20 texts (10 with PII)" in result.stderr and "+/-22%" in result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["n"] == 20 and report["classifiers"][0]["slices"]["format"] == {}
    assert "maria.keller" not in result.output  # no text shown by default


def test_golden_import_csv_needs_types_for_positives(tmp_path):
    out = tmp_path / "golden.jsonl"
    base = ["golden", "import", "--format", "csv", "--out", str(out)]
    result = CliRunner().invoke(app, [*base, str(EXAMPLE)])
    assert result.exit_code == 1 and "names no PII types" in result.stderr
    assert not out.exists()
    typed = tmp_path / "typed.csv"
    typed.write_text(
        "text,label,types\nWrite to a@example.org,yes,EMAIL\nCall +44 20 7946 0958,yes,PHONE;EMAIL\n"
        "Nothing here,no,\n"
    )
    result = CliRunner().invoke(app, [*base, str(typed), "--types-column", "types"])
    assert result.exit_code == 0, result.output
    check = CliRunner().invoke(app, ["golden", "check", str(out)])
    assert check.exit_code == 0, check.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["pii_types"] for r in records] == [["EMAIL"], ["EMAIL", "PHONE"], []]
    result = CliRunner().invoke(app, ["golden", "import", "--format", "brat", "--out", "x", "y"])
    assert result.exit_code == 1 and "needs --map" in result.stderr
