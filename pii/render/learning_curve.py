"""Presenting a learning-curve study: the F1-against-N plot and the study's README.

Input is study.json's content; nothing here trains or scores. Left out: the study itself
(pii.study.learning_curve).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pii.metrics.stats import RULE_OF_THUMB


def _by_size(study: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for p in sorted(study["points"].values(), key=lambda p: (p["n"], p.get("seed", 0))):
        out.setdefault(p["n"], []).append(p)
    return out


def plot(study: dict[str, Any], path: Path) -> None:
    """Each seed's F1 (small markers, 95% intervals when one seed) against N (log scale), the
    mean over seeds as a line, the seeds' spread as a band, the baseline as dashed lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = _by_size(study)
    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=120)
    for split, colour, shift in (("valid", "tab:blue", 0.97), ("test", "tab:orange", 1.03)):
        n = np.array(list(sizes))
        runs = [[p[split]["f1"] for p in ps] for ps in sizes.values()]
        mean = np.array([np.mean(r) for r in runs])
        ax.plot(n, mean, color=colour, linewidth=1.5, label=f"adapter, {split} (mean of seeds)")
        ax.fill_between(n, [min(r) for r in runs], [max(r) for r in runs], color=colour,
                        alpha=0.15, linewidth=0)  # fmt: skip
        for size, ps in sizes.items():
            for p in ps:
                lo, hi = p[split]["ci95"]["f1"]
                f1 = p[split]["f1"]
                ax.errorbar([size * shift], [f1], yerr=[[f1 - lo], [hi - f1]] if len(ps) == 1 else None,
                            marker="o", markersize=3.5, capsize=2, linestyle="none", color=colour,
                            alpha=0.8)  # fmt: skip
        base = study["baseline"][split]
        ax.axhline(base["f1"], color=colour, linestyle="--", linewidth=1,
                   label=f"prompted baseline, {split} (F1 {base['f1']:.3f})")  # fmt: skip
    ax.axvline(RULE_OF_THUMB, color="grey", linestyle=":", linewidth=1, label="500 examples")
    ax.set_xscale("log")
    ax.set(xlabel="training examples (N)", ylabel="F1 (each seed; band: spread)",
           title="learning curve")  # fmt: skip
    ax.legend(fontsize=7, loc="best", framealpha=0.8)
    fig.tight_layout()
    tmp = path.with_name(path.name + ".tmp")
    fig.savefig(tmp, format="png")
    plt.close(fig)
    tmp.replace(path)


def markdown(study: dict[str, Any]) -> str:
    paired = study.get("finding", {}).get("paired", {})

    def cell(s: dict[str, Any]) -> str:
        lo, hi = s["ci95"]["f1"]
        return f"{s['f1']:.3f} [{lo:.3f}, {hi:.3f}]"

    def diff(p: dict[str, Any]) -> str:
        pairs = paired.get(str(p["n"]), [])
        if isinstance(pairs, dict):  # a study written before seeds
            pairs = [pairs]
        pair = next((q for q in pairs if q.get("seed") in (None, p.get("seed"))), None)
        if pair is None:
            return "- | -"
        lo, hi = pair["f1_diff_ci95"]
        return f"{pair['f1_diff']:+.3f} [{lo:+.3f}, {hi:+.3f}] | {pair['mcnemar']['p_value']:.2g}"

    def auroc(s: dict[str, Any]) -> str:
        return "n/a" if s.get("auroc") is None else f"{s['auroc']:.3f}"

    r = study["recipe"]
    length = (
        f"{r['epochs']:g} epoch(s) at most for every N (early stopping on validation F1, "
        f"evaluated every half epoch of N texts on {_evaluated_on(study)}; the warm-up "
        "cut to a tenth of a small N's steps; every kept adapter then scored on all "
        "validation and test texts)"
        if r.get("epochs")
        else f"{r['iters']} steps for every N, so small N sees several passes and large N part of one"
    )
    lines = [
        "# Learning curve",
        "",
        f"Recipe: {r['model']}, rank {r['rank']} on {r['num_layers']} blocks, learning rate "
        f"{r['learning_rate']:g}, batch {r['batch_size']}, {length}; pool of "
        f"{study['pool_size']} training examples. Seeds: each N up to 500 is trained with "
        "every seed listed (subsample, initialisation and batch order follow the seed)."
        + (
            f" N=all is {study['all_from']}, trained with this recipe but evaluated under its "
            "own settings (recorded in its training.json)."
            if study.get("all_from")
            else ""
        ),
        "",
        "| N | seed | valid F1 [95% CI] | test F1 [95% CI] | test F1 - prompted [95% CI], paired "
        "| McNemar p | test recall | test AUROC | best step | epochs seen | training s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for ps in _by_size(study).values():
        for p in ps:
            lines.append(
                f"| {p['n']} | {p.get('seed', r['seed'])} | {cell(p['valid'])} | {cell(p['test'])} "
                f"| {diff(p)} | {p['test']['recall']:.3f} | {auroc(p['test'])} "
                f"| {p.get('best_step') or '-'} | {p.get('epochs_seen') or '-'} "
                f"| {p['train_seconds'] or 0:.0f} |"
            )
    b = study["baseline"]
    lines += [
        f"| prompted ({b['name']}) | - | {cell(b['valid'])} | {cell(b['test'])} | - | - "
        f"| {b['test']['recall']:.3f} | {auroc(b['test'])} | - | - | - |",
        "",
    ]
    if "finding" in study:
        f = study["finding"]
        lines += [
            f"On test (n = {len(study['labels']['test'])}), the first N above the prompted "
            f"baseline's F1 ({f['baseline_f1']:.3f}) in every seed is "
            f"{f['first_n_above'] or 'none'}; the break-even N, the first whose paired F1 "
            f"difference has its 95% interval above 0 in every seed, is "
            f"{f['first_n_clearly_above'] or 'none'}; the first that the bench's rule calls "
            f"worth it (relative F1 gain interval above 10%) in every seed is "
            f"{f.get('first_n_worth_it') or 'none'}. So {f['rule_of_thumb']}.",
            "",
            "![learning curve](learning_curve.png)",
            "",
        ]
    return "\n".join(lines)


def _evaluated_on(study: dict[str, Any]) -> str:
    limit = study.get("val_limit", study["recipe"].get("val_limit"))
    return "every validation text" if limit is None else f"{limit} validation texts (seeded)"
