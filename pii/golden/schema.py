"""The golden record schema: validate one record, read a file of them, load it as a Dataset.

`validate_record` returns every problem of one record as a message that names the field and
the fix; `read_records`/`load_golden` stop at the first problem and name file:line and id;
`pii golden check` (pii/golden/check.py) collects them all. Messages never quote the text,
and show other values only when they look like labels (short identifier-like strings).

Two things are optional, so files written before them (and imported corpora) stay valid:
`spans`, the character offsets of the PII values (`[[start, end, "TYPE"], ...]`, end
exclusive, sorted by start; absent means unknown, `[]` on a negative means none), and the
tag `length` ("long" for 1,500 characters or more, else "short"), which follows from the
text. When present, both must agree with the rest of the record.

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

RECORD_KEYS = ("id", "text", "has_pii", "pii_types", "tags", "template_id")  # all required
OPTIONAL_KEYS = ("spans",)  # written after RECORD_KEYS when present
TAG_KEYS = (
    "format",
    "language",
    "difficulty",
    "obfuscated",
    "novel",
    "hard_negative",
    "negative_kind",
    "length",
)
OPTIONAL_TAGS = ("length",)  # derived from the text: may be absent, must match when present
LENGTHS = ("short", "long")
LONG_CHARS = 1500  # tags.length is "long" from this many characters on
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
# template_id of a long document joined from renders of one split's templates (each split
# builds its own from its own templates, so the id is shared but no template is).
COMPOSITE_TEMPLATE_ID = "composite"

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


def length_tag(text: str) -> str:
    """tags.length of a text: "long" from LONG_CHARS characters on, else "short"."""
    return "long" if len(text) >= LONG_CHARS else "short"


def _check_tags(tags: Any, problems: list[str]) -> None:
    if not isinstance(tags, dict):
        problems.append(f"field 'tags' must be an object with keys {', '.join(TAG_KEYS)}")
        return
    for key in TAG_KEYS:
        if key not in tags and key not in OPTIONAL_TAGS:
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
    if "length" in tags and tags["length"] not in LENGTHS:
        problems.append(
            f"tags.length is {show(tags['length'])}; use one of {', '.join(LENGTHS)} "
            f"(long from {LONG_CHARS} characters on)"
        )


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_spans(obj: dict[str, Any], types_ok: bool, problems: list[str]) -> None:
    """spans: [[start, end, type], ...] inside the text, sorted, typed as pii_types says."""
    spans, text = obj["spans"], obj.get("text")
    shape = "a list of [start, end, type] triples (omit the field when the spans are unknown)"
    if not isinstance(spans, list):
        problems.append(f"field 'spans' must be {shape}")
        return
    types = set(obj["pii_types"]) if types_ok else None
    seen: set[str] = set()
    starts: list[int] = []
    for i, span in enumerate(spans):
        if not (
            isinstance(span, list)
            and len(span) == 3
            and _int(span[0])
            and _int(span[1])
            and isinstance(span[2], str)
        ):
            problems.append(
                f"spans[{i}] must be [start, end, type] with integer offsets and a type name"
            )
            continue
        start, end, kind = span
        if isinstance(text, str) and not 0 <= start < end <= len(text):
            problems.append(
                f"spans[{i}] is {start}-{end}, outside the text (length {len(text)}) or "
                "empty; fix the offsets (0-based, end exclusive)"
            )
        if kind not in PII_TYPES:
            problems.append(
                f"unknown type {show(kind)} in spans[{i}]; use one of {', '.join(PII_TYPES)}"
            )
        elif types is not None and kind not in types:
            problems.append(
                f"spans[{i}] has type {show(kind)} but pii_types does not list it; "
                "add the type to pii_types or fix the span"
            )
        seen.add(kind)
        starts.append(start)
    if starts != sorted(starts):
        problems.append("spans are not sorted by start; sort them by their start offset")
    if obj.get("has_pii") is False and spans:
        problems.append(
            f"has_pii is false but spans has {len(spans)} entries; a negative has no spans "
            "(use [] or drop the field)"
        )
    elif types is not None and len(starts) == len(spans):
        missing = sorted(types - seen)
        if missing:
            problems.append(
                f"pii_types lists {', '.join(missing)} but no span has that type; spans, when "
                "present, must cover every type (add the span or drop the field)"
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
        if key not in RECORD_KEYS and key not in OPTIONAL_KEYS:
            problems.append(
                f"unknown field {show(key)}; remove it (fields: "
                f"{', '.join(RECORD_KEYS + OPTIONAL_KEYS)})"
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
    if "spans" in obj:
        _check_spans(obj, types_ok, problems)
    tags = obj.get("tags")
    if "tags" in obj:
        _check_tags(tags, problems)
    text = obj.get("text")
    if isinstance(tags, dict) and tags.get("length") in LENGTHS and isinstance(text, str):
        expected = length_tag(text)
        if tags["length"] != expected:
            problems.append(
                f"tags.length is {show(tags['length'])} but the text has {len(text)} "
                f"characters; set it to {expected!r} (long from {LONG_CHARS} characters on)"
            )
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

    string, boolean, integer = Value("string"), Value("bool"), Value("int32")
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
                "length": string,
            },
            "template_id": string,
            # null where a record has no spans field (unknown), else its spans
            "spans": List({"start": integer, "end": integer, "type": string}),
        }
    )


def load_golden(path: str | Path) -> datasets.Dataset:
    """Read and validate a golden JSONL file line by line, then build a Hugging Face
    `datasets.Dataset` from it in memory (no hub, no network, no cache files). Every row
    has tags.length (computed from the text where the file lacks it) and a `spans` column:
    a list of {start, end, type}, or None where the record has no spans field."""
    records = read_records(path)
    from datasets import Dataset  # imported late: it is slow, and only loading needs it

    rows = [{key: r[key] for key in RECORD_KEYS} for r in records]
    for row, r in zip(rows, records, strict=True):
        tags = {**r["tags"], "length": r["tags"].get("length") or length_tag(r["text"])}
        row["tags"] = {key: tags[key] for key in TAG_KEYS}
        spans = r.get("spans")
        row["spans"] = (
            None if spans is None else [{"start": s, "end": e, "type": t} for s, e, t in spans]
        )
    return Dataset.from_list(rows, features=features())
