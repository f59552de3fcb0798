"""`pii bench` and `pii compare`: the baseline-vs-adapter study and its reports."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pii.cli.base import EXIT_GATE, err, handle_errors, out, progress_bar
from pii.errors import ConfigError, DataError

# Same rows on every machine (so `pii compare` lines up): presidio and apple-fm depend on
# an optional extra or on macOS 26, so they are asked for by name, never added silently.
DEFAULT_CLASSIFIERS = "fewshot,adapter,rules,tfidf"
SCORE_METRICS = ("auroc", "ece", "brier")  # a gate on these skips decision-only classifiers


def _gates(specs: list[str]) -> dict[str, float]:
    gates = {}
    for spec in specs:
        name, _, value = spec.partition("=")
        try:
            gates[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"--fail-under '{spec}': use METRIC=VALUE, e.g. f1=0.8") from None
    return gates


def _print_headline(report: dict, label: str = "") -> None:
    from pii.report import HEADLINE_HEADER, headline_rows

    header, rows = HEADLINE_HEADER, headline_rows(report)
    if out.width < 150:  # a narrow terminal or a log: the columns a reader looks at first
        keep = [
            header.index(h)
            for h in ("classifier", "F1", "recall", "FPR hard neg.", "AUROC", "p50 ms")
        ]
        header = [header[i] for i in keep]
        rows = [
            [r[i] if i <= header.index("F1") else r[i].split(" [")[0] for i in keep] for r in rows
        ]
    t = Table(title=label or None)
    for h in header:
        t.add_column(h, no_wrap=h == "classifier")
    for row in rows:
        t.add_row(*row)
    out.print(t)
    if header is not HEADLINE_HEADER:
        out.print("F2, precision, accuracy, ECE, p95 and tokens: see report.md", style="dim")


@handle_errors
def bench(
    model: Annotated[
        str, typer.Option(help="Model spec, local MLX directory or hub id.")
    ] = "smollm2-135m",
    data: Annotated[Path, typer.Option(help="Golden-schema file to bench on.")] = Path(
        "golden/test.jsonl"
    ),
    config: Annotated[
        Path | None, typer.Option(help="Baseline config (default: the tuned one for --model).")
    ] = None,
    adapter: Annotated[
        Path, typer.Option(help="LoRA adapter directory (skipped with a note if absent).")
    ] = Path("adapters/smollm2-135m"),
    classifiers: Annotated[
        str,
        typer.Option(
            help="Comma-separated: fewshot, adapter, rules, tfidf, presidio, apple-fm. "
            "The verdict compares fewshot and adapter; the others are reference rows."
        ),
    ] = DEFAULT_CLASSIFIERS,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N items.")] = None,
    output: Annotated[Path, typer.Option("--out", help="Report directory.")] = Path(
        "bench/results/latest"
    ),
    latency_n: Annotated[int, typer.Option(min=1, help="Texts timed one by one for latency.")] = 20,
    sweep_n: Annotated[
        int,
        typer.Option(
            min=0, help="Texts for the batch-size sweep (batch 1-32; 0: skip, bench at 16)."
        ),
    ] = 48,
    show_text: Annotated[
        bool, typer.Option(help="Put record texts in the error list (personal data!).")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report summary as JSON.")
    ] = False,
    fail_under: Annotated[
        list[str] | None,
        typer.Option(
            help="Quality gate METRIC=VALUE (repeatable): exit 3 when a classifier scores below."
        ),
    ] = None,
) -> None:
    """Bench the tuned few-shot baseline against the LoRA adapter and give a verdict.

    Accuracy with 95% bootstrap intervals, slices, calibration, the paired test, latency and the compute floor, with the cheap baselines (rules, tfidf; presidio and apple-fm on request) in every table. Writes report.json, report.md, report.html and PNG plots to --out. Zero network: attempts are counted and reported.
    """
    from pii import bench as lib
    from pii import blas, models, plots, report
    from pii.baseline import project_path
    from pii.classifier import KINDS, LLM_KINDS, load_classifier
    from pii.golden.schema import read_records
    from pii.jsonl import write_atomic

    gates = _gates(fail_under or [])
    kinds = [k.strip() for k in classifiers.split(",") if k.strip()]
    data, adapter = project_path(data), project_path(adapter)
    records = read_records(data)[:limit]
    if "adapter" in kinds and not adapter.exists():
        err.print(
            f"note: no adapter at {adapter}; benching without it (train one with `pii train`)"
        )
        kinds.remove("adapter")
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ConfigError(f"unknown classifier '{unknown[0]}': use {', '.join(KINDS)}")
    if len(set(kinds)) != len(kinds):
        raise ConfigError("--classifiers names a classifier twice")
    if not kinds:
        raise ConfigError(f"no classifier to bench: use --classifiers {DEFAULT_CLASSIFIERS}")
    if classifiers == DEFAULT_CLASSIFIERS and importlib.util.find_spec("presidio_analyzer"):
        err.print(
            f"note: the presidio extra is installed; add it: --classifiers {classifiers},presidio"
        )
    llm = any(k in LLM_KINDS for k in kinds)
    gflops = blas.gemm_gflops() if llm else 0.0  # the floor is for LLMs only
    sections, arrays, cold = [], {}, {}
    for kind in kinds:
        clf = load_classifier(
            kind, model, config=config if kind == "fewshot" else None, adapter=adapter
        )
        with progress_bar(len(records), f"{kind}: {clf.name}") as advance:
            section, arr = lib.evaluate(
                clf,
                records,
                gflops=gflops,
                latency_n=latency_n,
                sweep_n=sweep_n,
                show_text=show_text,
                progress=advance,
            )
        section["kind"] = kind
        section["disk_mb"] = lib.disk_mb(clf)
        cold[kind] = lib.cold_start(kind, model, adapter, config)
        section["cold_start_s"] = cold[kind]
        sections.append(section)
        arrays[kind] = arr
        del clf
    env = lib.environment(
        data,
        model if llm else None,
        gflops,
        models.resolve(model) if llm else None,
        adapter if "adapter" in kinds else None,
    )
    rep = {
        "format_version": lib.FORMAT_VERSION,
        "n": len(records),
        "environment": env,
        "classifiers": sections,
        "peak_memory_gb": lib.peak_memory_gb(),
    }
    if {"fewshot", "adapter"} <= set(kinds):
        lib.compare_pair(rep, records, arrays, "fewshot", "adapter")
    rep["network_attempts"] = lib.network_attempts()
    import numpy as np

    y = np.array([r["has_pii"] for r in records], dtype=bool)
    images = plots.render(
        rep,
        y,
        {s["name"]: arrays[s["kind"]]["p"] for s in sections if arrays[s["kind"]]["p"] is not None},
        {s["name"]: arrays[s["kind"]]["times"] for s in sections},
    )
    text = report.markdown(rep)
    output.mkdir(parents=True, exist_ok=True)
    write_atomic(output / "report.json", json.dumps(rep, indent=2) + "\n")
    write_atomic(output / "report.md", text)
    write_atomic(output / "report.html", report.html_page(rep, text, images))
    for name, png in images.items():
        write_atomic(output / name, png)
    if as_json:
        print(
            json.dumps(
                {k: v for k, v in rep.items() if k != "classifiers"}
                | {
                    "classifiers": [
                        {k: v for k, v in c.items() if k not in ("p_pii", "errors")}
                        for c in sections
                    ]
                },
                indent=2,
            )
        )
    else:
        _print_headline(rep)
        if "verdict" in rep:
            out.print(
                f"[bold]verdict: {rep['verdict']['verdict']}[/] - {rep['verdict']['why']}",
                highlight=False,
            )
            out.print(
                f"novel slice (n={rep['novel']['n']}): {rep['novel']['finding']}", highlight=False
            )
        for note in report.caveats(rep):
            out.print("caveat: " + note.replace("**", ""), highlight=False, markup=False)
        out.print(
            f"{len(records)} items, network attempts: {rep['network_attempts']}, peak memory "
            f"{rep['peak_memory_gb']} GB; report: {output / 'report.html'}"
        )
    failed = [
        f"{c['name']} {m}={c['scores'].get(m)} < {v}"
        for c in sections
        for m, v in gates.items()
        if (c["has_scores"] or m not in SCORE_METRICS)
        and (c["scores"].get(m) is None or c["scores"][m] < v)
    ]
    if failed:
        err.print("quality gate failed: " + "; ".join(failed))
        raise typer.Exit(EXIT_GATE)


@handle_errors
def compare(
    a: Annotated[Path, typer.Argument(help="First report.json (e.g. the embedded model).")],
    b: Annotated[Path, typer.Argument(help="Second report.json (e.g. a 3B model on a Mac).")],
) -> None:
    """Compare two saved bench runs side by side (accuracy, latency, machine)."""
    reports = []
    for path in (a, b):
        try:
            reports.append(json.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise DataError(f"{path}: report not found; run `pii bench --out DIR` first") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise DataError(f"{path}: not a JSON report ({e})") from None
        if "classifiers" not in reports[-1] or "environment" not in reports[-1]:
            raise DataError(f"{path}: not a pii bench report (no classifiers/environment)")
    for path, rep in zip((a, b), reports, strict=True):
        env = rep["environment"]
        _print_headline(
            rep,
            f"{path}: {env['model'] or 'no LLM'} on {Path(env['data']).name}, {env['processor']}, "
            f"GEMM {env['gemm_gflops']} GFLOP/s",
        )
        if rep.get("verdict"):
            out.print(
                f"  verdict: {rep['verdict']['verdict']} - {rep['verdict']['why']}", highlight=False
            )
    if reports[0]["environment"]["data_sha256"] != reports[1]["environment"]["data_sha256"]:
        err.print("note: the two runs used different data files; compare their numbers with care")


@handle_errors
def report(
    directory: Annotated[Path, typer.Argument(help="A bench output directory (with report.json).")],
) -> None:
    """Rebuild report.md and report.html from a saved report.json (no model is run)."""
    from pii import report as lib

    if not (directory / "report.json").exists():
        raise DataError(f"{directory}: no report.json; run `pii bench --out {directory}` first")
    try:
        page = lib.rerender(directory)
    except (json.JSONDecodeError, KeyError) as e:
        raise DataError(f"{directory / 'report.json'}: not a readable bench report ({e})") from None
    out.print(f"wrote {directory / 'report.md'} and {page}")
