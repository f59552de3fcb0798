"""The learning curve: where does a LoRA adapter overtake the prompted baseline?

Adapters are trained on N = 50, 100, 250, 500, 1000 and all training examples with one
recipe (pii.training.loop, its `train_size` subsample); each N up to 500 with several seeds
(the subsample, the LoRA initialisation and the batch order all follow the seed), as small-N
fine-tuning varies from run to run. A recipe with `epochs` gives every N the same number of
passes; each N is evaluated every half epoch of its texts on `val_limit` validation texts
(a seeded stratified sample: the checkpoint, early stopping and the threshold are chosen
there, on validation only), with the warm-up cut to a tenth of a small N's steps. Each kept
adapter is then scored on every validation and test text with bootstrap intervals (from
cached frozen-block features where the model allows: pii.training.feature_scoring gives the
classifier's numbers at a quarter of its work), beside the tuned few-shot baseline, and
paired with it item by item; the break-even N is the smallest whose paired F1 interval lies
above zero for every seed. Every finished point is saved at once, so an interrupted study
continues where it stopped.

Left out: training itself (pii.training.loop), the bench's latency and slices
(pii.study.bench) and the plot and README (pii.render.learning_curve).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from pii.engine.adapters import read_training
from pii.errors import ConfigError
from pii.hashing import sha256_file
from pii.jsonl import write_atomic
from pii.metrics import stats
from pii.metrics.stats import RULE_OF_THUMB

FORMAT_VERSION = 1
SIZES: tuple[int | None, ...] = (50, 100, 250, 500, 1000, None)  # None: the whole pool
SEEDS = (13, 14, 15)
SEEDED_UP_TO = 500  # sizes above this get the recipe's seed only
METRICS = ("f1", "recall", "precision", "f2", "auroc")
# Settings that choose when and on what a run is evaluated, not how it trains: an adapter
# trained with the study's recipe under other values of these may stand in for N=all.
EVALUATION_KEYS = ("steps_per_eval", "val_limit", "val_batches", "notes")


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


def score(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, Any]:
    """Scores of probabilities `p` against labels `y`, with 95% bootstrap intervals."""
    pred = p >= threshold
    s, ci = stats.scores(y, pred, p), stats.bootstrap(y, pred, p)
    return {m: s[m] for m in METRICS} | {
        "ci95": {m: ci[m] for m in METRICS if m in ci},
        "pred": _bits(pred),  # per-item decisions, in file order, for the paired comparison
    }


def classifier_scores(clf: Any, records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A classifier's scores on records (see `score`)."""
    y = np.array([r["has_pii"] for r in records], dtype=bool)
    return score(y, clf.predict_proba([r["text"] for r in records])[:, 1], clf.threshold)


def adapter_scores(
    adapter: Path, model: str, records: dict[str, list[dict[str, Any]]], log: Callable[[str], None]
) -> tuple[dict[str, Any], float]:
    """An adapter's scores on each split, and its threshold: from cached frozen-block
    features when the model allows, else from the classifier."""
    from pii.training import feature_scoring

    found = feature_scoring.probabilities(adapter, records, model=model, log=log)
    if found is None:
        from pii.classifiers.adapter import load_adapter_classifier

        clf = load_adapter_classifier(adapter, model)
        texts = {k: [r["text"] for r in v] for k, v in records.items()}
        found = {k: clf.predict_proba(t)[:, 1] for k, t in texts.items()}, clf.threshold
    probs, threshold = found
    labels = {k: np.array([r["has_pii"] for r in v], dtype=bool) for k, v in records.items()}
    return {k: score(labels[k], probs[k], threshold) for k in records}, threshold


def _bits(flags: Iterable[bool]) -> str:
    return "".join("1" if f else "0" for f in flags)


def _unbits(bits: str) -> np.ndarray:
    return np.frombuffer(bits.encode(), dtype=np.uint8) == ord("1")


def _scored(entry: dict[str, Any] | None) -> bool:
    """Scored by this version: with the per-item decisions that the finding pairs."""
    return bool(entry) and all("pred" in entry[k] for k in ("valid", "test"))


def _label(n: int | None) -> str:
    return "all" if n is None else str(n)


def _key(n: int | None, seed: int, recipe_seed: int) -> str:
    """A point's key: the size, and the seed when it is not the recipe's own."""
    return _label(n) if seed == recipe_seed else f"{_label(n)}-s{seed}"


def parse_seeds(text: str) -> list[int]:
    try:
        seeds = [int(part) for part in text.split(",")]
    except ValueError:
        raise ConfigError(f"--seeds: '{text}' is not a comma-separated list of integers") from None
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise ConfigError(f"--seeds: '{text}': give distinct non-negative integers")
    return seeds


def point_recipe(recipe: Any, n: int | None, seed: int, n_pool: int, val_limit: int | None) -> Any:
    """The recipe for one point: its subsample and seed; with `epochs`, an evaluation on
    `val_limit` validation texts every N / (2 x batch) steps (half an epoch of N texts; a
    training text averages ~1.5 windows, so about a third of an epoch of windows) and the
    warm-up cut to a tenth of the steps of `epochs` passes over N texts (a small N's few
    steps would otherwise never reach the learning rate). Counted in texts, so that the
    schedule is known before the texts are cut into windows."""
    cfg = replace(recipe, train_size=n, seed=seed)
    if recipe.epochs is not None:
        per_epoch = max(1, (n or n_pool) // recipe.batch_size)
        steps = max(1, round(recipe.epochs * per_epoch))
        cfg = replace(
            cfg,
            steps_per_eval=max(1, per_epoch // 2),
            val_limit=val_limit,
            warmup=min(recipe.warmup, max(1, steps // 10)),
        )
    return cfg


def read_study(path: Path) -> dict[str, Any]:
    """A learning-curve study.json (to resume or render), version- and type-checked."""
    from pii.formats import read_versioned

    fix = "use a new --out, or delete that folder to start the study over"
    return read_versioned(path, "learning-curve study", FORMAT_VERSION, fix, {"recipe": dict})


def run(
    recipe: Any,
    out: Path,
    splits: dict[str, Path],
    baseline: Callable[[], Any],
    *,
    sizes: Sequence[int | None] = SIZES,
    seeds: Sequence[int] | None = None,
    all_from: Path | None = None,
    val_limit: int | None = 200,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train and score one adapter per size into `out`; returns (and saves) study.json.

    `splits` maps train/valid/test to golden files; `baseline` loads the prompted baseline.
    `all_from`: an adapter already trained on the whole pool with this very recipe (e.g. the
    shipped one) to use as the N=all point instead of training it again. `val_limit`:
    validation texts each run is evaluated on while it trains (None: all of them).
    """
    from pii.golden.schema import read_records
    from pii.training import checkpoint
    from pii.training import loop as train

    path = out / "study.json"
    study = read_study(path) if path.exists() else {}
    recipe_dict = asdict(replace(recipe, train_size=None))
    if study and (study.get("recipe"), study.get("val_limit")) != (recipe_dict, val_limit):
        raise ConfigError(
            f"{path} was made with another recipe or --val-limit; use a new --out or delete "
            "that directory"
        )
    n_pool = len(read_records(splits["train"]))
    study |= {
        "format_version": FORMAT_VERSION,
        "recipe": recipe_dict,
        "val_limit": val_limit,
        "files": {k: str(v) for k, v in splits.items()},
        "sha256": {k: sha256_file(v) for k, v in splits.items()},
        "pool_size": n_pool,
    }
    study.setdefault("points", {})
    records = {k: read_records(splits[k]) for k in ("valid", "test")}
    study["labels"] = {k: _bits(r["has_pii"] for r in v) for k, v in records.items()}
    # Every input is checked before the hours of work start, the baseline's included.
    too_big = [n for n in sizes if n is not None and n > n_pool]
    if too_big:
        raise ConfigError(
            f"--sizes: {too_big[0]} exceeds the {n_pool} examples in {splits['train']}"
        )
    if all_from is not None and None in sizes:
        _check_same_recipe(all_from, recipe_dict, splits)
    out.mkdir(parents=True, exist_ok=True)
    if not _scored(study.get("baseline")):
        log("scoring the prompted baseline on valid and test")
        clf = baseline()
        study["baseline"] = {"name": clf.name} | {
            k: classifier_scores(clf, v) for k, v in records.items()
        }
        write_atomic(path, json.dumps(study, indent=2) + "\n")
        del clf
    seeds = list(seeds) if seeds else [recipe.seed]
    plan = [
        (n, seed)
        for n in sizes
        for seed in (seeds if n is not None and n <= SEEDED_UP_TO else [recipe.seed])
    ]
    for n, seed in plan:
        key = _key(n, seed, recipe.seed)
        if _scored(study["points"].get(key)):
            log(f"N={key}: done before, kept")
            continue
        if key in study["points"]:
            log(f"N={key}: scored by an older version without per-item decisions; again")
        adapter = out / f"adapter-n{key}"
        if n is None and all_from is not None and not adapter.exists():
            adapter = all_from
            study["all_from"] = str(all_from)
        if not (adapter / "training.json").exists():
            log(f"N={key}: training")
            info = train.run(
                point_recipe(recipe, n, seed, n_pool, val_limit),
                adapter,
                splits["train"],
                splits["valid"],
                resume=checkpoint.resumable(checkpoint.workdir(adapter)),
                log=log,
            )
        else:
            info = read_training(adapter)
        log(f"N={key}: scoring on valid and test")
        point, threshold = adapter_scores(adapter, recipe.model, records, log)
        point |= {
            "n": n or n_pool,
            "seed": seed,
            "adapter": str(adapter),
            "train_seconds": info.get("train_seconds"),
            "best_step": info.get("best", {}).get("step"),
            "epochs_seen": info.get("epochs_seen"),
            "threshold": threshold,
        }
        study["points"][key] = point
        study["finding"] = finding(study)
        write_atomic(path, json.dumps(study, indent=2) + "\n")
    study["finding"] = finding(study)
    write_atomic(path, json.dumps(study, indent=2) + "\n")
    return study


def _check_same_recipe(adapter: Path, recipe: dict[str, Any], splits: dict[str, Path]) -> None:
    """Refuse an --all-from adapter trained with another recipe or on another training file.
    Evaluation settings may differ, and `iters` when `epochs` sets the steps (unread then)."""
    info_path = adapter / "training.json"
    if not info_path.exists():
        raise ConfigError(f"--all-from {adapter}: no training.json there")
    info = read_training(adapter)
    ignored = set(EVALUATION_KEYS) | ({"iters"} if recipe.get("epochs") is not None else set())
    differs = sorted(k for k in recipe if k not in ignored and info["config"].get(k) != recipe[k])
    if differs:
        raise ConfigError(
            f"--all-from {adapter}: trained with another recipe (differs in {differs})"
        )
    if info.get("train_sha256") != sha256_file(splits["train"]):
        raise ConfigError(f"--all-from {adapter}: trained on another training file")


def _join(sizes: list[int]) -> str:
    return ", ".join(map(str, sizes))


def finding(study: dict[str, Any], split: str = "test") -> dict[str, Any]:
    """Where the adapter overtakes the baseline on `split`, and what that says of the 500 rule.

    Each point is paired with the baseline on the same items (pii.stats.paired). A size is
    above when every seed's F1 is higher; clearly above (the break-even N) when every seed's
    95% interval of the F1 difference lies above 0; worth it when every seed gets the bench's
    verdict (a relative F1 gain whose interval lies above the 10% line).
    """
    y = _unbits(study["labels"][split])
    base = _unbits(study["baseline"][split]["pred"])
    paired: dict[str, list[dict[str, Any]]] = {}
    points = sorted(
        filter(_scored, study["points"].values()), key=lambda p: (p["n"], p.get("seed", 0))
    )
    for p in points:
        pair = stats.paired(y, base, _unbits(p[split]["pred"]))
        entry = pair | {"verdict": stats.verdict(pair)["verdict"], "seed": p.get("seed")}
        paired.setdefault(str(p["n"]), []).append(entry)

    def every(test: Callable[[dict[str, Any]], bool]) -> list[int]:
        return [int(n) for n, pairs in paired.items() if all(test(pair) for pair in pairs)]

    def first(test: Callable[[dict[str, Any]], bool]) -> int | None:
        found = every(test)
        return found[0] if found else None

    clearly_at = every(lambda pair: pair["f1_diff_ci95"][0] > 0)
    clearly = clearly_at[0] if clearly_at else None
    not_clearly = [
        int(n) for n in paired if clearly and int(n) > clearly and int(n) not in clearly_at
    ]
    if clearly is None:
        rule = "no size clearly beats prompting, so the data cannot confirm the 500-example rule"
    elif not_clearly:
        rule = (
            f"the adapter clearly beats prompting at N={_join(clearly_at)} but not at "
            f"N={_join(not_clearly)}: the gain does not grow with N, so these data support no "
            "size threshold, the 500-example rule included"
        )
    elif clearly < RULE_OF_THUMB:
        rule = f"the adapter clearly wins from N={clearly} on, below the 500-example rule of thumb"
    else:
        rule = f"the adapter clearly wins only from N={clearly} on, in line with the 500+ rule"
    return {
        "split": split,
        "baseline_f1": study["baseline"][split]["f1"],
        "seeds_per_size": {n: len(pairs) for n, pairs in paired.items()},
        "first_n_above": first(lambda pair: pair["f1_diff"] > 0),
        "first_n_clearly_above": clearly,
        "break_even_n": clearly,
        "clearly_above_at": clearly_at,
        "first_n_worth_it": first(lambda pair: pair["verdict"] == "worth it"),
        "rule_of_thumb": rule,
        "paired": paired,
    }
