"""The out-of-distribution part of a bench report: whether the adapter's gain on the test
set holds on text written elsewhere (the opening paragraph), and the OOD set's own
headline, verdict and per-style and per-language tables.

Left out: computing any of it (pii.study.bench, pii.metrics.stats.transfer).
"""

from __future__ import annotations

from typing import Any

from pii.render.headline import HEADLINE_HEADER, headline_rows
from pii.render.tables import fmt, table


def transfer_lines(report: dict[str, Any]) -> list[str]:
    """One paragraph: does the test-set gain hold on the OOD set (difference of differences)?"""
    t = report.get("transfer")
    if not t:
        return []
    return [
        f"**Out of distribution** (n={t['n_ood']} texts written independently of the "
        f"templates, against n={t['n_test']} test items): {t['finding']}.",
        "",
    ]


def cut_note(part: dict[str, Any]) -> str:
    """How the LLM classifiers read long texts: as windows, none cut (a report from before
    windows says which classifiers saw only the head of some texts)."""
    cut = [f"{c['name']} {c['truncated']}" for c in part["classifiers"] if c.get("truncated")]
    if cut:
        return (
            f"**Texts cut to the token budget** (out of {part['n']}; the classifier saw only "
            f"their head): {', '.join(cut)}."
        )
    read = [
        f"{c['name']} {c['windows']['texts_with_several']} (up to {c['windows']['max_per_text']})"
        for c in part["classifiers"]
        if c.get("windows") and c["windows"]["texts_with_several"]
    ]
    if not read:
        return ""
    return (
        f"**Long texts read as windows** (out of {part['n']}; no text was cut): texts that "
        f"took more than one window, per classifier: {', '.join(read)}."
    )


def ood_section(report: dict[str, Any]) -> list[str]:
    """The OOD set's headline, verdict and slices by style (format) and language."""
    ood = report.get("ood")
    if not ood:
        return []
    source = report["environment"].get("ood_data") or "the OOD set"
    lines = [f"## Out-of-distribution set ({source}, n={ood['n']})", ""]
    if ood.get("verdict"):
        v = ood["verdict"]
        lines += [f"Verdict on this set alone: **{v['verdict']}**: {v['why']}.", ""]
    lines += [*table(HEADLINE_HEADER, headline_rows(ood)), ""]
    if cut_note(ood):
        lines += [cut_note(ood), ""]
    lines += ["Latency and tokens are measured on the test set only.", ""]
    for key, title, metric in (
        ("format", "F1 per style (format)", "f1"),
        ("language", "F1 per language", "f1"),
    ):
        first = ood["classifiers"][0]["slices"][key]
        rows = [
            [
                v,
                str(first[v]["n"]),
                *[fmt(c["slices"][key][v].get(metric)) for c in ood["classifiers"]],
            ]
            for v in sorted(first)
        ]
        names = [c["name"] for c in ood["classifiers"]]
        lines += [f"### OOD: {title}", "", *table(["slice", "n", *names], rows), ""]
    return lines
