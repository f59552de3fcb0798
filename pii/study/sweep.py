"""A LoRA recipe sweep, chosen on validation only.

A sweep file (YAML) names a base recipe, settings every configuration shares, and the
configurations:

    recipe: adapters/recipes/cpu-smollm2-135m.yaml
    fixed: {epochs: 3, patience: 2}
    configs:
      - {name: r8-b8-lr2e-4, rank: 8, num_layers: 8, learning_rate: 2.0e-4}
      - {name: r16-b16-lr5e-4, rank: 16, num_layers: 16, learning_rate: 5.0e-4}

Every configuration is checked (keys, types, values, blocks against the model's depth) before
any training. Each trains into `out/<name>/` with pii.training.loop; a finished one is read
back, an interrupted one resumes from its checkpoint, so running the sweep again continues it.
The summary (`sweep.json`) is rewritten after every configuration; the best is the one with
the highest validation F1 (then AUROC). Test and OOD data are never read here.

Left out: the table and plot (pii.render.sweep) and training itself (pii.training.loop).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pii.errors import ConfigError
from pii.golden import held_out
from pii.hashing import sha256_file
from pii.jsonl import write_atomic
from pii.provenance import now
from pii.training.recipe import TrainConfig

FORMAT_VERSION = 1
TOP_KEYS = ("recipe", "fixed", "configs", "prune")
PRUNE_KEYS = {"after_evals": int, "margin": (int, float)}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
COLUMNS = (
    "rank",
    "num_layers",
    "learning_rate",
    "epochs",
    "batch_size",
)


@dataclass
class Sweep:
    path: Path
    configs: list[tuple[str, TrainConfig]]
    prune: dict[str, Any] | None = None  # {after_evals, margin}: see prune_rule


def prune_rule(
    finished: list[list[dict[str, Any]]], after_evals: int, margin: float
) -> Callable[[list[dict[str, Any]]], str | None]:
    """A run's stopping rule from the validation histories of the configurations finished
    before it (same steps between evaluations): from its `after_evals`-th evaluation on, stop
    when its best validation F1 so far is more than `margin` below the best any finished
    configuration had reached by the same step. The winner is never stopped by it: a run
    that leads, or trails by less than the margin, trains on under its own early stopping."""

    def stop_if(history: list[dict[str, Any]]) -> str | None:
        if len(history) < after_evals or not finished:
            return None
        step = history[-1]["step"]
        mine = max(h["val_f1"] for h in history)
        by_then = [h["val_f1"] for f in finished for h in f if h["step"] <= step]
        if not by_then or mine >= max(by_then) - margin:
            return None
        return (
            f"best validation F1 {mine:.3f} by step {step}, more than {margin:g} below the "
            f"{max(by_then):.3f} a finished configuration had reached by then"
        )

    return stop_if


def read(path: Path, depth: Callable[[str], int] | None = None) -> Sweep:
    """The sweep in `path`, every configuration checked; `depth(model)` gives a model's
    number of blocks (read from its config, no weights loaded)."""
    import yaml

    from pii.paths import project_path

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with keys {', '.join(TOP_KEYS)}")
    unknown = sorted(map(str, set(data) - set(TOP_KEYS)))  # YAML keys may be numbers or null
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)}; use {TOP_KEYS}")
    fixed = data.get("fixed") or {}
    configs = data.get("configs")
    prune = data.get("prune")
    if prune is not None:
        if not isinstance(prune, dict) or set(prune) != set(PRUNE_KEYS):
            raise ConfigError(f"{path}: 'prune' must be a mapping of {', '.join(PRUNE_KEYS)}")
        for key, kind in PRUNE_KEYS.items():
            value = prune[key]
            if not isinstance(value, kind) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"{path}: prune.{key} must be a number >= 0")
        if prune["after_evals"] < 1:
            raise ConfigError(f"{path}: prune.after_evals must be at least 1")
    if not isinstance(fixed, dict):
        raise ConfigError(f"{path}: 'fixed' must be a mapping of recipe keys")
    if not isinstance(configs, list) or not configs:
        raise ConfigError(f"{path}: 'configs' must be a non-empty list of mappings")
    recipe = data.get("recipe")
    if recipe is not None and not isinstance(recipe, str):
        raise ConfigError(f"{path}: 'recipe' must be the path of a recipe file (a string)")
    base = project_path(recipe) if recipe else None
    if base is not None and not base.is_file():
        raise ConfigError(f"{path}: recipe '{recipe}' not found")
    out: list[tuple[str, TrainConfig]] = []
    for i, item in enumerate(configs, 1):
        if not isinstance(item, dict):
            raise ConfigError(f"{path}: configs[{i}] must be a mapping with a 'name'")
        name = item.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            raise ConfigError(
                f"{path}: configs[{i}]: 'name' must be letters, digits, '.', '_' or '-'"
            )
        if name in {n for n, _ in out}:
            raise ConfigError(f"{path}: configs[{i}]: name '{name}' is used twice")
        overrides = fixed | {k: v for k, v in item.items() if k != "name"}
        odd = sorted(repr(k) for k in overrides if not isinstance(k, str))
        if odd:
            raise ConfigError(
                f"{path}: config '{name}': key(s) {', '.join(odd)} are not recipe key names"
            )
        try:
            cfg = TrainConfig.from_file(base, overrides)
            cfg = _nulls(cfg, [k for k, v in overrides.items() if v is None])
        except ConfigError as e:
            raise ConfigError(f"{path}: config '{name}': {e}") from None
        if depth is not None:
            blocks = depth(cfg.model)
            if cfg.num_layers > blocks:
                raise ConfigError(
                    f"{path}: config '{name}': num_layers={cfg.num_layers} but {cfg.model} "
                    f"has {blocks} blocks"
                )
        out.append((name, cfg))
    return Sweep(Path(path), out, prune)


def _nulls(cfg: TrainConfig, keys: list[str]) -> TrainConfig:
    """Apply the sweep's explicit nulls (`val_limit: null` = every validation text), which
    the recipe reader treats as "not set"; only fields that may be empty accept one."""
    from dataclasses import fields, replace

    optional = {f.name for f in fields(TrainConfig) if "None" in str(f.type)}
    wrong = sorted(set(keys) - optional)
    if wrong:
        raise ConfigError(f"{', '.join(wrong)}: null is not allowed; give a value")
    if not keys:
        return cfg
    cfg = replace(cfg, **dict.fromkeys(keys))
    cfg.validate("sweep")
    return cfg


def row(name: str, cfg: TrainConfig, info: dict[str, Any]) -> dict[str, Any]:
    best = info.get("best") or {}
    return (
        {"name": name}
        | {k: getattr(cfg, k) for k in COLUMNS}
        | {
            "steps": info.get("steps"),
            "epochs_seen": info.get("epochs_seen"),
            "best_step": best.get("step"),
            "val_f1": best.get("val_f1"),
            "val_auroc": best.get("val_auroc"),
            "val_ci95": best.get("val_ci95"),
            "val_n": best.get("val_n"),
            "val_loss": best.get("val_loss"),
            "threshold": info.get("threshold"),
            "stopped_early": info.get("stopped_early"),
            "pruned": info.get("pruned"),
            "train_seconds": info.get("train_seconds"),
            "peak_memory_gb": info.get("peak_memory_gb"),
            "trainable_parameters": info.get("trainable_parameters"),
            "training_path": info.get("training_path"),
        }
    )


def best(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Highest validation F1, then AUROC, then the cheaper run."""
    done = [r for r in rows if r.get("val_f1") is not None]
    if not done:
        return None
    return max(done, key=lambda r: (r["val_f1"], r["val_auroc"] or 0.0, -(r["train_seconds"] or 0)))


def run(
    sweep: Sweep,
    out: Path,
    train_path: Path,
    valid_path: Path,
    *,
    log: Callable[[str], None] = print,
    trainer: Callable[..., dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Train every configuration not finished yet; returns (and writes) the summary."""
    from pii.engine.adapters import read_training
    from pii.training import checkpoint

    if trainer is None:
        from pii.training.loop import run as trainer
    for p in (train_path, valid_path):
        held_out.refuse(p, "the sweep")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = {"train_sha256": sha256_file(train_path), "valid_sha256": sha256_file(valid_path)}
    rows: list[dict[str, Any]] = []
    histories: list[list[dict[str, Any]]] = []  # validation histories of finished configurations
    for i, (name, cfg) in enumerate(sweep.configs, 1):
        folder = out / name
        if (folder / "training.json").exists():
            info = read_training(folder)
            if info.get("config") != asdict(cfg):
                raise ConfigError(
                    f"{folder}: trained with another configuration than '{name}' in "
                    f"{sweep.path}; rename the configuration or remove the folder"
                )
            _same_data(folder, {k: info.get(k) for k in data}, data)
            log(f"sweep {i}/{len(sweep.configs)} {name}: finished earlier, read back")
        else:
            work = checkpoint.workdir(folder)
            checkpoint.recover(work)
            resume = checkpoint.resumable(work)
            if resume:
                state = checkpoint.read_state(work)
                _same_data(folder, state.get("data", {}), data)
            force = not resume and any(checkpoint.has_run_files(f) for f in {folder, work})
            log(f"sweep {i}/{len(sweep.configs)} {name}: " + ("resuming" if resume else "training"))
            pruning = {}
            if sweep.prune and histories:
                pruning["stop_if"] = prune_rule(list(histories), **sweep.prune)
            info = trainer(
                cfg,
                folder,
                train_path,
                valid_path,
                resume=resume,
                force=force,
                log=lambda s, name=name: log(f"[{name}] {s}"),
                **pruning,
            )
        histories.append(list(info.get("history") or []))
        rows.append(row(name, cfg, info))
        summary = _summary(sweep, rows, train_path, valid_path)
        write_atomic(out / "sweep.json", json.dumps(summary, indent=2) + "\n")
    return summary


def _same_data(folder: Path, seen: dict[str, Any], now: dict[str, str]) -> None:
    """Every configuration of a sweep trains on the same files: refuse a run (finished or
    checkpointed) made on other versions of them."""
    changed = [k for k, v in now.items() if seen.get(k) != v]
    if changed:
        raise ConfigError(
            f"{folder}: trained on other training/validation files than the ones now "
            f"({', '.join(changed)} differ); remove the folder to train it again"
        )


def _summary(
    sweep: Sweep, rows: list[dict[str, Any]], train_path: Path, valid_path: Path
) -> dict[str, Any]:
    chosen = best(rows)
    return {
        "format_version": FORMAT_VERSION,
        "sweep_file": str(sweep.path),
        "sweep_sha256": sha256_file(sweep.path),
        "train_file": str(train_path),
        "train_sha256": sha256_file(train_path),
        "valid_file": str(valid_path),
        "valid_sha256": sha256_file(valid_path),
        "chosen_on": "validation F1, then validation AUROC (test and OOD never read)",
        "prune": sweep.prune,
        "configs": len(sweep.configs),
        "finished": len(rows),
        "complete": len(rows) == len(sweep.configs),
        "best": chosen["name"] if chosen else None,
        "rows": rows,
        "date": now(),
    }
