"""Two bench reports side by side: one row per classifier kind both ran and metric, with
each run's value and 95% interval and the difference B - A with its interval.

The two runs are independent (another model, machine or data), so the difference's interval
is the unpaired one: each run's bootstrap interval read as +/-1.96 standard errors, the
errors added in quadrature. It is wider than a paired interval on the same texts would be;
a difference whose interval excludes 0 is one the data supports. Latency has no interval.

Left out: reading the reports (pii.report_format) and printing (pii.cli.bench).
"""

from __future__ import annotations

import math
from typing import Any

METRICS = ("f1", "recall", "precision", "auroc")


def _kind(section: dict[str, Any]) -> str:
    return str(section.get("kind") or section["name"])


def _interval(section: dict[str, Any], metric: str) -> list[float] | None:
    ci = section.get("ci95", {}).get(metric)
    ok = isinstance(ci, list) and len(ci) == 2 and all(isinstance(x, int | float) for x in ci)
    return [float(ci[0]), float(ci[1])] if ok else None


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows {classifier, metric, a, a_ci95, b, b_ci95, diff, diff_ci95, clear} for every
    classifier kind in both reports, plus p50 latency in ms (no interval)."""
    by_kind = {_kind(s): s for s in b["classifiers"]}
    rows = []
    for sa in a["classifiers"]:
        sb = by_kind.get(_kind(sa))
        if sb is None:
            continue
        for metric in METRICS:
            va, vb = sa["scores"].get(metric), sb["scores"].get(metric)
            if not isinstance(va, int | float) or not isinstance(vb, int | float):
                continue
            ca, cb = _interval(sa, metric), _interval(sb, metric)
            row = {"classifier": _kind(sa), "metric": metric, "a": va, "a_ci95": ca, "b": vb,
                   "b_ci95": cb, "diff": vb - va, "diff_ci95": None, "clear": None}  # fmt: skip
            if ca and cb:
                se = math.hypot((ca[1] - ca[0]) / 3.92, (cb[1] - cb[0]) / 3.92)
                lo, hi = row["diff"] - 1.96 * se, row["diff"] + 1.96 * se
                row["diff_ci95"] = [lo, hi]
                row["clear"] = lo > 0 or hi < 0
            rows.append(row)
        pa = (sa.get("latency") or {}).get("p50_s")
        pb = (sb.get("latency") or {}).get("p50_s")
        if isinstance(pa, int | float) and isinstance(pb, int | float):
            rows.append({"classifier": _kind(sa), "metric": "p50_ms", "a": pa * 1e3,
                         "a_ci95": None, "b": pb * 1e3, "b_ci95": None,
                         "diff": (pb - pa) * 1e3, "diff_ci95": None, "clear": None})  # fmt: skip
    return rows
