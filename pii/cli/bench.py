"""`pii bench` and `pii compare`: the baseline-vs-adapter study and its reports."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from pii.classifiers.adapter import SHIPPED
from pii.cli.base import (
    DEFAULT_MODEL,
    EXIT_GATE,
    ModelOption,
    err,
    handle_errors,
    out,
    progress_bar,
)
from pii.errors import ConfigError, DataError, PiiError
from pii.publish import check_writable

# Same rows on every machine (so `pii compare` lines up): presidio and apple-fm depend on
# an optional extra or on macOS 26, so they are asked for by name, never added silently.
DEFAULT_CLASSIFIERS = "fewshot,adapter,probe,rules,tfidf"
DEFAULT_DATA = Path("golden/test.jsonl")
DEFAULT_OOD = Path("golden/ood.jsonl")  # benched beside the golden test set


def _gates(specs: list[str], kinds: list[str]) -> list:
    """Parse `--fail-under [CLASSIFIER:]METRIC=VALUE`; a usage error names what is wrong."""
    from pii.errors import UsageError
    from pii.study.bench import DEFAULT_GATED, GATE_METRICS, Gate

    gates = []
    for spec in specs:
        head, eq, value = spec.partition("=")
        kind, colon, metric = head.strip().rpartition(":")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not eq or number is None or not metric:
            raise UsageError(
                f"--fail-under '{spec}': use [CLASSIFIER:]METRIC=VALUE, e.g. f1=0.8 or adapter:recall=0.9"
            )
        if metric not in GATE_METRICS:
            raise UsageError(
                f"--fail-under '{spec}': unknown metric '{metric}'; use one of {', '.join(GATE_METRICS)}"
            )
        if colon and kind not in kinds:
            raise UsageError(
                f"--fail-under '{spec}': '{kind}' is not benched; --classifiers is {', '.join(kinds)}"
            )
        if not colon and DEFAULT_GATED not in kinds:
            raise UsageError(
                f"--fail-under '{spec}': without a classifier it applies to the {DEFAULT_GATED}, "
                f"which is not benched; name one, e.g. {kinds[0]}:{head.strip()}={value}"
            )
        gates.append(Gate(kind or None, metric, number))
    return gates


def _print_headline(report: dict, label: str = "") -> None:
    from pii.render.headline import HEADLINE_HEADER, headline_rows

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


def cold_start(kind: str, model: str, adapter: Path | None, config: Path | None) -> float | None:
    """Seconds from starting a fresh `pii classify` process to its first result."""
    cmd = [sys.executable, "-m", "pii", "classify", "cold start probe", "--json"]
    cmd += ["--model", model, "--classifier", kind]
    if adapter is not None and kind == "adapter":
        cmd += ["--adapter", str(adapter)]
    if config is not None and kind == "fewshot":
        cmd += ["--config", str(config)]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return time.perf_counter() - t0 if done.returncode == 0 else None


def _warn_if_small(records: list[dict]) -> None:
    """A note when the set is too small for the intervals to tell classifiers apart."""
    n, pos = len(records), sum(r["has_pii"] for r in records)
    if n >= 400 and min(pos, n - pos) >= 100:
        return
    half = 1.96 * (0.25 / n) ** 0.5  # worst-case half-width of a 95% interval on a rate
    err.print(
        f"note: {n} texts ({pos} with PII): a rate measured on them is known to about "
        f"+/-{half:.0%} (95%); differences smaller than that are noise. 400+ texts with 100+ "
        "of each label give intervals of about +/-5%"
    )


def _save_elsewhere(data: dict) -> str:
    """Write report.json to the temporary folder; its path, or a note when that fails too."""
    try:
        fd, path = tempfile.mkstemp(prefix="pii-bench-report-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
        return path
    except OSError:
        return "no file (the temporary folder is not writable either)"


@handle_errors
def bench(
    model: ModelOption = DEFAULT_MODEL,
    data: Annotated[
        Path,
        typer.Option(
            help="Texts to bench on: a golden file, JSONL of {text, has_pii} or a .csv/.tsv "
            "with text and label columns (your own data; slices where tags are given)."
        ),
    ] = DEFAULT_DATA,
    text_column: Annotated[str, typer.Option(help="--data .csv/.tsv: the text column.")] = "text",
    label_column: Annotated[
        str, typer.Option(help="--data .csv/.tsv: the label column (yes/no, 1/0, true/false).")
    ] = "label",
    config: Annotated[
        Path | None, typer.Option(help="Baseline config (default: the tuned one for --model).")
    ] = None,
    adapter: Annotated[
        Path, typer.Option(help="LoRA adapter directory (skipped with a note if absent).")
    ] = Path(SHIPPED),
    classifiers: Annotated[
        str,
        typer.Option(
            help="Comma-separated: fewshot, adapter, probe, rules, tfidf, presidio, apple-fm. "
            "The verdict compares fewshot and adapter; the others are reference rows."
        ),
    ] = DEFAULT_CLASSIFIERS,
    ood: Annotated[
        Path | None,
        typer.Option(
            help="Out-of-distribution golden file, benched beside --data with its own table "
            "and verdict [default: golden/ood.jsonl when --data is the golden test set]."
        ),
    ] = None,
    no_ood: Annotated[bool, typer.Option("--no-ood", help="Bench --data only.")] = False,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Only the first N items (of each file).")
    ] = None,
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
            help="Quality gate [CLASSIFIER:]METRIC=VALUE (repeatable): exit 3 when below. "
            "Without CLASSIFIER it applies to the adapter; "
            "metrics: f1, f2, recall, precision, accuracy, auroc."
        ),
    ] = None,
) -> None:
    """Bench the tuned few-shot baseline against the LoRA adapter and give a verdict.

    Accuracy with 95% bootstrap intervals, slices, calibration, the paired test, latency and the compute floor, with the probe row and the cheap baselines (rules, tfidf; presidio and apple-fm on request) in every table. Writes report.json, report.md, report.html and PNG plots to --out. Zero network: attempts are counted and reported.
    """
    from pii.classifiers import registry
    from pii.classifiers.registry import check, load_classifier, preflight
    from pii.engine import blas, models
    from pii.golden.labelled import read_labelled
    from pii.golden.schema import read_records
    from pii.hashing import sha256_file
    from pii.paths import project_path
    from pii.render.report import caveats
    from pii.study import bench as lib
    from pii.study.environment import environment

    kinds = [k.strip() for k in classifiers.split(",") if k.strip()]
    gates = _gates(fail_under or [], kinds)
    data, adapter = project_path(data), project_path(adapter)
    records = read_labelled(data, text_column=text_column, label_column=label_column)[:limit]
    _warn_if_small(records)
    ood_records = None
    asked = ood is not None
    if ood is None and data == project_path(DEFAULT_DATA):
        ood = DEFAULT_OOD
    if ood is not None and not no_ood:
        ood = project_path(ood)
        if ood.exists() or asked:  # a file the user named must be there
            ood_records = read_records(ood)[:limit]
        else:
            err.print(f"note: no out-of-distribution set at {ood}; benching {data.name} only")
    if "adapter" in kinds and not adapter.exists():
        err.print(
            f"note: no adapter at {adapter}; benching without it (train one with `pii train`)"
        )
        kinds.remove("adapter")
    if "probe" in kinds and classifiers == DEFAULT_CLASSIFIERS:
        try:  # a default row: a probe fitted on another model is left out with a note
            preflight("probe", model)
        except PiiError as e:
            err.print(f"note: benching without the probe row ({e})")
            kinds.remove("probe")
    check(kinds)
    if not kinds:
        raise ConfigError(f"no classifier to bench: use --classifiers {DEFAULT_CLASSIFIERS}")
    # Everything that can fail without running a model fails now, not after the others ran.
    for kind in kinds:
        preflight(kind, model, config=config if kind == "fewshot" else None, adapter=adapter)
    check_writable(output, "report folder")
    if classifiers == DEFAULT_CLASSIFIERS and importlib.util.find_spec("presidio_analyzer"):
        err.print(
            f"note: the presidio extra is installed; add it: --classifiers {classifiers},presidio"
        )
    llm = any(registry.get(k).llm for k in kinds)
    gflops = blas.gemm_gflops() if llm else 0.0  # the floor is for LLMs only

    def loader(kind: str) -> Callable[[], Any]:
        cfg = config if kind == "fewshot" else None
        return lambda: load_classifier(kind, model, config=cfg, adapter=adapter)

    options = lib.Options(
        gflops=gflops,
        latency_n=latency_n,
        sweep_n=sweep_n,
        show_text=show_text,
        cold_start=lambda kind: cold_start(kind, model, adapter, config),
        progress=progress_bar,
    )
    env = environment(
        data,
        model if llm else None,
        gflops,
        models.resolve(model) if llm else None,
        adapter if "adapter" in kinds else None,
    )
    if ood_records is not None:
        env |= {"ood_data": str(ood), "ood_data_sha256": sha256_file(ood)}
    result = lib.run([(k, loader(k)) for k in kinds], records, options, env, ood=ood_records)
    try:
        page = lib.write(result, output)
    except OSError as e:  # a full disk or a folder that went away: keep the numbers
        saved = _save_elsewhere(result.data)
        raise DataError(
            f"{output}: could not write the report ({e.strerror or e}); nothing there was "
            f"replaced, and the results are saved in {saved}: free space and run "
            f"`pii report` on a folder holding that file as report.json"
        ) from None
    rep = result.data
    if as_json:
        print(json.dumps(lib.summary(result), indent=2))
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
        for note in caveats(rep):
            out.print("caveat: " + note.replace("**", ""), highlight=False, markup=False)
        if "ood" in rep:
            _print_headline(rep["ood"], f"out of distribution: {ood} (n={rep['ood']['n']})")
            if "verdict" in rep["ood"]:
                v = rep["ood"]["verdict"]
                out.print(f"OOD verdict: {v['verdict']} - {v['why']}", highlight=False)
            if "transfer" in rep:
                out.print(f"test -> OOD: {rep['transfer']['finding']}", highlight=False)
        out.print(
            f"{len(records)} items, network attempts: {rep['network_attempts']}, peak memory "
            f"{rep['peak_memory_gb']} GB; report: {page}"
        )
    failed = lib.gate_failures(rep, gates)
    if failed:
        err.print("quality gate failed: " + "; ".join(failed))
        raise typer.Exit(EXIT_GATE)


@handle_errors
def compare(
    a: Annotated[
        Path,
        typer.Argument(help="First bench folder or its report.json (e.g. the embedded model)."),
    ],
    b: Annotated[
        Path,
        typer.Argument(help="Second bench folder or its report.json (e.g. a 3B model on a Mac)."),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the differences as JSON.")] = False,
) -> None:
    """Compare two saved bench runs: one table of differences (B - A) with 95% intervals.

    Rows are the classifier kinds both runs benched; the runs are independent, so the
    difference's interval is the unpaired one (wider than a paired test on the same texts).
    """
    from pii.report_format import read_report
    from pii.study.compare import differences

    a, b = (p / "report.json" if p.is_dir() else p for p in (a, b))  # a bench folder or its file
    reports = [read_report(path) for path in (a, b)]
    rows = differences(*reports)
    envs = [r["environment"] for r in reports]
    if as_json:
        runs = [{"report": str(p), "model": e.get("model"), "data": e.get("data"),
                 "processor": e.get("processor")} for p, e in zip((a, b), envs, strict=True)]  # fmt: skip
        out.print_json(json.dumps({"a": runs[0], "b": runs[1], "differences": rows}))
    else:
        for tag, path, rep in (("A", a, reports[0]), ("B", b, reports[1])):
            env = rep["environment"]
            data_name = Path(env["data"]).name if env.get("data") else "records"
            out.print(
                f"{tag}: {path}: {env.get('model') or 'no LLM'} on {data_name} (n={rep['n']}), "
                f"{env.get('processor') or '?'}",
                highlight=False,
            )
            if rep.get("verdict"):
                v = rep["verdict"]
                out.print(f"   verdict: {v['verdict']} - {v['why']}", highlight=False)
        table = Table("classifier", "metric", "A [95% CI]", "B [95% CI]", "B - A [95% CI]")
        for r in rows:
            table.add_row(r["classifier"], r["metric"], _cell(r["a"], r["a_ci95"]),
                          _cell(r["b"], r["b_ci95"]),
                          _cell(r["diff"], r["diff_ci95"], sign=True) + (" *" if r["clear"] else ""))  # fmt: skip
        out.print(table)
        out.print("* the interval excludes 0 (unpaired: the runs are independent)", highlight=False)
        if not rows:
            err.print("note: the two runs share no classifier; nothing to compare")
    if envs[0].get("data_sha256") != envs[1].get("data_sha256"):
        err.print("note: the two runs used different data files; compare their numbers with care")


def _cell(value: float, ci: list[float] | None, sign: bool = False) -> str:
    fmt = "{:+.3f}" if sign else "{:.3f}"
    text = fmt.format(value)
    return text + (f" [{fmt.format(ci[0])}, {fmt.format(ci[1])}]" if ci else "")


@handle_errors
def report(
    directory: Annotated[Path, typer.Argument(help="A bench output directory (with report.json).")],
) -> None:
    """Rebuild report.md and report.html from a saved report.json (no model is run)."""
    from pii.publish import recover
    from pii.render.report import REPORT_FILES, rerender

    recover(
        directory, REPORT_FILES
    )  # a bench killed between its two renames left the previous set aside
    if not (directory / "report.json").exists():
        raise DataError(f"{directory}: no report.json; run `pii bench --out {directory}` first")
    try:
        page = rerender(directory)
    except (json.JSONDecodeError, KeyError) as e:
        raise DataError(f"{directory / 'report.json'}: not a readable bench report ({e})") from None
    out.print(f"wrote {directory / 'report.md'} and {page}")
