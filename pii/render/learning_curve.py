"""Presenting a learning-curve study: the F1-against-N plot and the study's README.

Input is study.json's content; nothing here trains or scores. Left out: the study itself
(pii.study.learning_curve).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pii.metrics.stats import RULE_OF_THUMB


def plot(study: dict[str, Any], path: Path) -> None:
    """F1 with 95% intervals against N (log scale), the baseline as horizontal lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = sorted(study["points"].values(), key=lambda p: p["n"])
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    for split, colour in (("valid", "tab:blue"), ("test", "tab:orange")):
        n = [p["n"] for p in points]
        f1 = np.array([p[split]["f1"] for p in points])
        lo = np.array([p[split]["ci95"]["f1"][0] for p in points])
        hi = np.array([p[split]["ci95"]["f1"][1] for p in points])
        ax.errorbar(n, f1, yerr=[f1 - lo, hi - f1], marker="o", capsize=3, color=colour,
                    label=f"adapter, {split}")  # fmt: skip
        base = study["baseline"][split]
        ax.axhline(base["f1"], color=colour, linestyle="--", linewidth=1,
                   label=f"prompted baseline, {split} (F1 {base['f1']:.3f})")  # fmt: skip
    ax.axvline(RULE_OF_THUMB, color="grey", linestyle=":", linewidth=1, label="500 examples")
    ax.set_xscale("log")
    ax.set(xlabel="training examples (N)", ylabel="F1 (95% CI)", title="learning curve")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    tmp = path.with_name(path.name + ".tmp")
    fig.savefig(tmp, format="png")
    plt.close(fig)
    tmp.replace(path)


def markdown(study: dict[str, Any]) -> str:
    rows = sorted(study["points"].values(), key=lambda p: p["n"])
    paired = study.get("finding", {}).get("paired", {})

    def cell(s: dict[str, Any]) -> str:
        lo, hi = s["ci95"]["f1"]
        return f"{s['f1']:.3f} [{lo:.3f}, {hi:.3f}]"

    def diff(n: int) -> str:
        if str(n) not in paired:
            return "- | -"
        pair = paired[str(n)]
        lo, hi = pair["f1_diff_ci95"]
        return f"{pair['f1_diff']:+.3f} [{lo:+.3f}, {hi:+.3f}] | {pair['mcnemar']['p_value']:.2g}"

    def auroc(s: dict[str, Any]) -> str:
        return "n/a" if s.get("auroc") is None else f"{s['auroc']:.3f}"

    lines = [
        "# Learning curve",
        "",
        f"Recipe: {study['recipe']['model']}, {study['recipe']['iters']} steps x batch "
        f"{study['recipe']['batch_size']}, seed {study['recipe']['seed']}; pool of "
        f"{study['pool_size']} training examples. Every N gets the same steps, so the kept "
        "checkpoint (best validation F1) has seen best step x batch examples: several passes "
        "over a small N, part of a large one.",
        "",
        "| N | valid F1 [95% CI] | test F1 [95% CI] | test F1 - prompted [95% CI], paired "
        "| McNemar p | test recall | test AUROC | best step | training s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for p in rows:
        lines.append(
            f"| {p['n']} | {cell(p['valid'])} | {cell(p['test'])} | {diff(p['n'])} "
            f"| {p['test']['recall']:.3f} | {auroc(p['test'])} | {p.get('best_step') or '-'} "
            f"| {p['train_seconds'] or 0:.0f} |"
        )
    b = study["baseline"]
    lines += [
        f"| prompted ({b['name']}) | {cell(b['valid'])} | {cell(b['test'])} | - | - "
        f"| {b['test']['recall']:.3f} | {auroc(b['test'])} | - | - |",
        "",
    ]
    if "finding" in study:
        f = study["finding"]
        lines += [
            f"On test, the first N above the prompted baseline's F1 ({f['baseline_f1']:.3f}) "
            f"is {f['first_n_above'] or 'none'}; the first whose paired F1 difference has "
            f"its 95% interval above 0 is {f['first_n_clearly_above'] or 'none'}; the first "
            "that the bench's rule calls worth it (relative F1 gain interval above 10%) is "
            f"{f.get('first_n_worth_it') or 'none'}. So {f['rule_of_thumb']}.",
            "",
            "![learning curve](learning_curve.png)",
            "",
        ]
    return "\n".join(lines)
