"""Reading and writing JSONL and plain-text inputs, with errors that name the line.

Errors never quote the offending line: it may hold personal data.
Writes are atomic (temp file + rename), so a failure never leaves half a file.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pii.errors import DataError

STDIN = "-"  # read_texts("-") reads standard input


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, decoded line) of a file, or of standard input for "-"."""
    if str(path) == STDIN:
        yield from _decoded(sys.stdin.buffer.read().splitlines(keepends=True), "<stdin>")
        return
    if not path.exists():
        hint = ""
        if str(path).lower() in ("true", "false", "yes", "no", "1", "0"):
            hint = f"; a flag takes no value: drop {str(path)!r} after it"
        raise DataError(f"{path}: file not found{hint}")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a file")
    with path.open("rb") as f:
        yield from _decoded(f, str(path))


def _decoded(raw_lines: Iterable[bytes], where: str) -> Iterator[tuple[int, str]]:
    for lineno, raw in enumerate(raw_lines, start=1):
        try:
            yield lineno, raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise DataError(
                f"{where}:{lineno}: invalid UTF-8 at byte {e.start}; save or send it as UTF-8"
            ) from None


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; each line must be a JSON object."""
    path = Path(path)
    for lineno, line in _lines(path):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(
                f"{path}:{lineno}: malformed JSON ({e.msg} at column {e.colno}); "
                "each line must be one JSON object"
            ) from None
        if not isinstance(obj, dict):
            raise DataError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
        yield lineno, obj


def read_texts(path: str | Path) -> list[tuple[str, str]]:
    """(id, text) pairs from a .jsonl file (a `text` field, optional `id`) or a .txt file
    (one text a line). Ids default to `<line number>`."""
    path = Path(path)
    if str(path) == STDIN:
        return _read_stdin(path)
    items: list[tuple[str, str]] = []
    suffix = path.suffix.lower()
    if suffix in (".json", ".csv", ".tsv"):
        raise DataError(
            f"{path}: a {suffix} file; give JSONL (one JSON object with a `text` field a line) "
            "or plain text (one text a line, any other extension)"
        )
    if suffix == ".jsonl":
        for lineno, obj in iter_jsonl(path):
            text = obj.get("text")
            if not isinstance(text, str):
                raise DataError(f"{path}:{lineno}: missing string field 'text'")
            items.append((str(obj.get("id", lineno)), text))
    else:
        for lineno, line in _lines(path):
            line = line.rstrip("\r\n")
            if line.strip():
                items.append((str(lineno), line))
    if not items:
        raise DataError(f"{path}: no texts found")
    return items


def _read_stdin(path: Path) -> list[tuple[str, str]]:
    """Standard input as JSONL when its first non-blank line is a JSON object, else text
    lines (ids: line numbers)."""
    lines = [(n, line) for n, line in _lines(path) if line.strip()]
    if not lines:
        raise DataError("<stdin>: no texts found")
    items: list[tuple[str, str]] = []
    if lines[0][1].lstrip().startswith("{"):
        for lineno, line in lines:
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(
                    f"<stdin>:{lineno}: malformed JSON ({e.msg}); one object a line"
                ) from None
            text = obj.get("text") if isinstance(obj, dict) else None
            if not isinstance(text, str):
                raise DataError(f"<stdin>:{lineno}: missing string field 'text'")
            items.append((str(obj.get("id", lineno)), text))
    else:
        items = [(str(n), line.rstrip("\r\n")) for n, line in lines]
    return items


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write a whole file atomically: readers see the old file or the new one, never half.
    A path that cannot be written (a folder in the way, a file where a folder should be, no
    permission, a full disk) is a DataError naming it; the old file stays as it was."""
    path = Path(path)
    try:
        _write_atomic(path, data)
    except OSError as e:
        why = "is a folder; give a file name" if path.is_dir() else unwritable(path, e)
        raise DataError(f"{path}: cannot write ({why}); nothing was changed") from None


def unwritable(path: Path, error: OSError) -> str:
    """Why `path` could not be written: a file standing where one of its folders should be,
    else the system's reason."""
    if any(p.exists() and not p.is_dir() for p in path.parents):
        return "a file stands where a folder of this path should be"
    return error.strerror or type(error).__name__


def _write_atomic(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes 0600; give what open() would
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> None:
    """Write records as JSONL atomically (UTF-8, one object a line, keys in given order)."""
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    write_atomic(path, body)


def current_umask() -> int:
    """The process umask (read by setting it and putting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
