"""What each classifier got wrong, counted: a confusion matrix per classifier, misses by PII
type, false alarms by negative kind, errors by format and language (the ids behind a fold,
never the text), and the versions the run used, as a table.

Input is the report dictionary; the confusion matrix comes from the report's number of texts
and positives and each classifier's error list (missed = a positive scored below the
threshold, false alarm = a negative above it). Left out: the other sections (pii.render.report).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pii.render.tables import NA, table

FOLD_IDS = 200  # ids listed inside a fold, per classifier; report.json has them all


def positives(report: dict[str, Any]) -> int | None:
    """Texts with PII in the run: stored by the bench, else derived from a classifier's
    scores (a report written before the field)."""
    if isinstance(report.get("positives"), int):
        return report["positives"]
    from pii.metrics.confusion import positives as derived

    found = [derived(c["scores"], report["n"]) for c in report["classifiers"]]
    found = [p for p in found if p is not None]
    return Counter(found).most_common(1)[0][0] if found else None


def _counts(errors: list[dict[str, Any]], key: str, truth: bool) -> Counter[str]:
    out: Counter[str] = Counter()
    for e in errors:
        if e["truth"] is truth:
            values = e.get(key)
            for v in values if isinstance(values, list) else [values]:
                out[str(v) if v is not None else "(untagged)"] += 1
    return out


def _top(counter: Counter[str], k: int = 6) -> str:
    if not counter:
        return "none"
    shown = ", ".join(f"{name} {n}" for name, n in counter.most_common(k))
    rest = sum(counter.values()) - sum(n for _, n in counter.most_common(k))
    return shown + (f", other {rest}" if rest else "")


def confusion_section(report: dict[str, Any]) -> list[str]:
    """One row per classifier: TP, FN, FP, TN, from the error lists and the positives."""
    n, pos = report["n"], positives(report)
    rows = []
    for c in report["classifiers"]:
        fn = sum(1 for e in c["errors"] if e["truth"])
        fp = len(c["errors"]) - fn
        if pos is None:
            rows.append([c["name"], NA, str(fn), str(fp), NA])
        else:
            rows.append([c["name"], str(pos - fn), str(fn), str(fp), str(n - pos - fp)])
    with_pii = f"{pos:,} with PII, {n - pos:,} without" if pos is not None else "positives n/a"
    return [
        "## Confusion matrices",
        "",
        f"Counts over the {n:,} texts ({with_pii}) at each classifier's threshold.",
        "",
        *table(
            [
                "classifier",
                "PII found (TP)",
                "PII missed (FN)",
                "false alarms (FP)",
                "clean passed (TN)",
            ],
            rows,
        ),  # fmt: skip
        "",
    ]


def errors_section(report: dict[str, Any]) -> list[str]:
    """Errors grouped: misses by type, false alarms by negative kind, both by format and
    language; each classifier's ids inside a fold."""
    rows = []
    for c in report["classifiers"]:
        errs = c["errors"]
        by_format = Counter(str(e.get("format") or "(untagged)") for e in errs)
        by_language = Counter(str(e.get("language") or "(untagged)") for e in errs)
        rows.append([
            c["name"],
            _top(_counts(errs, "pii_types", True)),
            _top(_counts(errs, "negative_kind", False)),
            _top(by_format, 4),
            _top(by_language, 4),
        ])  # fmt: skip
    lines = [
        "## Errors, grouped",
        "",
        "Misses by the PII type the text held; false alarms by the kind of PII-free text "
        "(untagged: an ordinary negative); counts, never texts (`pii bench --show-text` adds "
        "them to report.json).",
        "",
        *table(
            [
                "classifier",
                "missed, by type",
                "false alarms, by kind",
                "errors by format",
                "errors by language",
            ],
            rows,
        ),  # fmt: skip
        "",
    ]
    for c in report["classifiers"]:
        ids = [f"{e['id']} ({'missed' if e['truth'] else 'false alarm'})" for e in c["errors"]]
        more = f" ... {len(ids) - FOLD_IDS} more in report.json" if len(ids) > FOLD_IDS else ""
        lines += [
            f"<details><summary>{c['name']}: the {len(ids)} error ids</summary>",
            "",
            ", ".join(ids[:FOLD_IDS]) + more,
            "",
            "</details>",
            "",
        ]
    return lines


def versions_section(report: dict[str, Any]) -> list[str]:
    """The packages the run used, and the data file's hash."""
    env = report["environment"]
    versions = env.get("versions") or {}
    rows = [[name, str(v) if v is not None else "not installed"] for name, v in versions.items()]
    data = (env.get("data_sha256") or NA)[:16]
    return [
        "## Versions",
        "",
        *table(["package", "version"], [["pii", str(env.get("pii", NA))], *rows]),
        "",
        f"Data: {env.get('data') or NA} (sha256 {data}...).",
        "",
    ]
