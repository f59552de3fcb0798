"""The headline table every bench output shares: one row per classifier with F1, F2, recall,
precision, accuracy, AUROC, ECE (intervals where they exist), FPR on hard negatives,
latency and tokens. Used by report.md, the OOD section and the terminal.
"""

from __future__ import annotations

from typing import Any

from pii.render.tables import fmt, ms, num

HEADLINE = (
    ("f1", "F1"),
    ("f2", "F2"),
    ("recall", "recall"),
    ("precision", "precision"),
    ("accuracy", "accuracy"),
    ("auroc", "AUROC"),
    ("ece", "ECE"),
)


def headline_rows(report: dict[str, Any]) -> list[list[str]]:
    """One row per classifier: the headline metrics with intervals, FPR, latency, tokens."""
    rows = []
    for c in report["classifiers"]:
        s, ci, lat = c["scores"], c["ci95"], c.get("latency", {})
        fpr = c["slices"]["hard_negatives"]["fpr"]
        rows.append(
            [
                c["name"],
                *[fmt(s.get(k), ci.get(k)) for k, _ in HEADLINE],
                fmt(fpr),
                ms(lat.get("p50_s")),
                ms(lat.get("p95_s")),
                num(c.get("prompt_tokens_per_text")),
            ]
        )
    return rows


HEADLINE_HEADER = [
    "classifier",
    *[h for _, h in HEADLINE],
    "FPR hard neg.",
    "p50 ms",
    "p95 ms",
    "tokens/text",
]
