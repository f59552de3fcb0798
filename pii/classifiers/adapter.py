"""The LoRA-adapted classifier: the few-shot label scorer on the adapted model, no exemplars,
the adapter's own prompt and the threshold chosen on its validation run.

Left out: training (pii.training.loop) and the adapter's file format (pii.engine.adapters).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pii.classifiers.fewshot import FewShotClassifier, FewShotConfig
from pii.classifiers.windows import DEFAULT_OVERLAP


def load_adapter_classifier(adapter: str | Path, model: str | None = None, **kwargs: Any) -> Any:
    """A LoRA-adapted model as a classifier: the same label scorer, no exemplars, the
    adapter's own prompt and the threshold chosen on its validation run."""
    from pii.engine.adapters import read_training
    from pii.engine.mlx_engine import load_engine

    check(model, adapter=Path(adapter))
    info = read_training(Path(adapter))
    cfg = info["config"]
    model = model or info["base_model"]
    engine = load_engine(model, adapter=adapter, precision=kwargs.pop("precision", "auto"))
    fs = FewShotConfig(
        model=model,
        k=0,
        instruction=cfg["instruction"],
        max_text_tokens=cfg["max_tokens"],
        window_overlap=cfg.get("window_overlap", DEFAULT_OVERLAP),
        aggregate=info.get("aggregate", "max"),
        threshold=info["threshold"],
    )
    clf = FewShotClassifier(engine, fs, **kwargs)
    clf.name = f"adapter-{Path(adapter).name}"
    clf.artifacts = [Path(adapter)]
    return clf


def load(model: str, config: Path | None = None, adapter: Path | None = None) -> Any:
    """The registry's loader: the adapter in `adapter` on `model` (its base by default)."""

    return load_adapter_classifier(adapter or _shipped(), model)


def check(
    model: str | None = None, config: Path | None = None, adapter: Path | None = None
) -> None:
    """The registry's pre-flight check: the adapter's files and training record (no load)."""
    from pii.engine.adapters import read_training

    read_training(Path(adapter or _shipped()))


SHIPPED = "adapters/smollm2-135m"  # the adapter `--classifier adapter` and the bench default to


def _shipped() -> Path:
    """The shipped adapter, found in the working directory or the checkout."""
    from pii.errors import ConfigError
    from pii.paths import project_path

    path = project_path(SHIPPED)
    if not path.is_dir():
        raise ConfigError(
            f"no shipped adapter at {SHIPPED}; pass --adapter DIR (train one with `pii train`)"
        )
    return path
