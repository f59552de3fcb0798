"""Classification metrics for P(PII) scores, on top of scikit-learn.

Left out: confidence intervals, slices and paired tests (the bench adds them).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import fbeta_score, precision_recall_curve, precision_score, recall_score


def summary(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Precision, recall, F1, F2 and accuracy of boolean decisions."""
    y_true, y_pred = np.asarray(y_true, bool), np.asarray(y_pred, bool)
    return {
        "precision": float(precision_score(y_true, y_pred, zero_division=0)),
        "recall": float(recall_score(y_true, y_pred, zero_division=0)),
        "f1": float(fbeta_score(y_true, y_pred, beta=1, zero_division=0)),
        "f2": float(fbeta_score(y_true, y_pred, beta=2, zero_division=0)),
        "accuracy": float(np.mean(y_true == y_pred)),
        "n": int(len(y_true)),
    }


def best_threshold(y_true: np.ndarray, p: np.ndarray, beta: float = 1.0) -> tuple[float, float]:
    """The threshold on `p` that maximises F-beta, and that F-beta.

    Candidates are the observed scores (scikit-learn's precision-recall curve); ties go to
    the higher threshold (fewer false alarms at equal F). The threshold returned sits halfway
    between the chosen score and the next lower one, so the same decisions hold for scores
    that differ in the last digits (another batch size, the fast training path).
    """
    y_true = np.asarray(y_true, bool)
    if not y_true.any():
        return 0.5, 0.0
    precision, recall, thresholds = precision_recall_curve(y_true, p)
    b2 = beta * beta
    with np.errstate(divide="ignore", invalid="ignore"):
        f = (1 + b2) * precision * recall / (b2 * precision + recall)
    f = np.nan_to_num(f[:-1])  # the last point has no threshold
    best = int(np.flatnonzero(f == f.max())[-1])
    below = np.asarray(p, float)[np.asarray(p, float) < thresholds[best]]
    thr = (thresholds[best] + below.max()) / 2 if below.size else thresholds[best]
    return float(thr), float(f[best])
