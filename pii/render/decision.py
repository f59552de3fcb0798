"""Presenting `pii decide`'s decisions (pii.study.decide.Decision objects, duck-typed: rendering
sits below the study and imports nothing from it): the cost table, the training line, decision.md and
decision.html. Nothing here decides anything (pii.study.decide) or prints (the CLI).
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from pii.jsonl import write_atomic
from pii.render.tables import html_page, money, table


def cost_rows(d: Any) -> list[list[str]]:
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


def training_line(d: Any) -> str:
    m, s = d.measured, d.supplied
    compute = m.training_seconds / 3600 * s.price_per_hour
    return (
        f"One training: {m.training_seconds:,.0f} s of machine time ({money(compute)}) + "
        f"{m.examples_seen:,} examples labelled at {money(s.label_cost)} "
        f"({money(s.label_cost * m.examples_seen)}) = {money(d.training_cost)}; spread over "
        f"{s.horizon_months:g} months plus {s.retrains_per_year:g} retraining(s) a year: "
        f"{money(d.fixed_monthly)} a month. PII prevalence assumed: {d.prevalence:.1%}."
    )


def input_rows(d: Any) -> list[list[str]]:
    s, rows = d.supplied, []
    for k in (f.name for f in fields(s) if f.name != "given"):
        value = getattr(s, k)
        shown = "-" if value is None else value if isinstance(value, str) else f"{value:,g}"
        rows.append([k, shown, "supplied" if k in s.given else "default"])
    return rows


def markdown(decisions: list[Any]) -> str:
    """decision.md: one section per report."""
    lines = ["# pii decide: fine-tune or keep prompting?", ""]
    for d in decisions:
        m, costs = d.measured, cost_rows(d)
        lines += [
            f"## {m.model}: **{d.verdict}**",
            "",
            f"{d.reason[0].upper()}{d.reason[1:]}.",
            "",
            f"From `{m.source}` ({m.n} benched items) and its adapter's training record.",
            "",
            "### The four questions",
            "",
            *table(
                ["#", "question", "answer", "by", "why"],
                [
                    [str(i), a.question, f"**{a.answer}**", a.source, a.detail]
                    for i, a in enumerate(d.answers, 1)
                ],
            ),
            "",
            "### Costs (your currency)",
            "",
            *table(costs[0], costs[1:]),
            "",
            training_line(d),
            "",
            f"Break-even: {d.break_even_text}.",
            "",
            "### Your numbers",
            "",
            *table(["input", "value", "source"], input_rows(d)),
            "",
        ]
        if d.notes:
            lines += ["### Notes", "", *[f"- {n}" for n in d.notes], ""]
    return "\n".join(lines)


def write(directory: Path, decisions: list[Any], payload: str) -> None:
    """decision.json (`payload`), decision.md and decision.html in `directory`."""
    text = markdown(decisions)
    page = html_page("pii decide", text)
    write_atomic(directory / "decision.json", payload)
    write_atomic(directory / "decision.md", text)
    write_atomic(directory / "decision.html", page)
