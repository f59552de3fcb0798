"""The bench's PNG plots: ROC and PR curves, reliability diagram, per-type recall, latency.

Input is the report dictionary, the labels, each scored classifier's P(PII) and each
classifier's per-text latencies. Classifiers without scores (pii.classifier.has_scores)
appear in the recall and latency plots only; with no scored classifier at all there is no
curves.png or reliability.png.

Left out: computing anything (pii.metrics.stats) and the Markdown/HTML pages (pii.render.report).
"""

from __future__ import annotations

import io
from typing import Any


def render(
    report: dict[str, Any], y: Any, probs: dict[str, Any], latencies: dict[str, list[float]]
) -> dict[str, bytes]:
    """PNG images: ROC and PR curves, reliability diagram, per-type recall, latency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.metrics import precision_recall_curve, roc_curve

    images: dict[str, bytes] = {}

    def save(fig: Any, name: str) -> None:
        buf = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        images[name] = buf.getvalue()

    # Curves and reliability need scores; decision-only classifiers have none.
    if probs:
        fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
        for name, p in probs.items():
            fpr, tpr, _ = roc_curve(y, p)
            a.plot(fpr, tpr, label=name)
            prec, rec, _ = precision_recall_curve(y, p)
            b.plot(rec, prec, label=name)
        a.plot([0, 1], [0, 1], ":", color="grey")
        a.set(xlabel="false-positive rate", ylabel="true-positive rate", title="ROC")
        b.set(xlabel="recall", ylabel="precision", title="precision-recall")
        b.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
        save(fig, "curves.png")

    scored = [
        c
        for c in report["classifiers"]
        if c.get("reliability") and c["scores"].get("ece") is not None
    ]
    if scored:
        fig, ax = plt.subplots(figsize=(5, 4.5))
        ax.plot([0, 1], [0, 1], ":", color="grey")
        for c in scored:
            pts = c["reliability"]
            ax.plot(
                [q["mean_p"] for q in pts],
                [q["rate"] for q in pts],
                "o-",
                label=f"{c['name']} (ECE {c['scores']['ece']:.3f})",
            )
        ax.set(xlabel="mean predicted P(PII)", ylabel="observed PII rate", title="reliability")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
        save(fig, "reliability.png")

    types = list(report["classifiers"][0]["slices"]["type"])
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(report["classifiers"])
    for i, c in enumerate(report["classifiers"]):
        vals = [c["slices"]["type"][t]["recall"] for t in types]
        ns = [c["slices"]["type"][t]["n"] for t in types]
        err = [1.96 * np.sqrt(max(v * (1 - v), 1e-9) / n) for v, n in zip(vals, ns, strict=True)]
        ax.bar(np.arange(len(types)) + i * width, vals, width, yerr=err, capsize=2, label=c["name"])
    ax.set_xticks(np.arange(len(types)) + width * (len(report["classifiers"]) - 1) / 2)
    ax.set_xticklabels(types, rotation=45, ha="right", fontsize=8)
    ax.set(ylabel="recall (95% normal interval)", title="recall per PII type", ylim=(0, 1.05))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    save(fig, "slices.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    every = np.concatenate([np.asarray(t, dtype=float) for t in latencies.values()]) * 1000
    lo, hi = max(every.min(), 1e-3), max(every.max(), 1e-2)
    bins = np.logspace(np.log10(lo) - 0.05, np.log10(hi) + 0.05, 40)  # regex to LLM: 5 decades
    for name, times in latencies.items():
        ax.hist(np.maximum(np.array(times) * 1000, lo), bins=bins, alpha=0.6, label=name)
    ax.set_xscale("log")
    ax.set(xlabel="ms per text (batch 1, warm; log scale)", ylabel="texts", title="latency")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    save(fig, "latency.png")
    return images
