"""The learning curve: where does a LoRA adapter overtake the prompted baseline?

Adapters are trained on N = 50, 100, 250, 500, 1000 and all training examples with one
recipe and seed (pii.train, its `train_size` subsample), and each is scored on the
validation and test splits with bootstrap intervals, beside the tuned few-shot baseline.
Every finished point is saved at once, so an interrupted study continues where it stopped.

Left out: training itself (pii.train) and the bench's latency and slices (pii.bench).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from pii import stats
from pii.errors import ConfigError
from pii.jsonl import write_atomic

FORMAT_VERSION = 1
SIZES: tuple[int | None, ...] = (50, 100, 250, 500, 1000, None)  # None: the whole pool
RULE_OF_THUMB = 500  # "fine-tune once you have 500+ labelled examples"
METRICS = ("f1", "recall", "precision", "f2", "auroc")


def parse_sizes(text: str) -> list[int | None]:
    sizes: list[int | None] = []
    for part in text.split(","):
        part = part.strip().lower()
        if part == "all":
            sizes.append(None)
        elif part.isdigit() and int(part) > 0:
            sizes.append(int(part))
        else:
            raise ConfigError(f"--sizes: '{part}' is not a positive number or 'all'")
    return sizes


def score(clf: Any, records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A classifier's scores on records, with 95% bootstrap intervals."""
    y = np.array([r["has_pii"] for r in records], dtype=bool)
    p = clf.predict_proba([r["text"] for r in records])[:, 1]
    pred = p >= clf.threshold
    s, ci = stats.scores(y, pred, p), stats.bootstrap(y, pred, p)
    return {m: s[m] for m in METRICS} | {"ci95": {m: ci[m] for m in METRICS if m in ci}}


def _label(n: int | None) -> str:
    return "all" if n is None else str(n)


def run(
    recipe: Any,
    out: Path,
    splits: dict[str, Path],
    baseline: Callable[[], Any],
    *,
    sizes: Sequence[int | None] = SIZES,
    all_from: Path | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train and score one adapter per size into `out`; returns (and saves) study.json.

    `splits` maps train/valid/test to golden files; `baseline` loads the prompted baseline.
    `all_from`: an adapter already trained on the whole pool with this very recipe (e.g. the
    shipped one) to use as the N=all point instead of training it again.
    """
    from pii import train
    from pii.classifier import load_adapter_classifier
    from pii.golden.schema import read_records

    out.mkdir(parents=True, exist_ok=True)
    path = out / "study.json"
    study = json.loads(path.read_text()) if path.exists() else {}
    recipe_dict = asdict(replace(recipe, train_size=None))
    if study and study.get("recipe") != recipe_dict:
        raise ConfigError(
            f"{path} was made with another recipe; use a new --out or delete that directory"
        )
    n_pool = len(read_records(splits["train"]))
    study |= {
        "format_version": FORMAT_VERSION,
        "recipe": recipe_dict,
        "files": {k: str(v) for k, v in splits.items()},
        "sha256": {k: train.sha256(v) for k, v in splits.items()},
        "pool_size": n_pool,
    }
    study.setdefault("points", {})
    records = {k: read_records(splits[k]) for k in ("valid", "test")}
    if "baseline" not in study:
        log("scoring the prompted baseline on valid and test")
        clf = baseline()
        study["baseline"] = {"name": clf.name} | {k: score(clf, v) for k, v in records.items()}
        write_atomic(path, json.dumps(study, indent=2) + "\n")
        del clf
    for n in sizes:
        key = _label(n)
        if key in study["points"]:
            log(f"N={key}: done before, kept")
            continue
        if n is not None and n > n_pool:
            raise ConfigError(f"--sizes: {n} exceeds the {n_pool} examples in {splits['train']}")
        adapter = out / f"adapter-n{key}"
        if n is None and all_from is not None and not adapter.exists():
            _check_same_recipe(all_from, recipe_dict, splits)
            adapter = all_from
        if not (adapter / "training.json").exists():
            log(f"N={key}: training")
            info = train.run(
                replace(recipe, train_size=n),
                adapter,
                splits["train"],
                splits["valid"],
                resume=(adapter / "checkpoint" / "state.json").exists(),
                log=log,
            )
        else:
            info = json.loads((adapter / "training.json").read_text())
        log(f"N={key}: scoring on valid and test")
        clf = load_adapter_classifier(adapter, recipe.model)
        point = {k: score(clf, v) for k, v in records.items()}
        point |= {
            "n": n or n_pool,
            "adapter": str(adapter),
            "train_seconds": info.get("train_seconds"),
            "best_step": info.get("best", {}).get("step"),
            "threshold": clf.threshold,
        }
        study["points"][key] = point
        study["finding"] = finding(study)
        write_atomic(path, json.dumps(study, indent=2) + "\n")
        del clf
    study["finding"] = finding(study)
    write_atomic(path, json.dumps(study, indent=2) + "\n")
    return study


def _check_same_recipe(adapter: Path, recipe: dict[str, Any], splits: dict[str, Path]) -> None:
    from pii import train

    info_path = adapter / "training.json"
    if not info_path.exists():
        raise ConfigError(f"--all-from {adapter}: no training.json there")
    info = json.loads(info_path.read_text())
    differs = sorted(k for k in recipe if k != "notes" and info["config"].get(k) != recipe[k])
    if differs:
        raise ConfigError(
            f"--all-from {adapter}: trained with another recipe (differs in {differs})"
        )
    if info.get("train_sha256") != train.sha256(splits["train"]):
        raise ConfigError(f"--all-from {adapter}: trained on another training file")


def finding(study: dict[str, Any], split: str = "test") -> dict[str, Any]:
    """Where the adapter overtakes the baseline on `split`, and what that says of the 500 rule.

    Overtakes: adapter F1 above the baseline's. Clearly: the adapter's F1 interval lies
    wholly above the baseline's F1.
    """
    base = study["baseline"][split]["f1"]
    points = sorted(study["points"].values(), key=lambda p: p["n"])
    above = [p["n"] for p in points if p[split]["f1"] > base]
    clearly = [p["n"] for p in points if p[split]["ci95"]["f1"][0] > base]
    first = clearly[0] if clearly else None
    if first is None:
        rule = "no size clearly beats prompting, so the data cannot confirm the 500-example rule"
    elif first < RULE_OF_THUMB:
        rule = f"the adapter clearly wins from N={first}, below the 500-example rule of thumb"
    else:
        rule = f"the adapter clearly wins only from N={first}, in line with the 500+ rule"
    return {
        "split": split,
        "baseline_f1": base,
        "first_n_above": above[0] if above else None,
        "first_n_clearly_above": first,
        "rule_of_thumb": rule,
    }


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

    def cell(s: dict[str, Any]) -> str:
        lo, hi = s["ci95"]["f1"]
        return f"{s['f1']:.3f} [{lo:.3f}, {hi:.3f}]"

    lines = [
        "# Learning curve",
        "",
        f"Recipe: {study['recipe']['model']}, {study['recipe']['iters']} steps x batch "
        f"{study['recipe']['batch_size']}, seed {study['recipe']['seed']}; pool of "
        f"{study['pool_size']} training examples.",
        "",
        "| N | valid F1 [95% CI] | test F1 [95% CI] | test recall | test AUROC | training s |",
        "|---|---|---|---|---|---|",
    ]
    for p in rows:
        auroc = p["test"].get("auroc")
        lines.append(
            f"| {p['n']} | {cell(p['valid'])} | {cell(p['test'])} | {p['test']['recall']:.3f} "
            f"| {auroc:.3f} | {p['train_seconds'] or 0:.0f} |"
            if auroc is not None
            else f"| {p['n']} | {cell(p['valid'])} | {cell(p['test'])} | "
            f"{p['test']['recall']:.3f} | n/a | {p['train_seconds'] or 0:.0f} |"
        )
    b = study["baseline"]
    lines += [
        f"| prompted ({b['name']}) | {cell(b['valid'])} | {cell(b['test'])} "
        f"| {b['test']['recall']:.3f} | {b['test'].get('auroc') or 0:.3f} | - |",
        "",
    ]
    if "finding" in study:
        f = study["finding"]
        lines += [
            f"First N above the baseline's test F1 ({f['baseline_f1']:.3f}): "
            f"{f['first_n_above'] or 'none'}; first N whose interval lies wholly above it: "
            f"{f['first_n_clearly_above'] or 'none'}. So {f['rule_of_thumb']}.",
            "",
            "![learning curve](learning_curve.png)",
            "",
        ]
    return "\n".join(lines)
