"""`pii decide`: fine-tune or keep prompting, from the bench's measurements and your numbers.

Prints the four-question tree, both options' costs, the break-even volume and the verdict;
`--out DIR` writes decision.md, decision.html and decision.json; `--json` prints the JSON.
Options override a --config file (TOML or YAML, the same names with underscores).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from pii.cli.base import err, handle_errors, out
from pii.config_file import read_settings
from pii.errors import DataError
from pii.render.decision import cost_rows, training_line, write
from pii.study.decide import FORMAT_VERSION, KEYS, Decision, Supplied

D = Supplied()  # the defaults, for the help texts


HELP = {  # the numeric options' help texts, by option name
    "calls_per_month": f"Calls a month you expect (default {D.calls_per_month:,g}).",
    "price_per_hour": f"Machine price per hour (serving and training) (default {D.price_per_hour:g}).",
    "price_per_call": "Hosted price of one prompted call, instead of machine time; the adapter's scales by its prompt tokens.",
    "label_cost": f"Cost of labelling one example (default {D.label_cost:g}).",
    "retrains_per_year": f"Requirement changes a year, each a retraining (default {D.retrains_per_year:g}).",
    "miss_cost": f"Cost of one missed PII (default {D.miss_cost:g}).",
    "false_alarm_cost": f"Cost of one false alarm (default {D.false_alarm_cost:g}).",
    "prevalence": "Share of texts with PII (default: the bench data's).",
    "horizon_months": f"Months to spread the first training over (default {D.horizon_months:g}).",
    "basis": f"Call cost from p50 `latency` or batched `throughput` (default {D.basis}).",
    "min_f1": "Your bar: prompting needs this F1.",
    "min_recall": "Your bar: prompting needs this recall.",
    "max_fpr": "Your bar: prompting may flag at most this share of non-PII.",
}


def _number(help: str, **bounds: float) -> Any:
    """A non-negative number option that defaults to None (unset: the config or default)."""
    return Annotated[float | None, typer.Option(min=0, help=help, **bounds)]


def _text(help: str) -> Any:
    return Annotated[str | None, typer.Option(help=help)]


COLOURS = {"yes": "green", "no": "red", "fine-tune": "green", "keep prompting": "cyan"}


def supplied(options: dict[str, Any], config: Path | None = None) -> Supplied:
    """The user's numbers: options over the config file over the defaults."""
    values = read_settings(config, KEYS) if config is not None else {}
    values.update({k: v for k, v in options.items() if v is not None})
    return Supplied(**values, given=frozenset(values))


def print_decision(d: Decision) -> None:
    """The decision in the terminal, readable in 80 columns."""
    m = d.measured
    out.print(f"[bold]pii decide[/]: {escape(m.model)} ({escape(m.source)})", highlight=False)
    tree = Tree("[bold]Fine-tune or keep prompting?[/]")
    for i, a in enumerate(d.answers, 1):
        colour = COLOURS.get(a.answer, "yellow")
        node = tree.add(f"{i}. {a.question} [{colour}]{a.answer}[/] [dim]({a.source})[/]")
        node.add(escape(a.detail))
    out.print(tree, highlight=False)
    t = Table("", "prompting", "fine-tune", title="costs (your currency)", title_justify="left")
    for r in cost_rows(d):
        t.add_row(*r)
    out.print(t, highlight=False)
    out.print(escape(training_line(d)), highlight=False)
    out.print(f"Break-even: {escape(d.break_even_text)}.", highlight=False)
    colour = COLOURS.get(d.verdict, "yellow")
    out.print(f"[bold {colour}]verdict: {d.verdict}[/] - {escape(d.reason)}", highlight=False)
    for note in d.notes:
        out.print(f"[yellow]note:[/] {escape(note)}", highlight=False)


REPORTS = (Path("bench/results/latest/report.json"), Path("bench/results/smollm2-135m/report.json"))


def _latest_report() -> Path:
    """The newest of `pii bench`'s default output and the committed study."""
    from pii.paths import project_path

    found = [p for p in REPORTS if project_path(p).is_file()]
    if not found:
        raise DataError("no bench report found; run `pii bench` first or pass --report PATH")
    return max(found, key=lambda p: project_path(p).stat().st_mtime)


@handle_errors
def decide(
    report: Annotated[
        list[Path] | None,
        typer.Option(metavar="PATH", help="Bench report.json (repeatable; one decision each)."),
    ] = None,
    training: Annotated[
        Path | None,
        typer.Option(help="The adapter's training.json (default: from the report's adapter)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="TOML or YAML file with any of the numbers below.")
    ] = None,
    calls_per_month: _number(HELP["calls_per_month"]) = None,
    price_per_hour: _number(HELP["price_per_hour"]) = None,
    price_per_call: _number(HELP["price_per_call"]) = None,
    label_cost: _number(HELP["label_cost"]) = None,
    retrains_per_year: _number(HELP["retrains_per_year"]) = None,
    miss_cost: _number(HELP["miss_cost"]) = None,
    false_alarm_cost: _number(HELP["false_alarm_cost"]) = None,
    prevalence: _number(HELP["prevalence"], max=1) = None,
    horizon_months: _number(HELP["horizon_months"]) = None,
    basis: _text(HELP["basis"]) = None,
    min_f1: _number(HELP["min_f1"], max=1) = None,
    min_recall: _number(HELP["min_recall"], max=1) = None,
    max_fpr: _number(HELP["max_fpr"], max=1) = None,
    output: Annotated[
        Path | None,
        typer.Option("--out", help="Write decision.md, decision.html and decision.json here."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
) -> None:
    """Fine-tune or keep prompting? The four-question tree, break-even volume and error costs.

    Reads the bench report(s) and the adapter's training.json; no model is run. Each answer says whether it was MEASURED, SUPPLIED by you, or is unknown.
    """
    from pii.study.decide import decide as decide_lib
    from pii.study.evidence import load

    given = locals()  # the options above are named as Supplied's fields
    s = supplied({k: given[k] for k in KEYS}, config)
    paths = report or [_latest_report()]
    decisions = [decide_lib(load(p, training), s) for p in paths]
    if not report:
        err.print(
            f"report: {paths[0]} (the latest bench run; --report PATH to choose)", soft_wrap=True
        )
    try:  # strict JSON: a NaN or Infinity would make the file unreadable elsewhere
        body = json.dumps(
            {"format_version": FORMAT_VERSION, "decisions": [d.to_dict() for d in decisions]},
            indent=2,
            allow_nan=False,
        )
    except ValueError:
        raise DataError("the decision holds a non-finite number; check the inputs") from None
    payload = body + "\n"
    if output is not None:
        write(output, decisions, payload)
    if as_json:
        print(payload, end="")
        return
    for d in decisions:
        print_decision(d)
    if output is not None:
        out.print(f"wrote {output / 'decision.html'}, decision.md and decision.json")
