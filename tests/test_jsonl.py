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
