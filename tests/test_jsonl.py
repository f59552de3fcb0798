import os
import stat

import pytest

from pii.errors import DataError
from pii.jsonl import read_texts, write_atomic


def test_write_atomic_gives_normal_permissions_and_replaces_whole(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    write_atomic(path, "new")
    assert path.read_text() == "new"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_write_atomic_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    with pytest.raises(TypeError):
        write_atomic(path, 123)  # type: ignore[arg-type]
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_read_texts_names_the_line_of_invalid_utf8(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"fine\nbad \xff byte\n")
    with pytest.raises(DataError, match=r"t.txt:2: invalid UTF-8"):
        read_texts(path)


def test_unwritable_destinations_are_one_line_errors_and_change_nothing(tmp_path):
    """Regression: `golden import --out DIR` and `decide --out FILE` gave tracebacks."""
    from typer.testing import CliRunner

    from pii.cli import app
    from pii.errors import DataError
    from pii.jsonl import write_atomic

    a_file = tmp_path / "a-file"
    a_file.write_text("keep")
    with pytest.raises(DataError, match="a file stands where a folder"):
        write_atomic(a_file / "decision.json", "{}")
    with pytest.raises(DataError, match="is a folder; give a file name"):
        write_atomic(tmp_path, "{}")
    assert a_file.read_text() == "keep"
    result = CliRunner().invoke(app, ["decide", "--calls-per-month", "1000", "--out", str(a_file)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    corpus = tmp_path / "c.json"
    corpus.write_text('[{"full_text": "Call Ann Lee at 0176 1234567", "spans": []}]')
    args = ["golden", "import", str(corpus), "--format", "presidio-research"]
    result = CliRunner().invoke(app, [*args, "--map", "PERSON=PERSON_NAME", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "is a folder" in result.output
    assert "Traceback" not in result.output
