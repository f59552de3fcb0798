"""Check golden-schema files and report every problem as `FILE:LINE: id=ID: message`.

Per record: the schema (pii/golden/schema.py). Across the files checked: duplicate ids and
texts; a template_id in more than one file (splits must be template-disjoint; `hand`,
`import` and `composite` are exempt: a composite joins renders of its own split's templates,
which the build keeps disjoint); held-out types (DEVICE_ID, VEHICLE_ID) or the `code`
format in a train file (a file whose name starts with `train`); and leakage, an evaluation
item that is a near-duplicate of a training item.

Near-duplicates. Texts are compared by *skeleton*, because two renders of one template differ
only in their filled values: e-mails and URLs are masked, then every chunk holding a digit
(numbers, phones, IPs, dates, UUIDs, keys, handles like lena_k87), then every capitalised word
run (names, streets, cities, companies); the rest is lowercased and split into word tokens.
Two texts are near-duplicates when their word 3-gram shingle sets have Jaccard similarity
>= 0.5, or their normalised token lists are identical. Why 0.5: on the seed-13 build, two
renders of one template scored a median 0.99 and a 5th percentile 0.53, while the most
similar valid/test-to-train pair scored 0.385 (99th percentile 0.24), and the pairs above 0.3
were same-genre texts by different writers (two application forms, two "new number, save
this one" messages), not copies; 0.5 sits in the gap. It misses a one-word edit of a very
short text (about ten words score 0.45), and masking capitals over-matches German (nouns are
capitalised) and under-matches renders whose values are lowercase words (diagnoses,
products): a flag is a lead to inspect, not proof, and a clean result is not a guarantee.
A text whose skeleton keeps fewer than MIN_WORDS unmasked words (a CSV table of capitalised
headers and numbers normalises to nothing but masks) is not compared: six hand-written OOD
tables matched a training timetable that way. scripts/leakage.py compares raw character
8-grams and covers them.
An inverted index from shingle to training texts keeps the comparison under a second for
1,300 x 3,500 texts.

Left out: label correctness (only consistency is checked), and near-duplicates within one
split (renders of one template are meant to share a skeleton).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pii.errors import DataError
from pii.golden.schema import (
    COMPOSITE_TEMPLATE_ID,
    HAND_TEMPLATE_ID,
    IMPORT_TEMPLATE_ID,
    record_id,
    show,
    validate_record,
)
from pii.jsonl import iter_jsonl
from pii.taxonomy import HELD_OUT_FORMATS, HELD_OUT_TYPES

DEFAULT_FILES = (
    "golden/train.jsonl",
    "golden/valid.jsonl",
    "golden/test.jsonl",
    "golden/ood.jsonl",
)
DEFAULT_TRAIN = "golden/train.jsonl"
SHINGLE = 3
THRESHOLD = 0.5
SHARED_TEMPLATE_IDS = (HAND_TEMPLATE_ID, IMPORT_TEMPLATE_ID, COMPOSITE_TEMPLATE_ID)
MIN_WORDS = 3  # a skeleton with fewer unmasked words says nothing about where a text came from

_MASKS = (
    ("<email>", re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")),
    ("<url>", re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)),
    # Any chunk with a digit in it: numbers, phones, IPs, dates, UUIDs, keys, handles like
    # lena_k87. Chunks end at spaces and at JSON/code punctuation, so a JSON line stays words.
    ("<num>", re.compile(r"[^\s\"'{}\[\](),;:=<>|]*\d[^\s\"'{}\[\](),;:=<>|]*")),
)
_TOKEN = re.compile(r"<[a-z]+>|\w+")


def normalise(text: str) -> list[str]:
    """The text's skeleton as tokens: values masked, capitalised word runs masked, lowercased."""
    for tag, pattern in _MASKS:
        text = pattern.sub(f" {tag} ", text)
    tokens: list[str] = []
    for tok in _TOKEN.findall(text):
        tok = "<cap>" if tok[0].isupper() else tok.lower()
        if not (tok.startswith("<") and tokens and tokens[-1] == tok):  # collapse mask runs
            tokens.append(tok)
    return tokens


def shingles(tokens: list[str], n: int = SHINGLE) -> frozenset[tuple[str, ...]]:
    """Word n-grams of the tokens (the whole list as one when it is shorter than n)."""
    if len(tokens) < n:
        return frozenset({tuple(tokens)})
    return frozenset(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


@dataclass(frozen=True)
class Problem:
    file: str
    line: int  # 0 when the problem concerns the whole file
    id: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: id={self.id}: {self.message}"


@dataclass
class CheckResult:
    files: list[str]
    records: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "files": self.files,
            "records": self.records,
            "problems": [asdict(p) for p in self.problems],
        }


@dataclass
class _Row:
    file: str
    line: int
    obj: dict[str, Any]

    @property
    def id(self) -> str:
        return record_id(self.obj)


def _read(path: Path, problems: list[Problem]) -> list[_Row]:
    """All JSON-object lines; a line that stops the reader becomes one problem."""
    rows: list[_Row] = []
    try:
        for lineno, obj in iter_jsonl(path):
            rows.append(_Row(str(path), lineno, obj))
    except DataError as e:
        m = re.match(rf"{re.escape(str(path))}:(\d+): (.*)", str(e))
        line, message = (int(m[1]), m[2]) if m else (0, str(e).removeprefix(f"{path}: "))
        suffix = "; the rest of the file was not checked" if m else ""
        problems.append(Problem(str(path), line, "?", message + suffix))
        return rows
    if not rows:  # the bench and the trainer refuse an empty file: say so here first
        problems.append(Problem(str(path), 0, "?", "no records; a golden file needs at least one"))
    return rows


def is_train_file(path: str | Path) -> bool:
    return Path(path).name.startswith("train")


def _texts(rows: list[_Row]) -> Iterator[tuple[_Row, str]]:
    for row in rows:
        text = row.obj.get("text")
        if isinstance(text, str) and text.strip():
            yield row, text


def _cross_file(rows_by_file: dict[str, list[_Row]], problems: list[Problem]) -> None:
    first_id: dict[str, _Row] = {}
    first_text: dict[str, _Row] = {}

    def seen_before(row: _Row, key: str, first: dict[str, _Row], what: str) -> None:
        if key not in first:
            first[key] = row
            return
        f = first[key]
        message = what.format(where=f"{f.file}:{f.line}", id=f.id)
        problems.append(Problem(row.file, row.line, row.id, message))

    for rows in rows_by_file.values():
        for row in rows:
            rid = row.obj.get("id")
            if isinstance(rid, str):
                seen_before(row, rid, first_id, "duplicate id (first at {where})")
        for row, text in _texts(rows):
            seen_before(row, text, first_text, "same text as {where} (id={id})")
    # Template-disjoint splits: report each shared template once per file, at its first line.
    files_of: dict[str, dict[str, _Row]] = defaultdict(dict)
    for file, rows in rows_by_file.items():
        for row in rows:
            tid = row.obj.get("template_id")
            if isinstance(tid, str) and tid not in SHARED_TEMPLATE_IDS:
                files_of[tid].setdefault(file, row)
    for tid, where in files_of.items():
        if len(where) > 1:
            for file, row in where.items():
                others = ", ".join(f for f in where if f != file)
                problems.append(
                    Problem(
                        file,
                        row.line,
                        row.id,
                        f"template_id {show(tid)} is also used in "
                        f"{others}; a template must stay in one split",
                    )  # fmt: skip
                )


def _held_out(rows: list[_Row], problems: list[Problem]) -> None:
    for row in rows:
        types = row.obj.get("pii_types")
        tags = row.obj.get("tags") if isinstance(row.obj.get("tags"), dict) else {}
        held = sorted(set(types) & HELD_OUT_TYPES) if isinstance(types, list) else []
        if tags.get("format") in HELD_OUT_FORMATS:
            held.append(f"format {tags['format']}")
        if held:
            problems.append(
                Problem(
                    row.file,
                    row.line,
                    row.id,
                    f"held-out {', '.join(held)} in a train "
                    "file; such items belong to valid/test only",
                )  # fmt: skip
            )


def find_leaks(
    train: list[_Row], evaluation: list[_Row], threshold: float = THRESHOLD
) -> list[tuple[_Row, _Row, float]]:
    """(evaluation row, most similar training row, Jaccard) for each near-duplicate."""
    groups: dict[frozenset[tuple[str, ...]], list[_Row]] = defaultdict(list)
    exact: dict[tuple[str, ...], _Row] = {}
    for row, text in _texts(train):
        tokens = normalise(text)
        groups[shingles(tokens)].append(row)
        exact.setdefault(tuple(tokens), row)
    keys = list(groups)
    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for gid, key in enumerate(keys):
        for sh in key:
            index[sh].append(gid)
    leaks = []
    for row, text in _texts(evaluation):
        tokens = normalise(text)
        if sum(not t.startswith("<") for t in tokens) < MIN_WORDS:
            continue  # only masks left (a table of names and numbers): no skeleton to compare
        if tuple(tokens) in exact:
            leaks.append((row, exact[tuple(tokens)], 1.0))
            continue
        query = shingles(tokens)
        hits: Counter[int] = Counter()
        for sh in query:
            hits.update(index.get(sh, ()))
        best, best_j = None, 0.0
        for gid, inter in hits.items():
            j = inter / (len(query) + len(keys[gid]) - inter)
            if j > best_j or (j == best_j and best is not None and gid < best):
                best, best_j = gid, j
        if best is not None and best_j >= threshold:
            leaks.append((row, groups[keys[best]][0], best_j))
    return leaks


def check_files(
    paths: Sequence[str | Path], train: str | Path | None = None, threshold: float = THRESHOLD
) -> CheckResult:
    """Check the files (each record, then the cross-file rules); leakage is checked against
    the train files among them, plus `train` when given."""
    result = CheckResult(files=[str(p) for p in paths])
    problems = result.problems
    rows_by_file: dict[str, list[_Row]] = {}
    for path in paths:
        rows = _read(Path(path), problems)
        rows_by_file[str(path)] = rows
        result.records += len(rows)
        for row in rows:
            for message in validate_record(row.obj):
                problems.append(Problem(row.file, row.line, row.id, message))
    _cross_file(rows_by_file, problems)
    train_rows = [r for f, rows in rows_by_file.items() if is_train_file(f) for r in rows]
    if train is not None and str(train) not in rows_by_file:
        train_rows += _read(Path(train), problems)
    for file, rows in rows_by_file.items():
        if is_train_file(file) or file == str(train):
            _held_out(rows, problems)
    evaluation = [
        r
        for f, rows in rows_by_file.items()
        if not is_train_file(f) and f != str(train)
        for r in rows
    ]
    for row, match, j in find_leaks(train_rows, evaluation, threshold):
        how = "identical after normalisation" if j == 1.0 else f"Jaccard {j:.2f}"
        problems.append(
            Problem(
                row.file,
                row.line,
                row.id,
                f"leakage: near-duplicate of training item "
                f"{match.file}:{match.line} (id={match.id}), {how}",
            )  # fmt: skip
        )
    order = {f: i for i, f in enumerate(result.files)}
    problems.sort(key=lambda p: (order.get(p.file, len(order)), p.file, p.line))
    return result
