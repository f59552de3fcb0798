"""Describe a golden file: counts per type, slice, language, format and difficulty, the
distribution of text lengths, and where the PII sits in records that carry spans.

`golden_stats` returns one plain dict (what `pii golden stats --json` prints); `stats_tables`
turns it into rich tables for the terminal. Word counts split on whitespace: no tokenizer, so
the numbers do not depend on a model.

Left out: anything about labels' correctness or the split as a whole (see check.py).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from rich.table import Table

from pii.golden.schema import COMPOSITE_TEMPLATE_ID, HAND_TEMPLATE_ID, length_tag, read_records
from pii.taxonomy import DIFFICULTIES, FORMATS, LANGUAGES, PII_TYPES


def _percentile(values: list[int], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on sorted values."""
    pos = (len(values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(values) - 1)
    return round(values[lo] + (values[hi] - values[lo]) * (pos - lo), 1)


def distribution(values: list[int]) -> dict[str, float]:
    """min, p25, median, p75, p95 and max of the values."""
    s = sorted(values)
    if not s:
        return {}
    return {
        "min": s[0],
        "p25": _percentile(s, 0.25),
        "median": _percentile(s, 0.5),
        "p75": _percentile(s, 0.75),
        "p95": _percentile(s, 0.95),
        "max": s[-1],
    }


def _ordered(counts: Counter[str], order: tuple[str, ...]) -> dict[str, int]:
    """Counts in the taxonomy's order, then any other keys sorted (zero counts for known keys
    are kept so that a missing slice shows)."""
    out = {k: counts.get(k, 0) for k in order}
    out.update({k: counts[k] for k in sorted(counts) if k not in out})
    return out


def golden_stats(records: list[dict[str, Any]], source: str = "") -> dict[str, Any]:
    """The statistics of already validated golden records, as one JSON-ready dict."""
    tags = [r["tags"] for r in records]
    positives = sum(r["has_pii"] for r in records)
    hand = sum(r["template_id"] == HAND_TEMPLATE_ID for r in records)
    composite = sum(r["template_id"] == COMPOSITE_TEMPLATE_ID for r in records)
    long = [r for r in records if length_tag(r["text"]) == "long"]
    return {
        "file": source,
        "records": len(records),
        "positives": positives,
        "negatives": len(records) - positives,
        "per_type": _ordered(Counter(t for r in records for t in r["pii_types"]), tuple(PII_TYPES)),
        "slices": {
            "obfuscated": sum(t["obfuscated"] for t in tags),
            "novel": sum(t["novel"] for t in tags),
            "hard_negative": sum(t["hard_negative"] for t in tags),
            "hand": hand,
            "template": len(records) - hand - composite,
            "composite": composite,
            "long": len(long),
            "long_positive": sum(r["has_pii"] for r in long),
        },
        "negative_kinds": dict(
            sorted(Counter(t["negative_kind"] for t in tags if t["negative_kind"]).items())
        ),
        "languages": {
            k: v for k, v in _ordered(Counter(t["language"] for t in tags), LANGUAGES).items() if v
        },
        "formats": _ordered(Counter(t["format"] for t in tags), FORMATS),
        "difficulties": _ordered(Counter(t["difficulty"] for t in tags), DIFFICULTIES),
        "length_chars": distribution([len(r["text"]) for r in records]),
        "length_words": distribution([len(r["text"].split()) for r in records]),
        "length_buckets": _buckets([len(r["text"]) for r in records]),
        "spans": span_stats(records),
    }


TAIL_FROM = 0.9  # "PII only at the end": every span starts in the last 10% of the text


def span_stats(records: list[dict[str, Any]]) -> dict[str, int]:
    """Records with a spans field, their spans, and their positives by where the first PII
    value starts: in the first 10% of the text, before 90%, or only in the last 10%."""
    known = [r for r in records if "spans" in r]
    first = [r["spans"][0][0] / len(r["text"]) for r in known if r["has_pii"] and r["spans"]]
    return {
        "records": len(known),
        "spans": sum(len(r["spans"]) for r in known),
        "positives": len(first),
        "pii_starts_in_first_10pct": sum(x < 0.1 for x in first),
        "pii_starts_in_10_to_90pct": sum(0.1 <= x < TAIL_FROM for x in first),
        "pii_only_in_last_10pct": sum(x >= TAIL_FROM for x in first),
    }


LENGTH_BUCKETS = ((0, 200), (200, 1000), (1000, 3000), (3000, 10**9))


def _buckets(lengths: list[int]) -> dict[str, int]:
    """Texts per length band in characters: under 200, 200-999, 1,000-2,999, 3,000 and up."""
    names = ("<200", "200-999", "1000-2999", "3000+")
    return {
        name: sum(lo <= n < hi for n in lengths)
        for name, (lo, hi) in zip(names, LENGTH_BUCKETS, strict=True)
    }


def stats_file(path: str | Path) -> dict[str, Any]:
    """Validate a golden file (DataError at the first problem) and describe it."""
    return golden_stats(read_records(path), str(path))


def _count_table(title: str, counts: dict[str, int], total: int) -> Table:
    table = Table("", "count", "share", title=title, title_justify="left")
    for key, n in counts.items():
        table.add_row(key, str(n), f"{n / total:.1%}" if total else "-")
    return table


def stats_tables(stats: dict[str, Any]) -> list[Table]:
    """Rich tables for the terminal, one per group of counts."""
    n = stats["records"]
    overview = {"positives": stats["positives"], "negatives": stats["negatives"]}
    slices = dict(stats["slices"])
    slices.update({f"negative_kind={k}": v for k, v in stats["negative_kinds"].items()})
    lengths = Table("", *stats["length_chars"], title="text length", title_justify="left")
    for name in ("length_chars", "length_words"):
        label = "characters" if name == "length_chars" else "words"
        lengths.add_row(label, *(f"{v:g}" for v in stats[name].values()))
    return [
        _count_table(f"{stats['file']}: {n} records", overview, n),
        _count_table("positives per type", stats["per_type"], n),
        _count_table("slices", slices, n),
        _count_table("languages", stats["languages"], n),
        _count_table("formats", stats["formats"], n),
        _count_table("difficulties", stats["difficulties"], n),
        _count_table("length (characters)", stats["length_buckets"], n),
        lengths,
        _count_table("where the PII starts (records with spans)", _where(stats["spans"]), n),
    ]


def _where(spans: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in spans.items() if k != "spans"}
