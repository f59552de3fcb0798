"""Convert span-annotated corpora to golden records, at the document level.

Readers: `presidio-research` (a JSON list of samples with `full_text` and `spans` of
`entity_type`/`start_position`/`end_position`), `brat` (a directory of .txt + .ann pairs, or
one .txt with its .ann beside it; `T` lines only) and `jsonl-spans` (one object a line with
`text`, `spans: [{start, end, label}]`, optional `id`). A mapping sends every source label to
a golden type or to IGNORE; a label the mapping misses is an error, never a silent drop.

A document becomes one record: `pii_types` is the set of mapped types of its spans, tags are
fixed (the caller's format and language, difficulty medium, not obfuscated, not a hard
negative; `novel` follows the taxonomy) and template_id is `import`.

Left out: span-level output (the golden set labels documents), checking that a span's
`entity_value` equals its text, and brat's relations, events, attributes and notes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pii.errors import ConfigError, DataError
from pii.golden.schema import IMPORT_TEMPLATE_ID, length_tag, show, validate_record
from pii.jsonl import iter_jsonl, write_jsonl
from pii.taxonomy import FORMATS, LANGUAGES, PII_TYPES, is_novel

SOURCE_FORMATS = ("presidio-research", "brat", "jsonl-spans", "csv", "jsonl")
LABELLED = ("csv", "jsonl")  # a text and a yes/no label a row (pii.golden.labelled)
IGNORE = "IGNORE"


@dataclass
class Doc:
    """One source document: where it came from (for messages), its text and labelled spans."""

    where: str
    text: str
    spans: list[tuple[str, int, int]]  # (label, start, end)
    id: str | None = None


@dataclass
class ImportSummary:
    out: str
    records: int = 0
    positives: int = 0
    per_type: Counter[str] = field(default_factory=Counter)


def load_mapping(spec: str) -> dict[str, str]:
    """Source label -> golden type or IGNORE, from a YAML/JSON file or inline `A=B,C=D`."""
    path = Path(spec)
    if path.is_file():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))  # JSON is valid YAML
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise ConfigError(
                f"{path}: not valid YAML/JSON ({type(e).__name__}); fix the file"
            ) from None
        where = str(path)
    elif "=" in spec:
        pairs = [p.split("=", 1) for p in spec.split(",") if p.strip()]
        if any(len(p) != 2 for p in pairs):
            raise ConfigError("inline mapping must be LABEL=TYPE pairs separated by commas")
        data, where = {k.strip(): v.strip() for k, v in pairs}, "inline mapping"
    else:
        raise ConfigError(
            f"{spec}: mapping file not found; pass a YAML/JSON file or inline pairs like "
            "PERSON=PERSON_NAME,DATE=IGNORE"
        )
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"{where}: a mapping must be a non-empty object of label: type")
    mapping: dict[str, str] = {}
    for label, target in data.items():
        if not isinstance(label, str):
            raise ConfigError(f"{where}: label {show(label)} is not a string; quote it")
        if not isinstance(target, str) or (target not in PII_TYPES and target != IGNORE):
            raise ConfigError(
                f"{where}: label {show(label)} maps to {show(target)}; map it to IGNORE or one "
                f"of {', '.join(PII_TYPES)}"
            )
        mapping[label] = target
    return mapping


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_presidio(path: Path) -> Iterator[Doc]:
    """Samples of a presidio-research JSON file (a list of objects)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: invalid UTF-8 at byte {e.start}; re-save it as UTF-8") from None
    except json.JSONDecodeError as e:
        raise DataError(
            f"{path}:{e.lineno}: malformed JSON ({e.msg} at column {e.colno})"
        ) from None
    if not isinstance(data, list):
        raise DataError(f"{path}: expected a JSON list of samples (presidio-research format)")
    for i, sample in enumerate(data, start=1):
        where = f"{path}: sample {i}"
        if not isinstance(sample, dict) or not isinstance(sample.get("full_text"), str):
            raise DataError(f"{where}: expected an object with a string 'full_text'")
        spans = []
        if not isinstance(sample.get("spans") or [], list):
            raise DataError(f"{where}: 'spans' must be a list of span objects")
        for span in sample.get("spans") or []:
            if not isinstance(span, dict):
                raise DataError(f"{where}: each span must be an object")
            start, end = _int(span.get("start_position")), _int(span.get("end_position"))
            if not isinstance(span.get("entity_type"), str) or start is None or end is None:
                raise DataError(
                    f"{where}: each span needs entity_type, start_position and end_position"
                )
            spans.append((span["entity_type"], start, end))
        sid = sample.get("id", sample.get("sample_id"))
        yield Doc(where, sample["full_text"], spans, None if sid is None else str(sid))


def _read_text(path: Path) -> str:
    try:
        # Bytes then decode: brat offsets count characters of the file as is, \r included.
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: invalid UTF-8 at byte {e.start}; re-save it as UTF-8") from None


def read_brat(path: Path) -> Iterator[Doc]:
    """Documents of a brat directory (every .txt with its .ann) or of one .txt/.ann pair."""
    if path.is_dir():
        texts = sorted(path.glob("*.txt"))
        if not texts:
            raise DataError(f"{path}: no .txt files; a brat corpus is .txt + .ann pairs")
    else:
        texts = [path.with_suffix(".txt")]
    for txt in texts:
        ann = txt.with_suffix(".ann")
        if not ann.exists():
            raise DataError(f"{ann}: missing; every .txt needs its .ann (empty if unannotated)")
        text, spans = _read_text(txt), []
        for lineno, line in enumerate(_read_text(ann).splitlines(), start=1):
            if not line.startswith("T"):
                continue  # relations, events, attributes, notes: not spans
            parts = line.split("\t")
            fields = parts[1].split(" ", 1) if len(parts) >= 2 else []
            try:
                label = fields[0]
                ranges = [tuple(map(int, r.split())) for r in fields[1].split(";")]
                if not label or any(len(r) != 2 for r in ranges):
                    raise ValueError
            except (IndexError, ValueError):
                raise DataError(
                    f"{ann}:{lineno}: not a brat text-bound line (T1<TAB>LABEL START END<TAB>text)"
                ) from None
            spans += [(label, start, end) for start, end in ranges]
        yield Doc(f"{ann}", text, spans, txt.stem)


def read_jsonl_spans(path: Path) -> Iterator[Doc]:
    """Lines of {"text", "spans": [{"start", "end", "label"}], optional "id"}."""
    for lineno, obj in iter_jsonl(path):
        where = f"{path}:{lineno}"
        if not isinstance(obj.get("text"), str):
            raise DataError(f"{where}: missing string field 'text'")
        spans = []
        if not isinstance(obj.get("spans") or [], list):
            raise DataError(f"{where}: 'spans' must be a list of span objects")
        for span in obj.get("spans") or []:
            if not isinstance(span, dict) or not isinstance(span.get("label"), str):
                raise DataError(f"{where}: each span needs a string 'label'")
            start, end = _int(span.get("start")), _int(span.get("end"))
            if start is None or end is None:
                raise DataError(f"{where}: each span needs integer 'start' and 'end'")
            spans.append((span["label"], start, end))
        yield Doc(where, obj["text"], spans, None if obj.get("id") is None else str(obj["id"]))


READERS = {"presidio-research": read_presidio, "brat": read_brat, "jsonl-spans": read_jsonl_spans}


def to_record(
    doc: Doc, rid: str, mapping: dict[str, str], tag_format: str, language: str
) -> dict[str, Any]:
    """The golden record of one document; DataError for unmapped labels and bad spans."""
    types = set()
    for label, start, end in doc.spans:
        if not 0 <= start < end <= len(doc.text):
            raise DataError(
                f"{doc.where}: span {start}-{end} ({show(label)}) is outside the text "
                f"(length {len(doc.text)}) or empty; fix the offsets"
            )
        if label not in mapping:
            raise DataError(
                f"{doc.where}: label {show(label)} is not in the mapping; add it mapped to a "
                f"golden type, or to {IGNORE} to drop it"
            )
        if mapping[label] != IGNORE:
            types.add(mapping[label])
    pii_types = sorted(types)
    record = {
        "id": rid,
        "text": doc.text,
        "has_pii": bool(pii_types),
        "pii_types": pii_types,
        "tags": {
            "format": tag_format,
            "language": language,
            "difficulty": "medium",
            "obfuscated": False,
            "novel": is_novel(pii_types, tag_format),
            "hard_negative": False,
            "negative_kind": None,
            "length": length_tag(doc.text),
        },
        "template_id": IMPORT_TEMPLATE_ID,
    }
    problems = validate_record(record)
    if problems:
        raise DataError(f"{doc.where}: {problems[0]}")
    return record


def import_corpus(
    source_format: str,
    path: str | Path,
    mapping_spec: str | None,
    out: str | Path,
    tag_format: str = "form",
    language: str = "en",
    columns: dict[str, str | None] | None = None,
) -> ImportSummary:
    """Convert a corpus and write it atomically to `out` as golden JSONL. Span formats need
    `mapping_spec`; the labelled ones (csv, jsonl) take `columns` (text_column,
    label_column, id_column, types_column) instead."""
    if source_format not in READERS and source_format not in LABELLED:
        raise ConfigError(f"unknown format {show(source_format)}; use {', '.join(SOURCE_FORMATS)}")
    if tag_format not in FORMATS:
        raise ConfigError(f"--tag-format {show(tag_format)}: use one of {', '.join(FORMATS)}")
    if language not in LANGUAGES:
        raise ConfigError(f"--language {show(language)}: use one of {', '.join(LANGUAGES)}")
    path = Path(path)
    if source_format in LABELLED:
        return _import_labelled(path, Path(out), tag_format, language, columns or {})
    if mapping_spec is None:
        raise ConfigError(f"--format {source_format} needs --map (source label -> golden type)")
    mapping = load_mapping(mapping_spec)
    stem = path.stem if path.suffix else path.name
    records: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for i, doc in enumerate(READERS[source_format](path), start=1):
        rid = doc.id or f"{stem}-{i:06d}"
        if rid in seen:
            raise DataError(
                f"{doc.where}: id {show(rid)} already used by {seen[rid]}; ids must be unique"
            )
        seen[rid] = doc.where
        records.append(to_record(doc, rid, mapping, tag_format, language))
    if not records:
        raise DataError(f"{path}: no documents found")
    return _write(records, out)


def _import_labelled(
    path: Path, out: Path, tag_format: str, language: str, columns: dict[str, str | None]
) -> ImportSummary:
    from pii.golden.labelled import read_labelled, to_golden

    if path.suffix.lower() not in (".csv", ".tsv", ".jsonl"):
        raise ConfigError(f"{path}: --format csv reads .csv/.tsv, --format jsonl reads .jsonl")
    given = {k: v for k, v in columns.items() if v is not None}
    return _write(to_golden(read_labelled(path, **given), path, tag_format, language), out)


def _write(records: list[dict[str, Any]], out: str | Path) -> ImportSummary:
    write_jsonl(out, records)
    summary = ImportSummary(out=str(out), records=len(records))
    for r in records:
        summary.positives += r["has_pii"]
        summary.per_type.update(r["pii_types"])
    return summary
