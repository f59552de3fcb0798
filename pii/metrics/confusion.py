"""Counts behind a report's rates, without the per-text predictions: how many texts held PII,
from one classifier's precision, recall and accuracy (for reports that did not store it).

Plain arithmetic, no imports beyond the standard library, so the CLI's start-up stays light.
Left out: the scores themselves (pii.metrics.scores).
"""

from __future__ import annotations


def positives(scores: dict[str, float], n: int) -> int | None:
    """Items holding PII among `n`, from one classifier's precision, recall and accuracy.

    errors = FN + FP = P(1 - r) + rP(1 - p)/p, so P = n(1 - a) / ((1 - r) + r(1 - p)/p).
    None when degenerate (no true positive, or no error at all).
    """
    p, r, a = scores["precision"], scores["recall"], scores["accuracy"]
    if p <= 0 or r <= 0:
        return None
    denominator = (1 - r) + r * (1 - p) / p
    return round(n * (1 - a) / denominator) if denominator > 1e-12 else None
