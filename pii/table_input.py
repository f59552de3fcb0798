"""Texts from a CSV or TSV file: a header row, one text a row, in a named column.

`read_table(path, text_column, id_column)` returns (id, text) pairs like
pii.jsonl.read_texts. The id is the id column's value when one is named, else the row's line
number. Every problem is a DataError naming the file, the line and the fix; cell contents are
never quoted back (they may be personal data), only column names.

Left out: JSONL and plain-text input (pii.jsonl).
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from pii.errors import DataError

SUFFIXES = {".csv": ",", ".tsv": "\t"}


def is_table(path: str | Path) -> bool:
    return Path(path).suffix.lower() in SUFFIXES


def read_rows(path: str | Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (stripped names) and every non-blank data row with its line number, each
    row as long as the header; DataError naming file:line otherwise."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (IsADirectoryError, PermissionError) as e:
        raise DataError(f"{path}: cannot read ({e.strerror})") from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not valid UTF-8; save the file as UTF-8") from None
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=SUFFIXES[path.suffix.lower()])
    rows: list[tuple[int, list[str]]] = []
    try:
        header = next(reader, None)
        if not header:
            raise DataError(f"{path}: empty file; the first row must name the columns")
        header = [h.strip() for h in header]
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue  # blank line
            if len(row) != len(header):
                raise DataError(
                    f"{path}:{reader.line_num}: {len(row)} fields where the header has "
                    f"{len(header)}; quote fields that hold the delimiter"
                )
            rows.append((reader.line_num, row))
    except csv.Error as e:
        raise DataError(
            f"{path}:{reader.line_num}: malformed {path.suffix[1:].upper()} ({e})"
        ) from None
    if not rows:
        raise DataError(f"{path}: no data rows under the header")
    return header, rows


def column(path: Path, header: list[str], name: str, option: str | None = None) -> int:
    """The index of column `name`; DataError naming the columns (and the option to use)."""
    if name not in header:
        hint = f"; name the {name} column with {option} NAME" if option else ""
        raise DataError(f"{path}: no column '{name}' (columns: {', '.join(header)}){hint}")
    return header.index(name)


def read_table(
    path: str | Path, text_column: str | None = None, id_column: str | None = None
) -> list[tuple[str, str]]:
    """(id, text) for every data row of a CSV (.csv) or TSV (.tsv) file."""
    path = Path(path)
    header, rows = read_rows(path)
    name = text_column or "text"
    t_at = column(path, header, name, None if text_column else "--text-column")
    i_at = column(path, header, id_column) if id_column is not None else None
    items: list[tuple[str, str]] = []
    seen: set[str] = set()
    for line, row in rows:
        text = row[t_at]
        if not text.strip():
            raise DataError(f"{path}:{line}: empty '{name}' cell; nothing to classify")
        item_id = row[i_at].strip() if i_at is not None else str(line)
        if i_at is not None and (not item_id or item_id in seen):
            what = "empty" if not item_id else "repeated"
            raise DataError(f"{path}:{line}: {what} id in column '{id_column}'")
        seen.add(item_id)
        items.append((item_id, text))
    return items
