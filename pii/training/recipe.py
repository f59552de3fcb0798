"""A training recipe: the `TrainConfig` dataclass, read from YAML or TOML and checked.

A recipe file (adapters/recipes/*.yaml) sets any of the fields; CLI options override them.
Every bad key or value is a ConfigError naming the file and the fix, raised before any
model is loaded. Left out: running it (pii.training.loop).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from pii.classifiers import prompts
from pii.classifiers.windows import DEFAULT_OVERLAP
from pii.config_file import read_settings, show_keys
from pii.errors import ConfigError


@dataclass
class TrainConfig:
    """A training recipe. Files (YAML or TOML) set these keys; CLI options override them."""

    model: str = "smollm2-135m"
    rank: int = 8
    scale: float = 20.0
    dropout: float = 0.0
    num_layers: int = 8  # LoRA on the last N transformer blocks
    learning_rate: float = 2e-4
    lr_schedule: str = "cosine"  # cosine (with warmup) or constant
    warmup: int = 10
    iters: int = 200  # optimizer steps (ignored when `epochs` is set)
    epochs: float | None = None  # passes over the pool; sets the steps from the pool's size
    batch_size: int = 8
    max_tokens: int = 192  # window size in tokens (longer texts: windows); the prompt adds ~40
    window_overlap: int = DEFAULT_OVERLAP  # tokens consecutive windows share (<= max_tokens/3)
    max_negative_windows: int | None = 2  # PII-free windows kept per training text (seeded)
    seed: int = 13
    train_size: int | None = None  # seeded subsample of the training pool (learning curves)
    steps_per_eval: int = 25
    val_limit: int | None = 160  # validation items scored for F1 at each evaluation
    val_batches: int = 10  # validation-loss batches at each evaluation
    patience: int = 4  # evaluations without improvement before stopping
    select_beta: float = 1.0  # F-beta that picks the best checkpoint (2 = recall-weighted)
    instruction: str = "short"
    precision: str = "auto"
    grad_checkpoint: bool = False
    fast: bool = True  # cached frozen-layer features, adapted blocks only (pii.training.fast)
    notes: str = ""  # free text: expected time and memory of the recipe

    @classmethod
    def from_file(cls, path: Path | None, overrides: dict[str, Any] | None = None) -> TrainConfig:
        known = [f.name for f in fields(cls)]
        data = read_settings(path, known) if path is not None else {}
        data.update({k: v for k, v in (overrides or {}).items() if v is not None})
        unknown = sorted(set(data) - set(known), key=str)
        if unknown:
            raise ConfigError(f"options: unknown key(s) {show_keys(unknown)}")
        cfg = cls(**data)
        cfg.validate(str(path or "options"))
        return cfg

    def validate(self, where: str) -> None:
        self._check_types(where)
        positive = (
            "rank",
            "num_layers",
            "iters",
            "batch_size",
            "max_tokens",
            "steps_per_eval",
            "patience",
        )
        for name in positive:
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ConfigError(
                    f"{where}: {name}={getattr(self, name)!r}: use a positive integer"
                )
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"{where}: dropout={self.dropout}: use a value in [0, 1)")
        if self.learning_rate <= 0:
            raise ConfigError(f"{where}: learning_rate={self.learning_rate}: use a positive number")
        if self.lr_schedule not in ("cosine", "constant"):
            raise ConfigError(f"{where}: lr_schedule '{self.lr_schedule}': use cosine or constant")
        if self.instruction not in prompts.INSTRUCTIONS:
            raise ConfigError(
                f"{where}: instruction '{self.instruction}': use one of {', '.join(prompts.INSTRUCTIONS)}"
            )
        if self.max_negative_windows is not None and self.max_negative_windows < 0:
            raise ConfigError(
                f"{where}: max_negative_windows={self.max_negative_windows!r}: use an integer "
                ">= 0 or leave it out (every window)"
            )
        for name in ("val_limit", "train_size"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(
                    f"{where}: {name}={value!r}: use a positive integer or leave it out"
                )
        overlap = self.window_overlap
        if not isinstance(overlap, int) or overlap < 0:
            raise ConfigError(
                f"{where}: window_overlap={overlap!r}: use an integer >= 0 (at most a third "
                "of max_tokens is used)"
            )
        if self.epochs is not None and not 0 < self.epochs <= 100:
            raise ConfigError(f"{where}: epochs={self.epochs!r}: use a number in (0, 100]")
        if self.val_batches < 1 or self.warmup < 0 or self.seed < 0:
            raise ConfigError(
                f"{where}: val_batches must be >= 1, warmup and seed >= 0 "
                f"(got {self.val_batches}, {self.warmup}, {self.seed})"
            )
        if self.scale <= 0 or self.select_beta <= 0:
            raise ConfigError(f"{where}: scale and select_beta must be positive numbers")
        if self.precision not in ("auto", "float32", "quantized"):
            raise ConfigError(
                f"{where}: precision '{self.precision}': use auto, float32 or quantized"
            )
        if self.train_size is not None and self.train_size < self.batch_size:
            raise ConfigError(
                f"{where}: train_size={self.train_size} is below batch_size={self.batch_size}"
            )

    def _check_types(self, where: str) -> None:
        """Every value of the type its field declares (a YAML `rank: true` or
        `learning_rate: "abc"` is refused here, not as a traceback mid-training)."""
        for f in fields(self):
            value = getattr(self, f.name)
            kinds = _KINDS[str(f.type)]
            if value is None and "None" in str(f.type):
                continue
            ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
            if not ok:
                want = " or ".join(k.__name__ for k in kinds)
                raise ConfigError(
                    f"{where}: {f.name} is {type(value).__name__} {value!r:.40}; use a {want}"
                )


# Field annotation (a string under `from __future__ import annotations`) -> accepted types.
_KINDS: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (float, int),
    "bool": (bool,),
    "int | None": (int,),
    "float | None": (float, int),
}
