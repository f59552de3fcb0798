"""`pii decide`: fine-tune or keep prompting, from the bench's measurements and your numbers.

Prints the four-question tree, both options' costs, the break-even volume and the verdict;
`--out DIR` writes decision.md, decision.html and decision.json; `--json` prints the JSON.
Options override a --config file (TOML or YAML, the same names with underscores).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from pii.cli.base import handle_errors, out
from pii.decide import Decision, Supplied, money
from pii.errors import ConfigError

KEYS = [f.name for f in fields(Supplied) if f.name != "given"]
D = Supplied()  # the defaults, for the help texts
COLOURS = {"yes": "green", "no": "red", "fine-tune": "green", "keep prompting": "cyan"}


def _read_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read the config ({e.__class__.__name__})") from None
    import yaml

    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as e:
        kind = "TOML" if path.suffix == ".toml" else "YAML"
        raise ConfigError(f"{path}: not valid {kind} ({str(e).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table of settings, e.g. calls_per_month = 50000")
    data = {str(k).replace("-", "_"): v for k, v in data.items()}
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(KEYS)}"
        )
    return data


def supplied(options: dict[str, Any], config: Path | None = None) -> Supplied:
    """The user's numbers: options over the config file over the defaults."""
    values = _read_config(config) if config is not None else {}
    values.update({k: v for k, v in options.items() if v is not None})
    return Supplied(**values, given=frozenset(values))


def _cost_rows(d: Decision) -> list[list[str]]:
    m, c = d.measured, d.costs
    pairs = ((m.baseline, c["prompting"]), (m.adapter, c["fine-tune"]))
    calls = f"{d.supplied.calls_per_month:,.0f}"

    def row(label: str, f: Any) -> list[str]:
        return [label, *(f(x, y) for x, y in pairs)]

    return [
        row("classifier", lambda x, y: x.name),
        row("F1 / recall / FPR", lambda x, y: f"{x.f1:.3f} / {x.recall:.3f} / {x.fpr:.3f}"),
        row("p50 ms / tokens", lambda x, y: f"{x.p50_s * 1000:.0f} / {x.tokens_per_text or 0:.0f}"),
        row("compute a call", lambda x, y: money(y["compute_per_call"])),
        row("errors a call", lambda x, y: money(y["errors_per_call"])),
        row(f"compute, {calls}/month", lambda x, y: money(y["compute_monthly"])),
        row(f"errors, {calls}/month", lambda x, y: money(y["errors_monthly"])),
        row("training a month", lambda x, y: money(y["training_monthly"])),
        row("total a month", lambda x, y: money(y["total_monthly"])),
    ]


def _training_line(d: Decision) -> str:
    m, s = d.measured, d.supplied
    compute = m.training_seconds / 3600 * s.price_per_hour
    return (
        f"One training: {m.training_seconds:,.0f} s of machine time ({money(compute)}) + "
        f"{m.examples_seen:,} examples labelled at {money(s.label_cost)} "
        f"({money(s.label_cost * m.examples_seen)}) = {money(d.training_cost)}; spread over "
        f"{s.horizon_months:g} months plus {s.retrains_per_year:g} retraining(s) a year: "
        f"{money(d.fixed_monthly)} a month. PII prevalence assumed: {d.prevalence:.1%}."
    )


def _input_rows(d: Decision) -> list[list[str]]:
    s, rows = d.supplied, []
    for k in KEYS:
        value = getattr(s, k)
        shown = "-" if value is None else value if isinstance(value, str) else f"{value:,g}"
        rows.append([k, shown, "supplied" if k in s.given else "default"])
    return rows


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
    for r in _cost_rows(d):
        t.add_row(*r)
    out.print(t, highlight=False)
    out.print(escape(_training_line(d)), highlight=False)
    out.print(f"Break-even: {escape(d.break_even_text)}.", highlight=False)
    colour = COLOURS.get(d.verdict, "yellow")
    out.print(f"[bold {colour}]verdict: {d.verdict}[/] - {escape(d.reason)}", highlight=False)
    for note in d.notes:
        out.print(f"[yellow]note:[/] {escape(note)}", highlight=False)


def markdown(decisions: list[Decision]) -> str:
    """decision.md: one section per report."""
    from pii.report import _table

    lines = ["# pii decide: fine-tune or keep prompting?", ""]
    for d in decisions:
        m, costs = d.measured, _cost_rows(d)
        lines += [
            f"## {m.model}: **{d.verdict}**",
            "",
            f"{d.reason[0].upper()}{d.reason[1:]}.",
            "",
            f"From `{m.source}` ({m.n} benched items) and its adapter's training record.",
            "",
            "### The four questions",
            "",
            *_table(
                ["#", "question", "answer", "by", "why"],
                [
                    [str(i), a.question, f"**{a.answer}**", a.source, a.detail]
                    for i, a in enumerate(d.answers, 1)
                ],
            ),
            "",
            "### Costs (your currency)",
            "",
            *_table(costs[0], costs[1:]),
            "",
            _training_line(d),
            "",
            f"Break-even: {d.break_even_text}.",
            "",
            "### Your numbers",
            "",
            *_table(["input", "value", "source"], _input_rows(d)),
            "",
        ]
        if d.notes:
            lines += ["### Notes", "", *[f"- {n}" for n in d.notes], ""]
    return "\n".join(lines)


def _write(directory: Path, decisions: list[Decision], payload: str) -> None:
    from pii.jsonl import write_atomic
    from pii.report import html_page

    text = markdown(decisions)
    page = html_page({}, text, {}).replace("<title>pii bench</title>", "<title>pii decide</title>")
    write_atomic(directory / "decision.json", payload)
    write_atomic(directory / "decision.md", text)
    write_atomic(directory / "decision.html", page)


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
    calls_per_month: Annotated[
        float | None,
        typer.Option(min=0, help=f"Calls a month you expect (default {D.calls_per_month:,g})."),
    ] = None,
    price_per_hour: Annotated[
        float | None,
        typer.Option(
            min=0,
            help=f"Machine price per hour (serving and training) (default {D.price_per_hour:g}).",
        ),
    ] = None,
    price_per_call: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Hosted price of one prompted call, instead of machine time; the adapter's "
            "scales by its prompt tokens.",
        ),
    ] = None,
    label_cost: Annotated[
        float | None,
        typer.Option(min=0, help=f"Cost of labelling one example (default {D.label_cost:g})."),
    ] = None,
    retrains_per_year: Annotated[
        float | None,
        typer.Option(
            min=0,
            help=f"Requirement changes a year, each a retraining (default {D.retrains_per_year:g}).",
        ),
    ] = None,
    miss_cost: Annotated[
        float | None,
        typer.Option(min=0, help=f"Cost of one missed PII (default {D.miss_cost:g})."),
    ] = None,
    false_alarm_cost: Annotated[
        float | None,
        typer.Option(min=0, help=f"Cost of one false alarm (default {D.false_alarm_cost:g})."),
    ] = None,
    prevalence: Annotated[
        float | None,
        typer.Option(min=0, max=1, help="Share of texts with PII (default: the bench data's)."),
    ] = None,
    horizon_months: Annotated[
        float | None,
        typer.Option(
            min=0, help=f"Months to spread the first training over (default {D.horizon_months:g})."
        ),
    ] = None,
    basis: Annotated[
        str | None,
        typer.Option(
            help=f"Call cost from p50 `latency` or batched `throughput` (default {D.basis})."
        ),
    ] = None,
    min_f1: Annotated[
        float | None, typer.Option(min=0, max=1, help="Your bar: prompting needs this F1.")
    ] = None,
    min_recall: Annotated[
        float | None, typer.Option(min=0, max=1, help="Your bar: prompting needs this recall.")
    ] = None,
    max_fpr: Annotated[
        float | None,
        typer.Option(
            min=0, max=1, help="Your bar: prompting may flag at most this share of non-PII."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--out", help="Write decision.md, decision.html and decision.json here."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
) -> None:
    """Fine-tune or keep prompting? The four-question tree, break-even volume and error costs.

    Reads the bench report(s) and the adapter's training.json; no model is run. Each answer says whether it was MEASURED, SUPPLIED by you, or is unknown.
    """
    from pii.decide import decide as decide_lib
    from pii.evidence import load

    options = dict(
        calls_per_month=calls_per_month,
        price_per_hour=price_per_hour,
        price_per_call=price_per_call,
        label_cost=label_cost,
        retrains_per_year=retrains_per_year,
        miss_cost=miss_cost,
        false_alarm_cost=false_alarm_cost,
        prevalence=prevalence,
        horizon_months=horizon_months,
        basis=basis,
        min_f1=min_f1,
        min_recall=min_recall,
        max_fpr=max_fpr,
    )
    s = supplied(options, config)
    paths = report or [Path("bench/results/smollm2-135m/report.json")]
    decisions = [decide_lib(load(p, training), s) for p in paths]
    payload = json.dumps({"decisions": [d.to_dict() for d in decisions]}, indent=2) + "\n"
    if output is not None:
        _write(output, decisions, payload)
    if as_json:
        print(payload, end="")
        return
    for d in decisions:
        print_decision(d)
    if output is not None:
        out.print(f"wrote {output / 'decision.html'}, decision.md and decision.json")
