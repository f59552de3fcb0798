"""`pii golden ...`: check, describe and import golden-schema data."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pii.cli.base import EXIT_DATA, err, handle_errors, out, sub_app
from pii.golden.check import THRESHOLD

app = sub_app("Check, describe and import golden-schema data (the PII test set and training pool).")


class SourceFormat(StrEnum):
    presidio_research = "presidio-research"
    brat = "brat"
    jsonl_spans = "jsonl-spans"
    csv = "csv"
    jsonl = "jsonl"


def _line(text: str) -> None:
    """One plain line on stdout: no markup, no highlighting, no wrapping."""
    out.print(text, markup=False, highlight=False, soft_wrap=True, emoji=False)


@app.command()
@handle_errors
def check(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Golden JSONL files. Default: golden/train.jsonl, golden/valid.jsonl and "
            "golden/test.jsonl.",
            show_default=False,
        ),
    ] = None,
    train: Annotated[
        Path | None,
        typer.Option(
            help="Training file to check leakage against. Default: golden/train.jsonl when it "
            "exists and no train file is among FILES.",
            show_default=False,
        ),
    ] = None,
    threshold: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Jaccard similarity of 3-gram skeletons that counts as a near-duplicate.",
        ),  # fmt: skip
    ] = THRESHOLD,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Report every problem as FILE:LINE: id=ID: message (never the text); exit 1 if any.

    Checks the schema of each record, duplicate ids and texts, template_ids shared between
    files, held-out types/format in train files, and leakage: valid/test/ood items that are
    near-duplicates of training items.
    """
    from pii.golden.check import DEFAULT_FILES, DEFAULT_TRAIN, check_files, is_train_file

    # the OOD set is checked when the project has one (a user's own golden set may not)
    paths = files or [Path(f) for f in DEFAULT_FILES if Path(f).exists() or "ood" not in f]
    if train is None and not any(is_train_file(p) for p in paths) and Path(DEFAULT_TRAIN).exists():
        train = Path(DEFAULT_TRAIN)
    result = check_files(paths, train=train, threshold=threshold)
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    elif result.ok:
        _line(f"ok: {result.records} records in {len(paths)} files, no problems")
    else:
        for problem in result.problems:
            _line(str(problem))
        err.print(
            f"{len(result.problems)} problem(s) in {result.records} records, {len(paths)} files",
            highlight=False,
        )
    if not result.ok:
        raise typer.Exit(EXIT_DATA)


@app.command()
@handle_errors
def stats(
    file: Annotated[Path, typer.Argument(help="A golden JSONL file.")] = Path("golden/test.jsonl"),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Counts per type, slice, language, format and difficulty, and text lengths."""
    from pii.golden.stats import stats_file, stats_tables

    result = stats_file(file)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return
    for table in stats_tables(result):
        out.print(table)


@app.command("import")
@handle_errors
def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help="The corpus: a JSON list (presidio-research), a directory of .txt + .ann pairs "
            "or one .txt (brat), a JSONL file (jsonl-spans), or labelled texts: a .csv/.tsv "
            "with text and label columns (csv) or JSONL of {text, has_pii} (jsonl)."
        ),
    ],
    source_format: Annotated[
        SourceFormat, typer.Option("--format", help="The corpus format.", show_default=False)
    ],
    out_path: Annotated[
        Path, typer.Option("--out", help="Output golden JSONL (written atomically).")
    ],
    mapping: Annotated[
        str | None,
        typer.Option(
            "--map",
            help="Span formats: a YAML/JSON file of SOURCE_LABEL: GOLDEN_TYPE (or IGNORE), or "
            "inline pairs like PERSON=PERSON_NAME,DATE=IGNORE.",
            show_default=False,
        ),
    ] = None,
    tag_format: Annotated[str, typer.Option(help="tags.format of every record.")] = "form",
    language: Annotated[str, typer.Option(help="tags.language of every record.")] = "en",
    text_column: Annotated[str, typer.Option(help="csv: the text column.")] = "text",
    label_column: Annotated[
        str, typer.Option(help="csv: the label column (yes/no, 1/0, true/false).")
    ] = "label",
    id_column: Annotated[str | None, typer.Option(help="csv: an id column.")] = None,
    types_column: Annotated[
        str | None,
        typer.Option(help="csv: PII types, e.g. EMAIL;PHONE (every positive needs them)."),
    ] = None,
) -> None:
    """Convert a span-annotated corpus or labelled texts to golden records (one per document)."""
    from pii.golden.importers import import_corpus
    from pii.taxonomy import PII_TYPES

    columns = {
        "text_column": text_column,
        "label_column": label_column,
        "id_column": id_column,
        "types_column": types_column,
    }
    summary = import_corpus(
        source_format.value,
        file,
        mapping,
        out_path,
        tag_format=tag_format,
        language=language,
        columns=columns,
    )
    _line(
        f"wrote {summary.records} records ({summary.positives} with PII, "
        f"{summary.records - summary.positives} without) to {summary.out}"
    )
    table = Table("type", "records", title="records per type", title_justify="left")
    for pii_type in PII_TYPES:
        if summary.per_type[pii_type]:
            table.add_row(pii_type, str(summary.per_type[pii_type]))
    if summary.positives:
        out.print(table)
