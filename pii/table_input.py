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


def read_table(
    path: str | Path, text_column: str | None = None, id_column: str | None = None
) -> list[tuple[str, str]]:
    """(id, text) for every data row of a CSV (.csv) or TSV (.tsv) file."""
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
    try:
        header = next(reader, None)
        if not header:
            raise DataError(f"{path}: empty file; the first row must name the columns")
        header = [h.strip() for h in header]
        column = text_column or "text"
        if column not in header:
            hint = "" if text_column else "; name the text column with --text-column NAME"
            raise DataError(f"{path}: no column '{column}' (columns: {', '.join(header)}){hint}")
        if id_column is not None and id_column not in header:
            raise DataError(f"{path}: no column '{id_column}' (columns: {', '.join(header)})")
        t_at = header.index(column)
        i_at = header.index(id_column) if id_column is not None else None
        items: list[tuple[str, str]] = []
        seen: set[str] = set()
        for row in reader:
            line = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue  # blank line
            if len(row) != len(header):
                raise DataError(
                    f"{path}:{line}: {len(row)} fields where the header has {len(header)}; "
                    "quote fields that hold the delimiter"
                )
            text = row[t_at]
            if not text.strip():
                raise DataError(f"{path}:{line}: empty '{column}' cell; nothing to classify")
            item_id = row[i_at].strip() if i_at is not None else str(line)
            if i_at is not None and (not item_id or item_id in seen):
                what = "empty" if not item_id else "repeated"
                raise DataError(f"{path}:{line}: {what} id in column '{id_column}'")
            seen.add(item_id)
            items.append((item_id, text))
    except csv.Error as e:
        raise DataError(
            f"{path}:{reader.line_num}: malformed {path.suffix[1:].upper()} ({e})"
        ) from None
    if not items:
        raise DataError(f"{path}: no data rows under the header")
    return items
