import json

import pytest
from typer.testing import CliRunner

from pii import __version__
from pii.classifiers.fewshot import FewShotConfig
from pii.cli import app
from pii.hashing import sha256_file

runner = CliRunner()


@pytest.fixture(scope="module")
def k0_config(tmp_path_factory, tiny_model):
    path = tmp_path_factory.mktemp("cfg") / "baseline.json"
    FewShotConfig(model=str(tiny_model), k=0, threshold=0.5).save(path)
    return path


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_help_lists_every_command():
    result = run("-h")
    assert result.exit_code == 0
    for command in ("doctor", "classify", "models", "baseline", "golden"):
        assert command in result.output


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_models_list_names_the_default():
    result = run("models", "list")
    assert result.exit_code == 0 and "smollm2-135m (default)" in result.output


def test_doctor_json_reports_gemm_and_guard():
    result = run("doctor", "--json")
    info = json.loads(result.output)
    assert info["gemm_gflops"] > 0
    assert info["network_guard"] is True
    assert result.exit_code == (1 if info["problems"] else 0)


def test_classify_text_json(tiny_model, k0_config):
    result = run(
        "classify", "Call Maria Lopez", "--model", tiny_model, "--config", k0_config, "--json"
    )
    assert result.exit_code == 0, result.output
    row = json.loads(result.output.strip().splitlines()[-1])
    assert 0.0 <= row["p_pii"] <= 1.0 and row["has_pii"] == (row["p_pii"] >= 0.5)
    assert "Maria" not in result.output  # texts are never echoed


def test_classify_file_txt_and_jsonl(tiny_model, k0_config, tmp_path):
    txt = tmp_path / "t.txt"
    txt.write_text("first text\n\nsecond text\n")
    result = run("classify", "--file", txt, "--model", tiny_model, "--config", k0_config, "--json")
    assert result.exit_code == 0, result.output
    ids = [json.loads(line)["id"] for line in result.stdout.strip().splitlines()]
    assert ids == ["1", "3"]
    # stderr, a log here, gets plain progress lines (no bar) and never the text
    assert "classifying (windows): 2/2" in result.stderr and "first" not in result.stderr
    jl = tmp_path / "t.jsonl"
    jl.write_text('{"id": "a", "text": "x"}\n{"id": "b", "text": "y"}\n')
    result = run("classify", "-f", jl, "--model", tiny_model, "--config", k0_config)
    assert result.exit_code == 0 and "a" in result.output and "threshold 0.500" in result.output


def test_classify_reads_a_huge_text_as_windows_and_says_where(tiny_model, tmp_path):
    cfg = tmp_path / "c.json"
    FewShotConfig(model=str(tiny_model), k=0, max_text_tokens=64).save(cfg)
    text = "x" * 3_000 + " Maria Lopez +1 415 882 9931"
    result = run("classify", text, "--model", tiny_model, "--config", cfg, "--json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.output.strip().splitlines()[-1])
    assert row["windows"] > 1
    start, end = row["span"]
    assert 0 <= start < end <= len(text)
    assert "Maria" not in result.output  # spans only, never the text
    human = run("classify", text, "--model", tiny_model, "--config", cfg, "--threshold", "0")
    assert human.exit_code == 0 and "PII likely in characters" in human.output
    capped = run("classify", text, "--model", tiny_model, "--config", cfg, "--max-chars", "1000")
    assert capped.exit_code == 1
    assert "--max-chars 1,000" in capped.output and "Traceback" not in capped.output


def test_rules_say_where_their_matches_are(tmp_path):
    text = "Nothing here. " * 200 + "Write to maria.lopez@brightmail.net today."
    result = run("classify", text, "--classifier", "rules", "--json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.output.strip().splitlines()[-1])
    assert row["has_pii"] and "brightmail" not in result.output
    (match,) = [m for m in row["matches"] if m["type"] == "EMAIL"]
    assert text[match["start"] : match["end"]] == "maria.lopez@brightmail.net"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"text": "ok"}\n{"text": broken\n', "t.jsonl:2: malformed JSON"),
        (b'{"text": "ok"}\n{"text": "\xff\xfe"}\n', "t.jsonl:2: invalid UTF-8"),
        (b'{"id": 1}\n', "t.jsonl:1: missing string field 'text'"),
        (b'{"text": "  "}\n', "empty text"),
        (b"", "no texts found"),
    ],
)
def test_classify_bad_files_give_one_line_errors(tiny_model, k0_config, tmp_path, content, message):
    path = tmp_path / "t.jsonl"
    path.write_bytes(content)
    result = run("classify", "--file", path, "--model", tiny_model, "--config", k0_config)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_classify_empty_text_is_an_error(tiny_model, k0_config):
    result = run("classify", "", "--model", tiny_model, "--config", k0_config)
    assert result.exit_code == 1 and "empty text" in result.output


@pytest.mark.parametrize("kind", ["rules", "tfidf"])
@pytest.mark.parametrize("text", ["", "  \n\t "])
def test_every_classifier_refuses_an_empty_or_blank_text_alike(kind, text):
    result = run("classify", text, "--classifier", kind)
    assert result.exit_code == 1
    assert "the argument: empty text; nothing to classify" in result.output


def test_classify_unknown_model_is_an_error(k0_config):
    result = run("classify", "hello", "--model", "no-such-model", "--config", k0_config)
    assert result.exit_code == 1 and "unknown model 'no-such-model'" in result.output


def test_classify_without_tuned_config_says_how_to_tune(tiny_model, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    result = run("classify", "hello", "--model", "not/tuned")
    assert result.exit_code == 1 and "pii baseline tune" in result.output


def test_classify_bad_config_is_an_error(tiny_model, tmp_path):
    cfg = tmp_path / "bad.json"
    cfg.write_text('{"format_version": 1, "k": 3}')
    result = run("classify", "hello", "--model", tiny_model, "--config", cfg)
    assert result.exit_code == 1 and "k=3" in result.output


def test_usage_error_exit_code():
    result = run("classify", "--no-such-option")
    assert result.exit_code == 2


def test_train_then_classify_with_the_adapter(tiny_model, tmp_path):
    from tests.golden_fixtures import write_split

    train_file = write_split(tmp_path / "train.jsonl", "train", 32)
    valid_file = write_split(tmp_path / "valid.jsonl", "valid", 16, start=100)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "rank: 4\nnum_layers: 2\niters: 4\nbatch_size: 4\nmax_tokens: 32\n"
        "steps_per_eval: 2\nval_limit: null\nval_batches: 2\nwarmup: 0\nprecision: float32\n"
    )
    out = tmp_path / "adapter"
    args = [
        "train",
        "--out",
        out,
        "--config",
        recipe,
        "--model",
        tiny_model,
        "--train",
        train_file,
        "--valid",
        valid_file,
    ]
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "best step" in result.output
    assert "[best]" in result.output  # a log line is not parsed as rich markup
    again = run(*args)
    assert again.exit_code == 1 and "--resume" in again.output
    result = run("classify", "Call Maria Lopez", "--model", tiny_model, "--adapter", out, "--json")
    assert result.exit_code == 0, result.output
    assert 0 <= json.loads(result.output.strip().splitlines()[-1])["p_pii"] <= 1
    result = run("classify", "hello", "--model", tiny_model, "--adapter", tmp_path / "missing")
    assert result.exit_code == 1 and "adapter directory not found" in result.output


def test_train_bad_recipe_is_a_clear_error(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("learning_rate: -1\n")
    result = run("train", "--out", tmp_path / "o", "--config", recipe)
    assert result.exit_code == 1 and "learning_rate=-1" in result.output


def test_classify_with_a_tampered_embedded_gguf_is_a_clear_error(
    tiny_model, k0_config, tmp_path, monkeypatch
):
    from pii.engine import models
    from tests.tiny import make_gguf

    gguf = make_gguf(tiny_model, tmp_path / "model.gguf")
    good = sha256_file(gguf)
    data = bytearray(gguf.read_bytes())
    data[-5] ^= 0xFF
    gguf.write_bytes(bytes(data))
    spec = models.SPECS["smollm2-135m"]
    monkeypatch.setitem(
        models.SPECS, "smollm2-135m", type(spec)(**{**spec.__dict__, "sha256": good})
    )
    monkeypatch.setattr(models, "gguf_path", lambda s: gguf)
    result = run("classify", "hello", "--model", "smollm2-135m", "--config", k0_config)
    assert result.exit_code == 1
    assert "does not match" in result.output and "tampered" in result.output
    assert "Traceback" not in result.output


def test_stray_words_of_an_unquoted_text_are_counted_not_echoed():
    """Regression: click echoed the extra arguments (personal text) in its usage error."""
    from typer.testing import CliRunner

    from pii.cli import app

    for args in (
        ["classify", "--classifier", "rules", "Contact", "jane.doe@mail.com", "now"],
        ["golden", "stats", "golden/ood.jsonl", "Jane", "Doe"],
    ):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2
        assert "jane.doe@mail.com" not in result.output and "Doe" not in result.output
        flat = " ".join(result.output.replace("│", " ").split())  # the error panel wraps
        assert "got 2 unexpected extra argument(s)" in flat


def test_classify_reads_stdin_as_jsonl_or_text_lines():
    """Regression (issue 16): `-f -` answered "-: file not found"."""
    import json as _json

    from typer.testing import CliRunner

    from pii.cli import app

    args = ["classify", "--classifier", "rules", "-f", "-", "--json"]
    result = CliRunner().invoke(
        app, args, input="Call Jane Doe on 0176 4829 1157\nThe build passed.\n"
    )
    assert result.exit_code == 0, result.output
    rows = [_json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["1", "2"] and rows[0]["has_pii"] and not rows[1]["has_pii"]
    lines = '{"id": "a7", "text": "Mail jo.lee@web.de"}\n{"id": "b", "text": "No data."}\n'
    result = CliRunner().invoke(app, args, input=lines)
    assert [_json.loads(x)["id"] for x in result.stdout.splitlines()] == ["a7", "b"]
    result = CliRunner().invoke(app, args, input="")
    assert result.exit_code == 1 and "<stdin>: no texts found" in result.output


def test_adapter_kind_defaults_to_the_shipped_adapter_and_unknown_kinds_are_usage_errors():
    """Regression (issue 16): --classifier adapter needed --adapter although the bench used
    the shipped one; an unknown classifier exited 1, not 2 as the README promises."""
    from typer.testing import CliRunner

    from pii.classifiers.registry import preflight
    from pii.cli import app

    preflight("adapter", "smollm2-135m")  # finds adapters/smollm2-135m, loads no model
    result = CliRunner().invoke(app, ["classify", "--classifier", "foo", "x"])
    assert result.exit_code == 2 and "unknown classifier 'foo'" in result.output


def test_classify_reads_csv_and_tsv_by_column_and_keeps_the_ids(tmp_path):
    """Issue 16: `classify -f my.csv` scored the header row and the label column as text."""
    import json as _json

    from typer.testing import CliRunner

    from pii.cli import app

    csv_file = tmp_path / "mine.csv"
    csv_file.write_text(
        'ref,text,label\nA1,"Call Jane Doe on 0176 4829 1157, or write",1\nB2,The build passed.,0\n'
    )
    args = ["classify", "--classifier", "rules", "--json", "-f", str(csv_file)]
    result = CliRunner().invoke(app, [*args, "--id-column", "ref"])
    assert result.exit_code == 0, result.output
    rows = [_json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["has_pii"]) for r in rows] == [("A1", True), ("B2", False)]
    tsv = tmp_path / "mine.tsv"
    tsv.write_text("body\tlabel\nMail jo.lee@web.de today\t1\n")
    result = CliRunner().invoke(
        app,
        ["classify", "--classifier", "rules", "--json", "-f", str(tsv), "--text-column", "body"],
    )
    assert result.exit_code == 0 and _json.loads(result.stdout)["id"] == "2"  # the line number
    for content, extra, message in [
        (
            "a,b\n1,2\n",
            [],
            "no column 'text' (columns: a, b); name the text column with --text-column",
        ),
        ("text\n\n", [], "no data rows"),
        ('text,x\n"Jane Doe secret,1\n', [], "1 fields where the header has 2"),
        ("text,x\nhello,1,2\n", [], "mine.csv:2: 3 fields"),
        ("text\n   \n", [], "no data rows"),
        ("text,ref\nhi,1\nyo,1\n", ["--id-column", "ref"], "mine.csv:3: repeated id"),
        ("text\nhi\n", ["--id-column", "nope"], "no column 'nope'"),
    ]:
        csv_file.write_text(content)
        result = CliRunner().invoke(app, [*args, *extra])
        assert result.exit_code == 1 and message in result.output, (content, result.output)
        assert "Jane Doe" not in result.output and "Traceback" not in result.output
    csv_file.write_bytes(b"text\nJos\xe9\n")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "mine.csv:2: not valid UTF-8" in result.output
    txt = tmp_path / "t.txt"
    txt.write_text("hello\n")
    result = CliRunner().invoke(
        app, ["classify", "--classifier", "rules", "-f", str(txt), "--text-column", "x"]
    )
    assert result.exit_code == 2
