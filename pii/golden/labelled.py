"""A user's own labelled texts: the minimal `{text, has_pii}` JSONL or a `text,label` CSV/TSV.

`read_labelled(path, ...)` returns records the bench scores like golden ones: `id`, `text`,
`has_pii`, `pii_types` (from a types column or field when there is one, else empty) and the
`tags` the file gives (none required: the bench reports a slice only where its tag is
present). A golden-schema JSONL file is read strictly, as it is. Labels may be
yes/no/1/0/true/false/y/n in any case, or JSON booleans. `to_golden` turns such records
into full golden records for `pii golden import --format csv|jsonl` and `pii golden check`:
every positive then needs its PII types.

Every problem is a DataError naming file:line and the fix; cell contents and texts are never
quoted back. Left out: the golden schema's rules (pii.golden.schema).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pii.errors import DataError
from pii.golden.schema import IMPORT_TEMPLATE_ID, RECORD_KEYS, length_tag, show, validate_record
from pii.jsonl import iter_jsonl
from pii.table_input import SUFFIXES, column, read_rows
from pii.taxonomy import PII_TYPES, is_novel

TRUE = {"1", "yes", "y", "true", "t", "pii"}
FALSE = {"0", "no", "n", "false", "f", "none", "clean"}
LABELS = "yes/no, 1/0 or true/false"


def label(value: Any, where: str) -> bool:
    """A label cell or field as a bool; DataError naming `where` otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
        return value.strip().lower() in TRUE
    shown = show(value) if isinstance(value, str) and len(value) <= 12 else type(value).__name__
    raise DataError(f"{where}: label {shown} is not {LABELS}; fix the label")


def _types(value: Any, where: str) -> list[str]:
    """PII types from a cell ("EMAIL;PHONE" or "EMAIL,PHONE") or a JSON list."""
    if value is None or value == "":
        return []
    items = re.split(r"[;,|]", value) if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
        raise DataError(f"{where}: PII types must be a list of names like EMAIL;PHONE")
    types = sorted({t.strip() for t in items if t.strip()})
    unknown = [t for t in types if t not in PII_TYPES]
    if unknown:
        raise DataError(f"{where}: unknown PII type {show(unknown[0])}; use {', '.join(PII_TYPES)}")
    return types


def _record(rid: str, text: Any, has_pii: bool, types: list[str], where: str) -> dict[str, Any]:
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"{where}: empty or missing text")
    if types and not has_pii:
        raise DataError(f"{where}: PII types given but the label says no PII; fix one of them")
    tags = {"length": length_tag(text)}
    return {"id": rid, "text": text, "has_pii": has_pii, "pii_types": types, "tags": tags}


def _is_golden(obj: dict[str, Any]) -> bool:
    return all(k in obj for k in RECORD_KEYS)


def read_labelled(
    path: str | Path,
    *,
    text_column: str = "text",
    label_column: str = "label",
    id_column: str | None = None,
    types_column: str | None = None,
) -> list[dict[str, Any]]:
    """The records of a labelled CSV/TSV or JSONL file (see the module's docstring)."""
    path = Path(path)
    if path.suffix.lower() in SUFFIXES:
        records = _from_table(path, text_column, label_column, id_column, types_column)
    else:
        records = _from_jsonl(path)
    seen: set[str] = set()
    for r in records:
        if r["id"] in seen:
            raise DataError(f"{path}: id {show(r['id'])} is used twice; ids must be unique")
        seen.add(r["id"])
    return records


def _from_table(
    path: Path, text_column: str, label_column: str, id_column: str | None, types_column: str | None
) -> list[dict[str, Any]]:
    header, rows = read_rows(path)
    t_at = column(path, header, text_column, "--text-column")
    l_at = column(path, header, label_column, "--label-column")
    i_at = column(path, header, id_column) if id_column else None
    y_at = column(path, header, types_column) if types_column else None
    stem = path.stem
    records = []
    for line, row in rows:
        where = f"{path}:{line}"
        rid = row[i_at].strip() if i_at is not None else f"{stem}-{line:06d}"
        if not rid:
            raise DataError(f"{where}: empty id in column '{id_column}'")
        types = _types(row[y_at], where) if y_at is not None else []
        records.append(_record(rid, row[t_at], label(row[l_at], where), types, where))
    return records


def _from_jsonl(path: Path) -> list[dict[str, Any]]:
    from pii.golden.schema import read_records

    records: list[dict[str, Any]] = []
    for lineno, obj in iter_jsonl(path):
        if lineno == 1 and _is_golden(obj):
            return read_records(path)  # a golden file: the full schema, strictly
        where = f"{path}:{lineno}"
        value = obj.get("has_pii", obj.get("label"))
        if value is None:
            raise DataError(f"{where}: no 'has_pii' (or 'label') field; give {LABELS}")
        rid = obj.get("id", f"{path.stem}-{lineno:06d}")
        if not isinstance(rid, str | int) or isinstance(rid, bool) or not str(rid).strip():
            raise DataError(f"{where}: 'id' must be a non-empty string")
        types = _types(obj.get("pii_types"), where)
        record = _record(str(rid), obj.get("text"), label(value, where), types, where)
        if isinstance(obj.get("tags"), dict):
            record["tags"] = {**obj["tags"], **record["tags"]}
        records.append(record)
    if not records:
        raise DataError(f"{path}: no records; give one JSON object a line")
    return records


def to_golden(
    records: list[dict[str, Any]], path: Path, tag_format: str, language: str
) -> list[dict[str, Any]]:
    """Full golden records (tags filled with the given format and language, medium difficulty,
    template 'import'); DataError for a positive without PII types."""
    out = []
    for r in records:
        if r["has_pii"] and not r["pii_types"]:
            raise DataError(
                f"{path}: id {show(r['id'])} is labelled PII but names no PII types; the golden "
                "schema needs them (a types column, e.g. --types-column types with EMAIL;PHONE). "
                "`pii bench --data` reads the file without them"
            )
        record = {
            "id": r["id"],
            "text": r["text"],
            "has_pii": r["has_pii"],
            "pii_types": r["pii_types"],
            "tags": {
                "format": tag_format,
                "language": language,
                "difficulty": "medium",
                "obfuscated": False,
                "novel": is_novel(r["pii_types"], tag_format),
                "hard_negative": False,
                "negative_kind": None,
                "length": length_tag(r["text"]),
            },
            "template_id": IMPORT_TEMPLATE_ID,
        }
        problems = validate_record(record)
        if problems:
            raise DataError(f"{path}: id {show(r['id'])}: {problems[0]}")
        out.append(record)
    return out
