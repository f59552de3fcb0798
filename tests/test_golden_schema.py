"""The golden record schema: validation messages, file:line errors and the datasets loader."""

import copy
import json

import pytest

from pii.errors import DataError
from pii.golden.schema import load_golden, read_records, validate_record

SECRET = "Maria Lindqvist lives at Elm St 4"

GOOD = {
    "id": "test-000001",
    "text": SECRET,
    "has_pii": True,
    "pii_types": ["PERSON_NAME", "STREET_ADDRESS"],
    "tags": {
        "format": "chat",
        "language": "en",
        "difficulty": "easy",
        "obfuscated": False,
        "novel": False,
        "hard_negative": False,
        "negative_kind": None,
    },
    "template_id": "hand",
}

NEGATIVE = {
    **GOOD,
    "id": "test-000002",
    "text": "Order 4929 1234 5678 9012 shipped",
    "has_pii": False,
    "pii_types": [],
    "tags": {**GOOD["tags"], "hard_negative": True, "negative_kind": "order_number"},
    "template_id": "en-chat-001",
}


def record(**changes):
    r = copy.deepcopy(GOOD)
    for key, value in changes.items():
        if key.startswith("tags."):
            r["tags"][key[5:]] = value
        else:
            r[key] = value
    return r


def write(path, lines):
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


def test_valid_records_have_no_problems():
    assert validate_record(GOOD) == []
    assert validate_record(NEGATIVE) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"pii_types": ["PERSON_NAME", "SHOE_SIZE"]}, "unknown type 'SHOE_SIZE'"),
        ({"pii_types": ["STREET_ADDRESS", "PERSON_NAME"]}, "not sorted"),
        ({"pii_types": ["EMAIL", "EMAIL"]}, "twice"),
        ({"has_pii": False}, "has_pii is false but pii_types has 2"),
        ({"text": "   "}, "'text' must be a non-empty string"),
        ({"tags.format": "tweet"}, "tags.format is 'tweet'"),
        ({"tags.language": "xx"}, "tags.language"),
        ({"tags.novel": True}, "tags.novel is true but must be false"),
        ({"tags.hard_negative": True, "tags.negative_kind": "version"}, "only negatives"),
        ({"tags.negative_kind": "version"}, "hard_negative is false"),
        ({"tags.negative_kind": "weird_kind"}, "tags.negative_kind is 'weird_kind'"),
        ({"has_pii": "yes"}, "has_pii' must be true or false"),
        ({"extra": 1}, "unknown field 'extra'"),
    ],
)
def test_each_problem_is_named(changes, expected):
    problems = validate_record(record(**changes))
    assert any(expected in p for p in problems), problems


SPANS = [[0, 15, "PERSON_NAME"], [25, 33, "STREET_ADDRESS"]]  # "Maria Lindqvist", "Elm St 4"


def test_spans_and_length_are_optional_and_valid_when_consistent():
    assert validate_record(record(spans=SPANS, **{"tags.length": "short"})) == []
    assert validate_record({**NEGATIVE, "spans": []}) == []
    long = record(text="x" * 1500, spans=[[0, 5, "PERSON_NAME"], [9, 12, "STREET_ADDRESS"]])
    long["tags"]["length"] = "long"
    assert validate_record(long) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"spans": "0-15"}, "field 'spans' must be a list of [start, end, type] triples"),
        ({"spans": [[0, 15]]}, "spans[0] must be [start, end, type] with integer offsets"),
        ({"spans": [[0, True, "PERSON_NAME"]]}, "spans[0] must be [start, end, type]"),
        ({"spans": [[0, 34, "PERSON_NAME"]]}, "spans[0] is 0-34, outside the text (length 33)"),
        ({"spans": [[5, 5, "PERSON_NAME"]]}, "spans[0] is 5-5, outside the text (length 33) or empty"),
        ({"spans": [[-1, 5, "PERSON_NAME"]]}, "outside the text"),
        ({"spans": [[0, 15, "SHOE_SIZE"]]}, "unknown type 'SHOE_SIZE' in spans[0]"),
        ({"spans": [*SPANS, [16, 21, "EMAIL"]]}, "spans[2] has type 'EMAIL' but pii_types does not"),
        ({"spans": SPANS[::-1]}, "spans are not sorted by start"),
        ({"spans": SPANS[:1]}, "pii_types lists STREET_ADDRESS but no span has that type"),
        ({"tags.length": "medium"}, "tags.length is 'medium'; use one of short, long"),
        ({"tags.length": "long"}, "tags.length is 'long' but the text has 33 characters; set it to 'short'"),
    ],
)  # fmt: skip
def test_bad_spans_and_length_are_named(changes, expected):
    problems = validate_record(record(**changes))
    assert any(expected in p for p in problems), problems
    assert not any("Maria" in p or "Elm" in p for p in problems)


def test_a_negative_has_no_spans():
    problems = validate_record({**NEGATIVE, "spans": [[0, 5, "PERSON_NAME"]]})
    assert any("has_pii is false but spans has 1 entries; a negative has no spans" in p
               for p in problems), problems  # fmt: skip


def test_novel_must_follow_the_taxonomy():
    r = record(pii_types=["DEVICE_ID"])
    assert any("tags.novel is false but must be true" in p for p in validate_record(r))
    r["tags"]["novel"] = True
    assert validate_record(r) == []
    assert validate_record(record(**{"tags.format": "code", "tags.novel": True})) == []


def test_missing_fields_and_tags_are_listed():
    r = record()
    del r["template_id"]
    del r["tags"]["negative_kind"]
    problems = validate_record(r)
    assert any("missing field 'template_id'" in p for p in problems)
    assert any("missing tag 'tags.negative_kind'" in p for p in problems)


def test_messages_never_show_text_or_text_like_values():
    r = record(pii_types=[SECRET], has_pii="Maria Lindqvist")
    r["tags"]["format"] = SECRET
    problems = validate_record(r)
    assert problems
    assert not any("Maria" in p for p in problems)


def test_read_records_names_file_line_and_id(tmp_path):
    path = write(tmp_path / "g.jsonl", [GOOD, record(id="test-000009", pii_types=["NOPE"])])
    with pytest.raises(DataError) as e:
        read_records(path)
    assert str(e.value).startswith(f"{path}:2: id=test-000009: unknown type 'NOPE'")
    assert "Maria" not in str(e.value)


def test_malformed_json_line_is_named(tmp_path):
    path = write(tmp_path / "g.jsonl", [GOOD, '{"id": "x", "text": "Maria Lindqvist"'])
    with pytest.raises(DataError, match=rf"{path}:2: malformed JSON") as e:
        read_records(path)
    assert "Maria" not in str(e.value)


def test_invalid_utf8_is_named(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + b'{"text": "caf\xe9"}\n')
    with pytest.raises(DataError, match=rf"{path}:2: invalid UTF-8"):
        read_records(path)


def test_has_pii_inconsistency_is_named(tmp_path):
    path = write(tmp_path / "g.jsonl", [record(has_pii=False)])
    with pytest.raises(DataError, match=r":1: id=test-000001: has_pii is false"):
        read_records(path)


def test_duplicate_id_names_both_lines(tmp_path):
    path = write(tmp_path / "g.jsonl", [GOOD, NEGATIVE, GOOD])
    with pytest.raises(DataError, match=r":3: id=test-000001: duplicate id \(first on line 1\)"):
        read_records(path)


def test_empty_file_is_an_error(tmp_path):
    with pytest.raises(DataError, match="no records"):
        read_records(write(tmp_path / "g.jsonl", [""]))


def test_load_golden_returns_a_dataset(tmp_path):
    path = write(tmp_path / "g.jsonl", [GOOD, NEGATIVE])
    ds = load_golden(path)
    assert len(ds) == 2
    assert ds.column_names == [
        "id", "text", "has_pii", "pii_types", "tags", "template_id", "spans"]  # fmt: skip
    assert ds[0]["pii_types"] == ["PERSON_NAME", "STREET_ADDRESS"]
    assert ds[1]["tags"]["negative_kind"] == "order_number"
    assert ds.features["tags"]["negative_kind"].dtype == "string"
    assert ds[0]["tags"]["length"] == "short"  # filled in from the text when a file lacks it
    assert ds[0]["spans"] is None  # no spans field: unknown


def test_load_golden_keeps_spans(tmp_path):
    ds = load_golden(write(tmp_path / "g.jsonl", [record(spans=SPANS), {**NEGATIVE, "spans": []}]))
    assert ds[0]["spans"] == [
        {"start": 0, "end": 15, "type": "PERSON_NAME"},
        {"start": 25, "end": 33, "type": "STREET_ADDRESS"},
    ]
    assert ds[1]["spans"] == []


def test_load_golden_all_null_negative_kind_stays_a_string_column(tmp_path):
    ds = load_golden(write(tmp_path / "g.jsonl", [GOOD]))
    assert ds.features["tags"]["negative_kind"].dtype == "string"
    assert ds[0]["tags"]["negative_kind"] is None
