"""`pii golden check` and `pii golden stats`: problems found, clean sets passed, exit codes."""

import json

import pytest
from typer.testing import CliRunner

from pii.cli import app
from pii.golden.check import check_files, normalise
from pii.golden.stats import golden_stats, stats_file

runner = CliRunner()

TRAIN_TEXTS = [
    ("en-email-001", "Hi {n}, please send the signed lease to {e} before Friday. Best, {m}"),
    ("en-chat-002", "my new number is {p}, text me when you land"),
    ("en-log-003", "{t} INFO login ok user={u} ip={i}"),
]
TEST_TEXTS = [
    ("en-sms-010", "Your parcel {p} is waiting at the depot, pick-up until {t}"),
    ("en-ticket-011", "Customer reports the app crashes on start since version {p}"),
]
FILL = [
    {"n": "Maria", "m": "Jonas Weber", "e": "maria.l@brightmail.net", "p": "+44 7700 123456",
     "t": "2024-03-01T10:00:00Z", "u": "mvoss", "i": "81.2.69.160"},
    {"n": "Peter", "m": "Ana Ruiz", "e": "p.k@post.de", "p": "0151 23456789",
     "t": "2024-05-02T11:00:00Z", "u": "lena_k", "i": "93.184.1.7"},
]  # fmt: skip


def rec(split, i, template_id, text, types=(), fmt=None):
    fmt = fmt or (template_id.split("-")[1] if "-" in template_id else "chat")
    return {
        "id": f"{split}-{i:06d}",
        "text": text,
        "has_pii": bool(types),
        "pii_types": sorted(types),
        "tags": {
            "format": fmt,
            "language": "en",
            "difficulty": "easy",
            "obfuscated": False,
            "novel": fmt == "code" or bool({"DEVICE_ID", "VEHICLE_ID"} & set(types)),
            "hard_negative": False,
            "negative_kind": None,
        },
        "template_id": template_id,
    }


def write(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.fixture
def golden(tmp_path):
    """A clean train/test pair: disjoint templates, no near-duplicates."""
    train = [
        rec("train", 2 * k + j + 1, tid, text.format(**FILL[j]), ("EMAIL",))
        for k, (tid, text) in enumerate(TRAIN_TEXTS)
        for j in range(2)
    ]
    test = [
        rec("test", 2 * k + j + 1, tid, text.format(**FILL[j]))
        for k, (tid, text) in enumerate(TEST_TEXTS)
        for j in range(2)
    ]
    return write(tmp_path / "golden/train.jsonl", train), write(
        tmp_path / "golden/test.jsonl", test
    )


def test_normalise_masks_values_and_keeps_the_skeleton():
    a = normalise(TRAIN_TEXTS[0][1].format(**FILL[0]))
    b = normalise(TRAIN_TEXTS[0][1].format(**FILL[1]))
    assert a == b
    assert "<email>" in a and "<cap>" in a
    assert not any("maria" in t for t in a)
    assert normalise('{"ip":"81.2.69.160","user":"x"}') == ["ip", "<num>", "user", "x"]


def test_clean_set_passes(golden):
    result = check_files(golden)
    assert result.ok, [str(p) for p in result.problems]
    assert result.records == 10


def test_planted_near_duplicate_is_reported_with_both_lines(golden):
    train, test = golden
    lines = test.read_text().splitlines()
    # Same skeleton as train line 1 (en-email-001) with other values and one word added.
    text = "Hi Olga, please send the signed lease back to o.p@mail.fr before Monday. Best, Li Wu"
    lines.append(json.dumps(rec("test", 5, "en-email-099", text, ("EMAIL",))))
    test.write_text("\n".join(lines) + "\n")
    problems = [str(p) for p in check_files([train, test]).problems]
    assert len(problems) == 1
    assert problems[0].startswith(f"{test}:5: id=test-000005: leakage: near-duplicate of")
    assert f"{train}:1 (id=train-000001)" in problems[0]
    assert "Jaccard" in problems[0] and "Olga" not in problems[0]


def test_shared_template_id_and_held_out_in_train_are_reported(golden):
    train, test = golden
    records = [json.loads(x) for x in train.read_text().splitlines()]
    records.append(rec("train", 7, "en-sms-010", "unrelated words here and there", ()))
    records.append(rec("train", 8, "en-log-050", "device a4:5e:60:c2:19:0b joined", ("DEVICE_ID",)))
    records.append(rec("train", 9, "en-code-001", "API_KEY = 'ghp_x1y2'", ("CREDENTIAL",)))
    write(train, records)
    problems = [str(p) for p in check_files([train, test]).problems]
    assert any(
        p.startswith(f"{train}:7: ") and "'en-sms-010' is also used in" in p for p in problems
    )
    assert any(
        p.startswith(f"{test}:1: ") and "'en-sms-010' is also used in" in p for p in problems
    )
    assert any(p.startswith(f"{train}:8: ") and "held-out DEVICE_ID" in p for p in problems)
    assert any(p.startswith(f"{train}:9: ") and "held-out format code" in p for p in problems)


def test_composite_template_id_may_be_in_every_split(golden):
    """Each split joins its composites from its own templates: the id is shared, no template
    is. A bad span or length tag is still a schema problem."""
    train, test = golden
    text = "we met and agreed on the plan for the week. " * 40 + "Call Jonas Weber."
    long = rec("test", 5, "composite", text, ("PERSON_NAME",))
    long["tags"]["length"] = "long"
    long["spans"] = [[len(text) - 12, len(text) - 1, "PERSON_NAME"]]
    other = {**long, "id": "train-000007", "text": "the weather stayed dry all day long. " * 50}
    other.update(has_pii=False, pii_types=[], spans=[])
    write(test, [*(json.loads(x) for x in test.read_text().splitlines()), long])
    write(train, [*(json.loads(x) for x in train.read_text().splitlines()), other])
    result = check_files([train, test])
    assert result.ok, [str(p) for p in result.problems]
    long["spans"] = [[0, len(text) + 1, "PERSON_NAME"]]
    long["tags"]["length"] = "short"
    write(test, [long])
    problems = [str(p) for p in check_files([train, test]).problems]
    assert any(f"{test}:1: id=test-000005: spans[0] is 0-" in p for p in problems), problems
    assert any("tags.length is 'short' but the text has" in p for p in problems), problems
    assert not any("Jonas" in p for p in problems)


def test_stats_count_composites_long_records_and_where_the_pii_is():
    texts = ["x" * 100, "x" * 1499, "y" * 2000, "z" * 2000]
    records = [rec("test", i, "t", t, ()) for i, t in enumerate(texts)]
    records[2].update(template_id="composite", has_pii=True, pii_types=["EMAIL"],
                      spans=[[1900, 1910, "EMAIL"]])  # fmt: skip
    records[3].update(has_pii=True, pii_types=["EMAIL"], spans=[[5, 9, "EMAIL"]])
    records[0]["spans"] = []
    stats = golden_stats(records)
    assert stats["slices"]["composite"] == 1 and stats["slices"]["template"] == 3
    assert stats["slices"]["long"] == 2 and stats["slices"]["long_positive"] == 2
    assert stats["spans"] == {
        "records": 3,
        "spans": 2,
        "positives": 2,
        "pii_starts_in_first_10pct": 1,
        "pii_starts_in_10_to_90pct": 0,
        "pii_only_in_last_10pct": 1,
    }


def test_schema_problems_duplicates_and_malformed_lines_are_all_reported(golden):
    train, test = golden
    records = [json.loads(x) for x in test.read_text().splitlines()]
    records[1]["pii_types"] = ["NOPE"]
    records[2]["id"] = records[0]["id"]
    records[3]["has_pii"] = True  # with no types
    write(test, records)
    with test.open("a") as f:
        f.write('{"id": "broken", "text": "Maria\n')
        f.write(json.dumps(records[0]) + "\n")  # never reached: the reader stops
    problems = [str(p) for p in check_files([train, test]).problems]
    assert any(p.startswith(f"{test}:2: id=test-000002: unknown type 'NOPE'") for p in problems)
    assert any(p.startswith(f"{test}:3: id=test-000001: duplicate id (first at") for p in problems)
    assert any(p.startswith(f"{test}:4: id=test-000004: has_pii is true") for p in problems)
    assert any(
        p.startswith(f"{test}:5: id=?: malformed JSON") and "not checked" in p for p in problems
    )
    assert not any("Maria" in p for p in problems)


def test_cli_check_ok_with_default_files(golden, monkeypatch):
    monkeypatch.chdir(golden[0].parent.parent)
    golden[1].rename(golden[1].with_name("valid.jsonl"))
    write(golden[1], [rec("test", 99, "en-form-020", "Please fill in the form below", ())])
    result = runner.invoke(app, ["golden", "check"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "ok: 11 records in 3 files, no problems"


def test_cli_check_problems_exit_1_one_line_each(golden, monkeypatch):
    train, test = golden
    monkeypatch.chdir(train.parent.parent)
    records = [json.loads(x) for x in test.read_text().splitlines()]
    records[0]["template_id"] = "en-email-001"  # shared with train
    records[1]["pii_types"] = ["NOPE"]
    write(test, records)
    # A single non-train file: leakage and sharing are checked against golden/train.jsonl.
    result = runner.invoke(app, ["golden", "check", "golden/test.jsonl"])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("golden/test.jsonl:2: id=test-000002: unknown type 'NOPE'")
    assert "problem(s)" in result.stderr
    result = runner.invoke(app, ["golden", "check", "golden/test.jsonl", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["problems"][0]["line"] == 2


def test_cli_check_with_explicit_train_finds_leak(golden, tmp_path):
    train, test = golden
    leak = write(
        tmp_path / "other.jsonl",
        [rec("x", 1, "en-chat-077", "my new number is 0151 999, text me when you land")],
    )
    result = runner.invoke(app, ["golden", "check", str(leak), "--train", str(train)])
    assert result.exit_code == 1
    assert "leakage" in result.stdout and "identical after normalisation" in result.stdout


def test_cli_check_missing_file_is_reported(tmp_path):
    result = runner.invoke(app, ["golden", "check", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 1
    assert "file not found" in result.stdout


def test_stats_counts(golden):
    train, test = golden
    stats = stats_file(train)
    assert stats["records"] == 6 and stats["positives"] == 6
    assert stats["per_type"]["EMAIL"] == 6 and stats["per_type"]["PHONE"] == 0
    assert stats["formats"]["email"] == 2 and stats["slices"]["hand"] == 0
    assert set(stats["length_chars"]) == {"min", "p25", "median", "p75", "p95", "max"}
    assert golden_stats([], "x")["length_words"] == {}


def test_stats_length_percentiles():
    records = [rec("t", i, "hand", "w " * n) for i, n in enumerate([1, 2, 3, 4, 5], start=1)]
    stats = golden_stats(records)
    assert stats["length_words"] == {
        "min": 1,
        "p25": 2,
        "median": 3,
        "p75": 4,
        "p95": 4.8,
        "max": 5,
    }
    assert stats["slices"]["hand"] == 5


def test_cli_stats_tables_json_and_error(golden):
    train, _ = golden
    result = runner.invoke(app, ["golden", "stats", str(train)])
    assert result.exit_code == 0 and "positives per type" in result.stdout
    result = runner.invoke(app, ["golden", "stats", str(train), "--json"])
    assert json.loads(result.stdout)["records"] == 6
    bad = write(train.parent / "bad.jsonl", [rec("t", 1, "hand", "x", ("NOPE",))])
    result = runner.invoke(app, ["golden", "stats", str(bad)])
    assert result.exit_code == 1
    assert "bad.jsonl:1: id=t-000001: unknown type 'NOPE'" in result.stderr


def test_stats_count_texts_per_length_band():
    from pii.golden.stats import golden_stats

    texts = ["x" * 199, "x" * 200, "x" * 999, "x" * 1000, "x" * 3000]
    records = [rec("test", i, "t", t, ()) for i, t in enumerate(texts)]
    assert golden_stats(records)["length_buckets"] == {
        "<200": 1,
        "200-999": 2,
        "1000-2999": 1,
        "3000+": 1,
    }


def test_a_template_id_that_is_not_label_like_is_not_echoed(tmp_path):
    """Regression: golden check printed template_id values verbatim (they may hold text)."""
    secret = "Call Jane Doe on 0176 1234567"
    a, b = tmp_path / "train.jsonl", tmp_path / "valid.jsonl"
    write(a, [rec("train", 1, secret, "one text here please", ("PHONE",))])
    write(b, [rec("valid", 1, secret, "another text entirely", ("PHONE",))])
    result = runner.invoke(app, ["golden", "check", str(a), str(b)])
    assert result.exit_code == 1 and "a str" in result.output
    assert "Jane" not in result.output
