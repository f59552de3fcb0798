"""The root `pii` command: doctor, models, classify, and the command groups."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

import pii.cli.baseline as baseline
import pii.cli.export as export
import pii.cli.golden as golden
import pii.cli.study as study
from pii import __version__, netguard
from pii.cli.base import DEFAULT_MODEL, ModelOption, handle_errors, out, progress_bar, sub_app
from pii.cli.bench import bench, compare, report
from pii.cli.decide import decide
from pii.cli.serve import serve
from pii.cli.train import train
from pii.engine import blas
from pii.errors import ConfigError, DataError, UsageError

app = sub_app("Is fine-tuning worth it? Few-shot vs LoRA PII detection, measured locally.")
app.add_typer(golden.app, name="golden")
app.add_typer(baseline.app, name="baseline")
app.add_typer(export.app, name="export")
app.add_typer(study.app, name="study")
models_app = sub_app("List the known models and what is cached; download hub models.")
app.add_typer(models_app, name="models")
app.command()(bench)
app.command()(compare)
app.command()(report)
app.command()(train)
app.command()(decide)
app.command()(serve)


def _version(value: bool) -> None:
    if value:
        print(f"pii {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Is fine-tuning worth it? Few-shot vs LoRA PII detection, measured locally."""


@app.command()
@handle_errors
def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Check the set-up: versions, device, BLAS speed, model cache, network guard.

    Measures MLX's float32 GEMM rate and says what to fix when something is off.
    """
    from pii.engine.doctor import MIN_GFLOPS, report

    info = report()
    if as_json:
        print(json.dumps(info, indent=2))
    else:
        t = Table(show_header=False, box=None)
        t.add_column(overflow="fold")
        t.add_column(overflow="fold")
        for key in ("python", "platform", "device"):
            t.add_row(key, str(info[key]))
        t.add_row("versions", ", ".join(f"{k} {v}" for k, v in info["versions"].items() if v))
        t.add_row("BLAS loaded", "\n".join(info["blas_loaded"]) or "-")
        ok = info["gemm_gflops"] >= MIN_GFLOPS or info["metal"]
        t.add_row("float32 GEMM", f"[{'green' if ok else 'red'}]{info['gemm_gflops']} GFLOP/s[/]")
        t.add_row("model cache", info["cache_dir"])
        for m in info["cached_models"]:
            t.add_row("", f"{m['name']}  {m['bytes'] / 1e6:.0f} MB  {m['path']}")
        t.add_row("network guard", "active" if info["network_guard"] else "[red]off[/]")
        out.print(t)
        for problem in info["problems"]:
            out.print(f"[yellow]fix:[/] {problem}", highlight=False)
        if not info["problems"]:
            out.print("[green]all good[/]")
    if info["problems"]:
        raise typer.Exit(1)


@models_app.command("list")
@handle_errors
def models_list() -> None:
    """Known model specs and the cached ones."""
    from pii.engine import models

    t = Table("name", "source", "description")
    for spec in models.SPECS.values():
        source = spec.hub_id or f"pip:{spec.gguf_package} (GGUF)"
        t.add_row(
            spec.name + (" (default)" if spec.name == models.DEFAULT_MODEL else ""),
            source,
            spec.description,
        )
    out.print(t)
    rows = models.cached()
    out.print(f"cache: {models.cache_root()}")
    for m in rows:
        out.print(f"  {m['name']}  {m['bytes'] / 1e6:.0f} MB  {m['path']}")
    if not rows:
        out.print("  (empty: the default model is converted on first use)")


@models_app.command("pull")
@handle_errors
def models_pull(
    name: Annotated[str, typer.Argument(help="Spec name (see `pii models list`) or hub id.")],
) -> None:
    """Download a hub model (the only pii command that uses the network)."""
    from pii.engine import models

    netguard.uninstall()
    path = models.pull(name)
    out.print(f"{name}: {path}")


@app.command()
@handle_errors
def classify(
    text: Annotated[str | None, typer.Argument(help="A text to classify (or use --file).")] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            help="A .jsonl file (field `text`, optional `id`), a .csv/.tsv file with a header "
            "row (see --text-column), or a .txt file, one text a line; `-` reads standard "
            "input (JSONL or text lines).",
        ),
    ] = None,
    text_column: Annotated[
        str | None,
        typer.Option(help="CSV/TSV: the column holding the texts [default: text]."),
    ] = None,
    id_column: Annotated[
        str | None,
        typer.Option(
            help="CSV/TSV: the column whose value names each text in the output [default: the line number]."
        ),
    ] = None,
    model: ModelOption = DEFAULT_MODEL,
    classifier: Annotated[
        str,
        typer.Option(
            help="fewshot (the tuned baseline), adapter, probe, rules, tfidf, presidio or apple-fm."
        ),
    ] = "fewshot",
    adapter: Annotated[
        Path | None, typer.Option(help="LoRA adapter directory (implies --classifier adapter).")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            help="Baseline config JSON, or the rules/tfidf/presidio artifact "
            "(default: the one in bench/baselines/)."
        ),
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Override the decision threshold.")
    ] = None,
    generate: Annotated[
        bool,
        typer.Option(
            help="Answer by greedy generation instead of label scoring (shows format failures)."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per text.")] = False,
    max_chars: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Refuse a text longer than this many characters (default: no cap; long "
            "texts are read whole, as overlapping windows).",
        ),
    ] = None,
) -> None:
    """P(PII) for each text, the decision at the configured threshold, and where the PII is.

    Long texts are read whole, as overlapping windows of the model's token budget; the
    output gives the character span of the most PII-like window (rules: of each match).
    Texts are never echoed back: the output names them by id or line number.
    """
    from pii.jsonl import read_texts
    from pii.table_input import is_table, read_table

    if (text is None) == (file is None):
        raise DataError("give a text or --file, not both and not neither")
    table = file is not None and is_table(file)
    if (text_column or id_column) and not table:
        raise UsageError("--text-column and --id-column apply to a .csv or .tsv --file")
    if table:
        items = read_table(file, text_column, id_column)
    else:
        items = read_texts(file) if file else [("1", text or "")]
    for item_id, t in items:
        where = f"{file}: id {item_id}" if file else "the argument"
        if not t.strip():
            raise DataError(f"{where}: empty text; nothing to classify")
        if max_chars is not None and len(t) > max_chars:
            raise DataError(
                f"{where}: {len(t):,} characters, over --max-chars {max_chars:,}; "
                "split the text or raise the cap"
            )
    from pii.classifiers.protocol import has_scores
    from pii.classifiers.registry import load_classifier

    kind = "adapter" if adapter is not None else classifier
    clf = load_classifier(kind, model, config=config, adapter=adapter, threshold=threshold)
    if generate and not hasattr(clf, "generate"):
        raise ConfigError(f"--generate needs an LLM classifier (fewshot or adapter), not {kind}")
    scored = has_scores(clf)
    texts = [t for _, t in items]
    # A few very long texts: progress in windows, so a 5 MB text shows it is moving.
    per_window = not generate and hasattr(clf, "text_windows") and len(texts) < 16
    total = sum(len(clf.text_windows(t)) for t in texts) if per_window else len(texts)
    unit = "windows" if per_window else "texts"
    with progress_bar(total, f"classifying ({unit})", enabled=total > 1) as advance:
        if generate:
            answers = clf.generate(texts, progress=advance)
            rows = [
                {"id": i, "answer": a, "format_failure": a is None}
                for (i, _), a in zip(items, answers, strict=True)
            ]
        else:
            kwargs = {"per_window": True} if per_window else {}
            p = clf.predict_proba(texts, progress=advance, **kwargs)[:, 1]
            places = clf.locations() if hasattr(clf, "locations") else [{}] * len(texts)
            rows = [
                {
                    "id": i,
                    "p_pii": round(float(v), 4) if scored else None,
                    "has_pii": bool(v >= clf.threshold),
                    **place,
                }
                for (i, _), v, place in zip(items, p, places, strict=True)
            ]
    if as_json:
        for row in rows:
            print(json.dumps(row))
        return
    t = Table(
        "id", "answer" if generate else "P(PII)", "decision", *([] if generate else ["where"])
    )
    for row in rows:
        if generate:
            t.add_row(
                row["id"],
                "format failure" if row["answer"] is None else str(row["answer"]),
                {True: "PII", False: "no PII", None: "-"}[row["answer"]],
            )
        else:
            p_text = "n/a" if row["p_pii"] is None else f"{row['p_pii']:.3f}"
            t.add_row(row["id"], p_text, "PII" if row["has_pii"] else "no PII", where_text(row))
    out.print(t)
    out.print(f"classifier {clf.name}, threshold {clf.threshold:.3f}", style="dim")


def where_text(row: dict[str, Any]) -> str:
    """Where a text's PII is, for people: characters counted from 1, both ends included."""
    if not row["has_pii"]:
        return ""
    if "matches" in row:
        return "; ".join(
            f"{m['type']} at characters {m['start'] + 1:,}-{m['end']:,}" for m in row["matches"]
        )
    if "span" in row:
        start, end = row["span"]
        of = f" (best of {row['windows']} windows)" if row["windows"] > 1 else ""
        return f"PII likely in characters {start + 1:,}-{end:,}{of}"
    return ""


def main() -> None:
    """Console-script entry point: fast BLAS (Linux), network guard, then the command."""
    blas.reexec_with_fast_blas()
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # no "PyTorch not found" banner
    netguard.install()
    app(prog_name="pii")
