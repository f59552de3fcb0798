"""A training run's resumable state: the step, history, best entry and counters (`RunState`),
saved with the adapter weights and the optimizer state into `out/checkpoint/`.

A save writes `checkpoint.tmp/`, moves the previous `checkpoint/` aside to `checkpoint.old/`
and renames the new one into place: a run killed at any point keeps a checkpoint to resume
from (`recover` puts `.old` back when the kill fell between the two renames). Left out:
when to save (pii.training.loop).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import mlx.core as mx
import mlx.nn as nn

from pii.errors import ConfigError
from pii.training.recipe import TrainConfig


@dataclass
class RunState:
    step: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, Any] = field(default_factory=dict)
    evals_since_best: int = 0
    train_seconds: float = 0.0
    trained_tokens: int = 0  # loss tokens: one answer token per example
    input_tokens: int = 0  # prompt + answer tokens the model ran on
    peak_memory_gb: float = 0.0
    best_scores: list[float] = field(default_factory=list)  # valid P(PII) at the best step
    pruned: str | None = None  # why a sweep stopped this run early (pii.study.sweep's rule)


def save(
    out: Path,
    model: nn.Module,
    optimizer: Any,
    state: RunState,
    cfg: TrainConfig,
    data: dict[str, str] | None = None,
) -> None:
    """Write the checkpoint (weights, optimizer, state, config and the data files' hashes,
    which a resume must match) beside the old one, then swap them."""
    from mlx.utils import tree_flatten

    tmp = out / "checkpoint.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    mx.save_safetensors(
        str(tmp / "adapters.safetensors"), dict(tree_flatten(model.trainable_parameters()))
    )
    mx.save_safetensors(str(tmp / "optimizer.safetensors"), dict(tree_flatten(optimizer.state)))
    (tmp / "state.json").write_text(
        json.dumps({"config": asdict(cfg), "state": asdict(state), "data": data or {}}, indent=2)
    )
    final, old = out / "checkpoint", out / "checkpoint.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)  # killed from here to the next line: recover() puts it back
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def workdir(out: Path) -> Path:
    """Where a run on adapter folder `out` keeps its checkpoint and best weights until it
    finishes: the hidden sibling `.NAME.run/`, so a finished adapter in `out` stays whole
    (and loadable) while another run trains to replace it. A run started before working
    folders existed kept them in `out` itself: then `out`."""
    out = Path(out)
    if any((out / name).exists() for name in ("checkpoint", "checkpoint.tmp", "checkpoint.old")):
        return out
    named = out if out.name else out.resolve()  # "--out ." names the current folder
    return named.parent / f".{named.name}.run"


def read_state(out: Path) -> dict[str, Any]:
    """The checkpoint's state.json (config, step state, data hashes), type-checked."""
    from pii.formats import check_fields, read_object

    path = out / "checkpoint" / "state.json"
    fix = "start over with --force"
    saved = read_object(path, "checkpoint state", fix, ConfigError)
    fields = {"config": dict, "state": dict}
    check_fields(
        saved, fields, path, "checkpoint state", error=ConfigError, optional={"data": dict}
    )
    return saved


def recover(out: Path) -> None:
    """Undo a save killed between its two renames: the previous checkpoint comes back."""
    old, final = out / "checkpoint.old", out / "checkpoint"
    if old.is_dir() and not (final / "state.json").is_file():
        shutil.rmtree(final, ignore_errors=True)
        old.rename(final)


def restore_optimizer(optimizer: Any, model: nn.Module, path: Path) -> None:
    """Put saved optimizer state back into the structure the optimizer builds itself."""
    from mlx.utils import tree_flatten, tree_map_with_path

    optimizer.init(model.trainable_parameters())
    saved = mx.load(str(path))
    expected = {k for k, _ in tree_flatten(optimizer.state)}
    if set(saved) != expected:
        raise ConfigError(
            f"{path}: optimizer state does not match the adapter's parameters; start over with --force"
        )
    optimizer.state = tree_map_with_path(lambda p, x: saved[p], optimizer.state)


# What a training run writes into its --out folder, and nothing else.
RUN_FILES = frozenset(
    {
        "adapter_config.json",
        "adapters.safetensors",
        "training.json",
        "checkpoint",
        "checkpoint.tmp",
        "checkpoint.old",
        ".adapters.tmp.safetensors",
        "manifest.json",
    }
)


def foreign_entries(out: Path) -> list[str]:
    """Names in `out` that no training run writes (empty when `out` does not exist)."""
    if not out.is_dir():
        return []
    return sorted(
        p.name for p in out.iterdir() if p.name not in RUN_FILES and not _ours_tmp(p.name)
    )


def _ours_tmp(name: str) -> bool:
    """A temporary file an atomic write of a run file left behind when it was killed."""
    return name.endswith(".tmp") and any(name.startswith(f".{f}.") for f in RUN_FILES)


def remove_run(out: Path) -> None:
    """Remove what a run wrote into `out` (for --force), leaving the folder itself."""
    if not out.is_dir():
        return
    for name in RUN_FILES:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    for path in out.iterdir():
        if _ours_tmp(path.name):
            path.unlink()


def resumable(out: Path) -> bool:
    """A checkpoint a run can continue from (a save killed half-way leaves checkpoint.tmp and
    the previous checkpoint/ intact)."""
    return (out / "checkpoint" / "state.json").is_file()


def has_run_files(out: Path) -> bool:
    """Anything a run writes, e.g. the leftovers of one killed before its first save."""
    return out.is_dir() and any((out / name).exists() for name in RUN_FILES)
