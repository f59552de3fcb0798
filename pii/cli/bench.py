"""`pii bench`: the classifiers on a golden file, with a report written to disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pii.cli.base import EXIT_GATE, err, handle_errors, out, progress_bar
from pii.errors import ConfigError


def _gates(specs: list[str]) -> dict[str, float]:
    gates = {}
    for spec in specs:
        name, _, value = spec.partition("=")
        try:
            gates[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"--fail-under '{spec}': use METRIC=VALUE, e.g. f1=0.8") from None
    return gates


@handle_errors
def bench(
    model: Annotated[
        str, typer.Option(help="Model spec, local MLX directory or hub id.")
    ] = "smollm2-135m",
    data: Annotated[Path, typer.Option(help="Golden-schema file to bench on.")] = Path(
        "golden/test.jsonl"
    ),
    config: Annotated[
        Path | None, typer.Option(help="Baseline config (default: the tuned one).")
    ] = None,
    adapter: Annotated[
        Path, typer.Option(help="LoRA adapter directory (skipped with a note if absent).")
    ] = Path("adapters/smollm2-135m"),
    classifiers: Annotated[
        str, typer.Option(help="Comma-separated: fewshot, adapter.")
    ] = "fewshot,adapter",
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N items.")] = None,
    output: Annotated[Path, typer.Option("--out", help="Report directory.")] = Path(
        "bench/results/latest"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    fail_under: Annotated[
        list[str] | None,
        typer.Option(
            help="Quality gate METRIC=VALUE (repeatable); exit 3 when a classifier is below."
        ),
    ] = None,
) -> None:
    """Bench the tuned few-shot baseline and the LoRA adapter on the golden test set.

    Accuracy with 95% bootstrap intervals, hard-negative false-positive rate, latency; writes report.json and report.md to --out. Zero network: attempts are counted and reported.
    """
    from pii import bench as lib
    from pii.baseline import project_path
    from pii.classifier import load_classifier
    from pii.golden.schema import read_records
    from pii.jsonl import write_atomic

    gates = _gates(fail_under or [])
    data = project_path(data)
    records = read_records(data)[:limit]
    env = lib.environment(data, model)
    kinds = [k.strip() for k in classifiers.split(",") if k.strip()]
    adapter = project_path(adapter)
    if "adapter" in kinds and not adapter.exists():
        err.print(
            f"note: no adapter at {adapter}; benching without it (train one with `pii train`)"
        )
        kinds.remove("adapter")
    loaded = [load_classifier(kind, model, config=config, adapter=adapter) for kind in kinds]
    if not loaded:
        raise ConfigError("no classifier to bench: use --classifiers fewshot,adapter")
    results = []
    for clf in loaded:
        with progress_bar(len(records), f"{clf.name}") as advance:
            result = lib.evaluate(clf, records, progress=advance)
        result["latency"] = lib.latency(clf, [r["text"] for r in records])
        results.append(result)
    report = {
        "format_version": lib.FORMAT_VERSION,
        "n": len(records),
        "environment": env,
        "classifiers": results,
        "network_attempts": lib.network_attempts(),
    }
    output.mkdir(parents=True, exist_ok=True)
    write_atomic(output / "report.json", json.dumps(report, indent=2) + "\n")
    write_atomic(output / "report.md", lib.markdown(report))
    if as_json:
        print(
            json.dumps(
                {k: v for k, v in report.items() if k != "classifiers"}
                | {
                    "classifiers": [
                        {k: v for k, v in c.items() if k not in ("p_pii", "errors")}
                        for c in results
                    ]
                },
                indent=2,
            )
        )
    else:
        t = Table("classifier", "F1 [95% CI]", "F2", "recall", "precision", "AUROC", "p50 ms")
        for c in results:
            lo, hi = c["ci95"]["f1"]
            t.add_row(
                c["name"],
                f"{c['f1']:.3f} [{lo:.3f}, {hi:.3f}]",
                f"{c['f2']:.3f}",
                f"{c['recall']:.3f}",
                f"{c['precision']:.3f}",
                "-" if c["auroc"] is None else f"{c['auroc']:.3f}",
                f"{c['latency']['p50_s'] * 1000:.0f}",
            )
        out.print(t)
        out.print(
            f"{len(records)} items, network attempts: {report['network_attempts']}; "
            f"report: {output / 'report.md'}"
        )
    failed = [
        f"{c['name']} {m}={c.get(m)} < {v}"
        for c in results
        for m, v in gates.items()
        if c.get(m) is None or c[m] < v
    ]
    if failed:
        err.print("quality gate failed: " + "; ".join(failed))
        raise typer.Exit(EXIT_GATE)
