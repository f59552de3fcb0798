"""The golden record schema: validate one record, read a file of them, load it as a Dataset.

`validate_record` returns every problem of one record as a message that names the field and
the fix; `read_records`/`load_golden` stop at the first problem and name file:line and id;
`pii golden check` (pii/golden/check.py) collects them all. Messages never quote the text,
and show other values only when they look like labels (short identifier-like strings).

Left out: cross-record rules (duplicate ids are caught here, but leakage, template sharing
between splits and held-out slices in train belong to the checker).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pii.errors import DataError
from pii.jsonl import iter_jsonl
from pii.taxonomy import DIFFICULTIES, FORMATS, LANGUAGES, PII_TYPES, is_novel

if TYPE_CHECKING:
    import datasets

RECORD_KEYS = ("id", "text", "has_pii", "pii_types", "tags", "template_id")
TAG_KEYS = (
    "format",
    "language",
    "difficulty",
    "obfuscated",
    "novel",
    "hard_negative",
    "negative_kind",
)
NEGATIVE_KINDS = (
    "order_number",
    "tracking_number",
    "version",
    "timestamp",
    "product_code",
    "invalid_checksum",
    "company_contact",
    "public_figure",
    "fictional",
    "placeholder",
    "reserved_example",
    "system_account",
    "uuid_or_hash",
    "private_ip",
    "landmark",
    "first_name_only",
    "bare_date",
    "statistics",
    "test_value",
)
# template_id of hand-written items; the only one several splits may share.
HAND_TEMPLATE_ID = "hand"
IMPORT_TEMPLATE_ID = "import"

_LABEL_LIKE = re.compile(r"[A-Za-z0-9_.:\-]{1,40}")


def show(value: Any) -> str:
    """A value fit for an error message: label-like strings quoted, anything else by type,
    so that a misplaced piece of personal text never reaches a message."""
    if isinstance(value, str) and _LABEL_LIKE.fullmatch(value):
        return repr(value)
    if isinstance(value, bool | int | float) or value is None:
        return repr(value)
    return f"a {type(value).__name__}"


def record_id(obj: Any) -> str:
    """The record's id for a message, or '?' when it has none fit to show."""
    rid = obj.get("id") if isinstance(obj, dict) else None
    return rid if isinstance(rid, str) and _LABEL_LIKE.fullmatch(rid) else "?"


def _check_tags(tags: Any, problems: list[str]) -> None:
    if not isinstance(tags, dict):
        problems.append(f"field 'tags' must be an object with keys {', '.join(TAG_KEYS)}")
        return
    for key in TAG_KEYS:
        if key not in tags:
            problems.append(f"missing tag 'tags.{key}'; add it (tags: {', '.join(TAG_KEYS)})")
    for key in tags:
        if key not in TAG_KEYS:
            problems.append(f"unknown tag 'tags.{key}'; remove it (tags: {', '.join(TAG_KEYS)})")
    for key, allowed in (
        ("format", FORMATS),
        ("language", LANGUAGES),
        ("difficulty", DIFFICULTIES),
    ):
        if key in tags and tags[key] not in allowed:
            problems.append(f"tags.{key} is {show(tags[key])}; use one of {', '.join(allowed)}")
    for key in ("obfuscated", "novel", "hard_negative"):
        if key in tags and not isinstance(tags[key], bool):
            problems.append(f"tags.{key} must be true or false, not {show(tags[key])}")
    kind = tags.get("negative_kind")
    if kind is not None and kind not in NEGATIVE_KINDS:
        problems.append(
            f"tags.negative_kind is {show(kind)}; use null or one of {', '.join(NEGATIVE_KINDS)}"
        )


def _check_types(types: Any, problems: list[str]) -> bool:
    """Check pii_types; True when it is a list of known type names (whatever its order)."""
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        problems.append("field 'pii_types' must be a list of type names (strings)")
        return False
    unknown = [t for t in types if t not in PII_TYPES]
    for t in unknown:
        problems.append(f"unknown type {show(t)} in pii_types; use one of {', '.join(PII_TYPES)}")
    if len(set(types)) != len(types):
        problems.append("pii_types lists a type twice; list each type once")
    elif types != sorted(types):
        problems.append("pii_types is not sorted; sort the type names alphabetically")
    return not unknown


def validate_record(obj: Any) -> list[str]:
    """Every schema problem of one golden record, as messages naming the field and the fix
    (empty list when the record is valid). Never quotes the record's text."""
    if not isinstance(obj, dict):
        return [f"expected a JSON object, got {type(obj).__name__}"]
    problems: list[str] = []
    for key in RECORD_KEYS:
        if key not in obj:
            problems.append(f"missing field '{key}'; every record needs {', '.join(RECORD_KEYS)}")
    for key in obj:
        if key not in RECORD_KEYS:
            problems.append(
                f"unknown field {show(key)}; remove it (fields: {', '.join(RECORD_KEYS)})"
            )
    if "id" in obj and (not isinstance(obj["id"], str) or not obj["id"].strip()):
        problems.append("field 'id' must be a non-empty string")
    if "text" in obj and (not isinstance(obj["text"], str) or not obj["text"].strip()):
        problems.append("field 'text' must be a non-empty string")
    if "template_id" in obj and (
        not isinstance(obj["template_id"], str) or not obj["template_id"].strip()
    ):
        problems.append("field 'template_id' must be a non-empty string ('hand' for hand-written)")
    has_pii = obj.get("has_pii")
    if "has_pii" in obj and not isinstance(has_pii, bool):
        problems.append(f"field 'has_pii' must be true or false, not {show(has_pii)}")
    types_ok = "pii_types" in obj and _check_types(obj["pii_types"], problems)
    if types_ok and isinstance(has_pii, bool) and has_pii != bool(obj["pii_types"]):
        problems.append(
            f"has_pii is {str(has_pii).lower()} but pii_types has {len(obj['pii_types'])} "
            "types; has_pii must be true exactly when pii_types is non-empty"
        )
    tags = obj.get("tags")
    if "tags" in obj:
        _check_tags(tags, problems)
    if isinstance(tags, dict):
        fmt, novel = tags.get("format"), tags.get("novel")
        if types_ok and fmt in FORMATS and isinstance(novel, bool):
            expected = is_novel(obj["pii_types"], fmt)
            if novel != expected:
                problems.append(
                    f"tags.novel is {str(novel).lower()} but must be {str(expected).lower()}: "
                    "novel means a held-out type (DEVICE_ID, VEHICLE_ID) or format (code)"
                )
        hard, kind = tags.get("hard_negative"), tags.get("negative_kind")
        if hard is True and has_pii is True:
            problems.append("tags.hard_negative is true on a positive; only negatives are hard")
        if hard is True and kind is None:
            problems.append("tags.hard_negative is true but tags.negative_kind is null; name it")
        if hard is False and kind is not None:
            problems.append(
                "tags.negative_kind is set but tags.hard_negative is false; "
                "set hard_negative to true or negative_kind to null"
            )
    return problems


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """All records of a golden JSONL file, validated; DataError at the first problem, naming
    file:line, the record id and the fix. Ids must be unique within the file."""
    path = Path(path)
    records: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for lineno, obj in iter_jsonl(path):
        problems = validate_record(obj)
        if problems:
            raise DataError(f"{path}:{lineno}: id={record_id(obj)}: {problems[0]}")
        rid = obj["id"]
        if rid in seen:
            raise DataError(
                f"{path}:{lineno}: id={record_id(obj)}: duplicate id (first on line "
                f"{seen[rid]}); give every record its own id"
            )
        seen[rid] = lineno
        records.append(obj)
    if not records:
        raise DataError(f"{path}: no records; a golden file needs at least one JSON line")
    return records


def features() -> datasets.Features:
    """The `datasets` feature schema of a golden record (explicit, so an all-null
    negative_kind column is still a string column)."""
    from datasets import Features, Value

    try:
        from datasets import List
    except ImportError:  # datasets < 4 spells a list feature Sequence
        from datasets import Sequence as List

    string, boolean = Value("string"), Value("bool")
    return Features(
        {
            "id": string,
            "text": string,
            "has_pii": boolean,
            "pii_types": List(string),
            "tags": {
                "format": string,
                "language": string,
                "difficulty": string,
                "obfuscated": boolean,
                "novel": boolean,
                "hard_negative": boolean,
                "negative_kind": string,
            },
            "template_id": string,
        }
    )


def load_golden(path: str | Path) -> datasets.Dataset:
    """Read and validate a golden JSONL file line by line, then build a Hugging Face
    `datasets.Dataset` from it in memory (no hub, no network, no cache files)."""
    records = read_records(path)
    from datasets import Dataset  # imported late: it is slow, and only loading needs it

    rows = [{key: r[key] for key in RECORD_KEYS} for r in records]
    for row in rows:
        row["tags"] = {key: row["tags"][key] for key in TAG_KEYS}
    return Dataset.from_list(rows, features=features())
