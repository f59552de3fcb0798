"""Statistics for the bench: bootstrap intervals, the paired comparison, calibration,
slices and the verdict. NumPy, SciPy and scikit-learn only; no model, no I/O.

Left out: running classifiers (pii.study.bench) and presenting results (pii.render.report).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import binomtest, rankdata
from sklearn.metrics import brier_score_loss, roc_auc_score

from pii.golden.schema import LONG_CHARS
from pii.metrics import scores as metrics
from pii.taxonomy import PII_TYPES

N_BOOT = 1000
GAIN_RULE = 0.10  # fine-tuning is worth it only above a 10% relative F1 gain
RULE_OF_THUMB = 500  # "fine-tune once you have 500+ labelled examples"


def _interval(draws: Sequence[float]) -> list[float]:
    return [float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))]


def scores(y: np.ndarray, pred: np.ndarray, p: np.ndarray | None) -> dict[str, float | None]:
    """Summary metrics; AUROC, ECE and Brier when there are probabilities."""
    s: dict[str, Any] = metrics.summary(y, pred)
    both = 0 < y.sum() < len(y)
    s["auroc"] = float(roc_auc_score(y, p)) if p is not None and both else None
    s["ece"] = ece(y, p) if p is not None else None
    s["brier"] = float(brier_score_loss(y, p)) if p is not None else None
    return s


def bootstrap(
    y: np.ndarray, pred: np.ndarray, p: np.ndarray | None, seed: int = 0
) -> dict[str, list[float]]:
    """95% percentile-bootstrap intervals of every score.

    All N_BOOT resamples are drawn and scored at once (counts for the decision metrics, ranks
    for AUROC, per-bin sums for ECE): the same draws and values as scoring each resample with
    `scores`, ~100x faster (tests/test_stats.py holds the two equal).
    """
    y, pred = np.asarray(y, bool), np.asarray(pred, bool)
    n = len(y)
    idx = np.random.default_rng(seed).integers(0, n, (N_BOOT, n))
    yb, pb = y[idx], pred[idx]
    tp = (yb & pb).sum(1)
    fp = (~yb & pb).sum(1)
    fn = (yb & ~pb).sum(1)

    def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.divide(a, b, out=np.zeros(len(a)), where=b > 0)

    draws: dict[str, np.ndarray] = {
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
        "f1": ratio(2 * tp, 2 * tp + fn + fp),
        "f2": ratio(5 * tp, 5 * tp + 4 * fn + fp),
        "accuracy": (yb == pb).mean(1),
    }
    if p is not None:
        prob = np.asarray(p, float)[idx]
        positives = yb.sum(1)
        both = (positives > 0) & (positives < n)
        ranks = rankdata(prob[both], axis=1)  # ties get the average rank, as ROC AUC counts them
        npos, nneg = positives[both], n - positives[both]
        rank_sum = (ranks * yb[both]).sum(1)
        draws["auroc"] = (rank_sum - npos * (npos + 1) / 2) / (npos * nneg)
        draws["ece"] = _ece_rows(yb, prob)
        draws["brier"] = ((prob - yb) ** 2).mean(1)
    return {k: _interval(v) for k, v in draws.items() if len(v)}


def _f1_recall_rows(y: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """F1 and recall of every row of (rows, n) boolean arrays (0 where undefined)."""
    tp = (y & pred).sum(1)
    fn = (y & ~pred).sum(1)
    fp = (~y & pred).sum(1)
    f1 = np.divide(2 * tp, 2 * tp + fn + fp, out=np.zeros(len(tp)), where=(2 * tp + fn + fp) > 0)
    recall = np.divide(tp, tp + fn, out=np.zeros(len(tp)), where=(tp + fn) > 0)
    return f1, recall


def _ece_rows(y: np.ndarray, p: np.ndarray, bins: int = 10) -> np.ndarray:
    """`ece` of every row of (rows, n) arrays: sum over bins of |sum(y) - sum(p)| / n."""
    rows, n = p.shape
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1) + bins * np.arange(rows)[:, None]
    sum_y = np.bincount(which.ravel(), weights=y.ravel(), minlength=rows * bins)
    sum_p = np.bincount(which.ravel(), weights=p.ravel(), minlength=rows * bins)
    return np.abs(sum_y - sum_p).reshape(rows, bins).sum(1) / n


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: |accuracy - confidence| per equal-width bin of P(PII)."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(y[mask].mean() - p[mask].mean())
    return float(total)


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Per-bin mean P(PII), observed rate and count, for the reliability diagram."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    return [
        {
            "bin": b,
            "mean_p": float(p[which == b].mean()),
            "rate": float(y[which == b].mean()),
            "n": int((which == b).sum()),
        }
        for b in range(bins)
        if (which == b).any()
    ]


def paired(y: np.ndarray, base: np.ndarray, other: np.ndarray, seed: int = 0) -> dict[str, Any]:
    """`other` against `base` on the same items: McNemar's exact test and bootstrap
    intervals of the F1 and recall differences and of the relative F1 gain."""
    base_right, other_right = base == y, other == y
    b = int((base_right & ~other_right).sum())  # only the base is right
    c = int((~base_right & other_right).sum())  # only the other is right
    p_value = float(binomtest(min(b, c), b + c, 0.5).pvalue) if b + c else 1.0
    idx = np.random.default_rng(seed).integers(0, len(y), (N_BOOT, len(y)))
    yb = np.asarray(y, bool)[idx]
    f1_b, recall_b = _f1_recall_rows(yb, np.asarray(base, bool)[idx])
    f1_o, recall_o = _f1_recall_rows(yb, np.asarray(other, bool)[idx])
    d_f1, d_recall = f1_o - f1_b, recall_o - recall_b
    some = f1_b > 0
    gain = d_f1[some] / f1_b[some]
    sb, so = metrics.summary(y, base), metrics.summary(y, other)
    return {
        "mcnemar": {"only_base_right": b, "only_other_right": c, "p_value": p_value},
        "f1_diff": so["f1"] - sb["f1"],
        "f1_diff_ci95": _interval(d_f1),
        "recall_diff": so["recall"] - sb["recall"],
        "recall_diff_ci95": _interval(d_recall),
        "relative_f1_gain": (so["f1"] - sb["f1"]) / sb["f1"] if sb["f1"] else None,
        "relative_f1_gain_ci95": _interval(gain) if len(gain) else None,
    }


def verdict(pair: dict[str, Any], rule: float = GAIN_RULE) -> dict[str, str]:
    """Worth it / not worth it / inconclusive, from the relative F1 gain's interval."""
    ci = pair.get("relative_f1_gain_ci95")
    if ci is None:
        return {
            "verdict": "inconclusive",
            "why": "the baseline's F1 is 0, so a relative gain is undefined",
        }
    lo, hi = ci
    gain = pair["relative_f1_gain"]
    text = (
        f"relative F1 gain {gain:+.1%} (95% CI {lo:+.1%} to {hi:+.1%}; "
        f"{pair['f1_diff'] * 100:+.1f} F1 points) against the {rule:.0%} line"
    )
    if lo > rule:
        return {"verdict": "worth it", "why": f"{text}: the whole interval is above it"}
    if hi < rule:
        return {"verdict": "not worth it", "why": f"{text}: the whole interval is below it"}
    return {"verdict": "inconclusive", "why": f"{text}: the interval straddles it"}


def slices(records: Sequence[dict[str, Any]], y: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    """Per slice, with its count: recall per PII type (items containing it), F1 per format,
    language and difficulty, FPR on hard negatives, recall on obfuscated items, F1 on
    novel vs known patterns and on long (>= LONG_CHARS characters) vs short texts."""

    def f1(mask: np.ndarray) -> dict[str, Any]:
        if not mask.any():
            return {"n": 0, "f1": None, "recall": None, "precision": None}
        s = metrics.summary(y[mask], pred[mask])
        return {
            "n": int(mask.sum()),
            "f1": s["f1"],
            "recall": s["recall"],
            "precision": s["precision"],
        }

    def rate(mask: np.ndarray, key: str) -> dict[str, Any]:
        return {"n": int(mask.sum()), key: float(pred[mask].mean()) if mask.any() else None}

    tags = [r["tags"] for r in records]
    out: dict[str, Any] = {"type": {}, "format": {}, "language": {}, "difficulty": {}}
    for t in PII_TYPES:
        mask = np.array([t in r["pii_types"] for r in records])
        if mask.any():
            out["type"][t] = rate(mask, "recall")
    for key in ("format", "language", "difficulty"):  # where the data tags them
        for value in sorted({tg[key] for tg in tags if tg.get(key) is not None}):
            out[key][value] = f1(np.array([tg.get(key) == value for tg in tags]))
    hard = np.array([bool(tg.get("hard_negative")) for tg in tags])
    out["hard_negatives"] = rate(hard, "fpr")
    kinds = sorted({tg["negative_kind"] for tg in tags if tg.get("negative_kind")})
    out["negative_kind"] = {
        k: rate(np.array([tg.get("negative_kind") == k for tg in tags]), "fpr") for k in kinds
    }
    obf = np.array([bool(tg.get("obfuscated")) for tg in tags])
    out["obfuscated"] = rate(obf & y, "recall")
    novel = np.array([bool(tg.get("novel")) for tg in tags])
    out["novel"] = {"novel": f1(novel), "known": f1(~novel)}
    long = np.array([len(r["text"]) >= LONG_CHARS for r in records])
    out["length"] = {"long": f1(long), "short": f1(~long)}
    return out


def novel_finding(
    records: Sequence[dict[str, Any]], y: np.ndarray, base: np.ndarray, other: np.ndarray
) -> dict[str, Any]:
    """Is `other` worse than `base` on the novel slice? Paired bootstrap on that slice."""
    mask = np.array([bool(r["tags"].get("novel")) for r in records])
    if mask.sum() < 10:
        return {"finding": "too few novel items to tell", "n": int(mask.sum())}
    pair = paired(y[mask], base[mask], other[mask])
    lo, hi = pair["f1_diff_ci95"]
    if hi < 0:
        finding = "the adapter is worse than the baseline on unseen patterns"
    elif lo > 0:
        finding = "the adapter is better than the baseline on unseen patterns"
    else:
        finding = "no clear difference on unseen patterns (the interval spans 0)"
    return {
        "finding": finding,
        "n": int(mask.sum()),
        "f1_diff": pair["f1_diff"],
        "f1_diff_ci95": pair["f1_diff_ci95"],
        "mcnemar_p": pair["mcnemar"]["p_value"],
    }


def transfer(
    test: tuple[np.ndarray, np.ndarray, np.ndarray],
    ood: tuple[np.ndarray, np.ndarray, np.ndarray],
    seed: int = 0,
) -> dict[str, Any]:
    """Does `other`'s F1 gain over `base` on the test set hold on the OOD set? Each argument
    is (labels, base decisions, other decisions); the difference of the two F1 differences
    gets a 95% interval from resampling both sets independently."""

    def gain(y: np.ndarray, base: np.ndarray, other: np.ndarray) -> float:
        return metrics.summary(y, other)["f1"] - metrics.summary(y, base)["f1"]

    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(N_BOOT):
        i = rng.integers(0, len(test[0]), len(test[0]))
        j = rng.integers(0, len(ood[0]), len(ood[0]))
        draws.append(gain(*(a[j] for a in ood)) - gain(*(a[i] for a in test)))
    d_test, d_ood = gain(*test), gain(*ood)
    lo, hi = _interval(draws)
    if lo > 0:
        how = "grows on the OOD set"
    elif hi < 0:
        how = "reverses on the OOD set" if d_ood < 0 <= d_test else "shrinks on the OOD set"
    else:
        how = "holds on the OOD set (no clear change)"
    return {
        "test_f1_diff": d_test,
        "ood_f1_diff": d_ood,
        "diff_of_diffs": d_ood - d_test,
        "diff_of_diffs_ci95": [lo, hi],
        "n_test": len(test[0]),
        "n_ood": len(ood[0]),
        "finding": (
            f"the adapter's F1 difference from the baseline, {d_test:+.3f} on test, {how}: "
            f"{d_ood:+.3f} (change {d_ood - d_test:+.3f}, 95% CI {lo:+.3f} to {hi:+.3f})"
        ),
    }
