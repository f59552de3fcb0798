"""Presenting a recipe sweep: the table (README.md) and the plot (sweep.png).

Input is sweep.json's content (pii.study.sweep); nothing here trains or scores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _ci(row: dict[str, Any], metric: str) -> str:
    value = row.get(f"val_{metric}")
    if value is None:
        return "n/a"
    lo, hi = (row.get("val_ci95") or {}).get(metric, [None, None])
    return f"{value:.3f} [{lo:.3f}, {hi:.3f}]" if lo is not None else f"{value:.3f}"


def markdown(summary: dict[str, Any]) -> str:
    rows = summary["rows"]
    n = {r.get("val_n") for r in rows} - {None}
    lines = [
        "# LoRA recipe sweep",
        "",
        f"{summary['finished']} of {summary['configs']} configurations trained"
        + ("" if summary["complete"] else " (not complete: run the sweep again to continue)")
        + f". Chosen on {summary['chosen_on']}. Validation: {summary['valid_file']}, "
        f"n = {', '.join(map(str, sorted(n))) or '?'} texts; 95% bootstrap intervals.",
        "",
        "| configuration | rank | blocks | learning rate | epochs (run) | best step | "
        "val F1 | val AUROC | val loss | training time | peak memory |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        mark = " **(best)**" if r["name"] == summary["best"] else ""
        epochs = f"{r['epochs'] or '-'} ({r['epochs_seen'] or 0:.2f})"
        if r.get("pruned"):
            epochs += " pruned"
        minutes = (r["train_seconds"] or 0) / 60
        lines.append(
            f"| {r['name']}{mark} | {r['rank']} | {r['num_layers']} | {r['learning_rate']:g} | "
            f"{epochs} | {r['best_step']} | {_ci(r, 'f1')} | {_ci(r, 'auroc')} | "
            f"{r['val_loss'] if r['val_loss'] is not None else 'n/a'} | {minutes:.1f} min | "
            f"{r['peak_memory_gb'] or 0:.2f} GB |"
        )
    lines += [
        "",
        "Epochs (run): the recipe's epochs and, in brackets, the passes actually made before "
        "early stopping. Training time excludes the validation passes and the one-off "
        "frozen-feature build.",
    ]
    if summary.get("prune"):
        rule = summary["prune"]
        lines += [
            "",
            f"Pruned: stopped from its evaluation {rule['after_evals']} on because its best "
            f"validation F1 trailed by more than {rule['margin']:g} the best a configuration "
            "trained before it had reached by the same step (the median-stopping idea, "
            "against the best): it saves the compute of clearly worse recipes and never stops "
            "the leader.",
        ]
        lines += [f"- {r['name']}: {r['pruned']}" for r in rows if r.get("pruned")]
    return "\n".join(lines)


def plot(summary: dict[str, Any], path: Path) -> None:
    """Validation F1 (95% CI) against training time, one point per configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in summary["rows"] if r.get("val_f1") is not None]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    for r in rows:
        x = (r["train_seconds"] or 0) / 60
        lo, hi = (r.get("val_ci95") or {}).get("f1", [r["val_f1"], r["val_f1"]])
        best = r["name"] == summary["best"]
        ax.errorbar([x], [r["val_f1"]], yerr=[[r["val_f1"] - lo], [hi - r["val_f1"]]],
                    marker="*" if best else "o", markersize=10 if best else 6, capsize=3,
                    color="tab:red" if best else "tab:blue")  # fmt: skip
        ax.annotate(r["name"], (x, r["val_f1"]), textcoords="offset points", xytext=(5, 4),
                    fontsize=7)  # fmt: skip
    ax.set(xlabel="training time (minutes, 2 CPU cores)", ylabel="validation F1 (95% CI)",
           title="LoRA recipe sweep (chosen on validation)")  # fmt: skip
    fig.tight_layout()
    tmp = path.with_name(path.name + ".tmp")
    fig.savefig(tmp, format="png")
    plt.close(fig)
    tmp.replace(path)
