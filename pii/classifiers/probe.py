"""The probe row: logistic regression on the frozen base model's final hidden state.

How much of the PII signal does the base model already carry, before any fine-tuning? The
probe reads the adapter's own prompt (no exemplars) with the base model, takes the final
(normed) hidden state at the last prompt token (`last`) or averaged over every prompt token
(`mean`), standardises it and applies a logistic regression fitted on the training pool
(pii.training.probe). Pooling, regularisation and threshold are chosen on validation.

The artifact is plain JSON (bench/baselines/probe.json): the model it was fitted on (name and
weights' hash), the prompt, the pooling, the scaler and the weights; no pickle.

Left out: fitting (pii.training.probe); the batching and prompt (pii.classifiers.fewshot).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pii.classifiers import artifact, windows
from pii.classifiers.fewshot import FewShotClassifier, FewShotConfig
from pii.errors import ConfigError

KIND = "probe"
POOLINGS = ("last", "mean")


def log_odds(head: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """The regression's log-odds for pooled hidden states `x` (n, d)."""
    z = (x - np.asarray(head["mean"])) / np.asarray(head["scale"])
    return z @ np.asarray(head["coef"]) + float(head["intercept"])


class ProbeClassifier(FewShotClassifier):
    """The few-shot scorer's prompt and batching; a regression head instead of label tokens."""

    def __init__(self, engine: Any, head: dict[str, Any], batch_size: int = 8) -> None:
        config = FewShotConfig(
            model=head["model"],
            k=0,
            instruction=head["instruction"],
            max_text_tokens=head["max_text_tokens"],
            window_overlap=head.get("window_overlap", windows.DEFAULT_OVERLAP),
            aggregate=head.get("aggregate", "max"),
            threshold=head["threshold"],
        )
        super().__init__(engine, config, batch_size=batch_size)
        self.head = head
        self.name = f"probe-{head['pooling']}"

    def _score_batch(self, prefix_ids: list[int], suffixes: list[list[int]]) -> np.ndarray:
        prefix = self.engine.prefix(prefix_ids) if prefix_ids else None
        last, summed = self.engine.pooled_hidden(prefix, suffixes)
        if self.head["pooling"] == "last":
            return log_odds(self.head, last)
        n = np.array([len(s) for s in suffixes], float) + len(prefix_ids)
        total = summed + (prefix.hidden_sum if prefix is not None else 0.0)
        return log_odds(self.head, total / n[:, None])


def read(path: Path) -> dict[str, Any]:
    data = artifact.read(path, KIND)
    missing = [
        k
        for k in ("model", "instruction", "max_text_tokens", "pooling", "mean", "scale", "coef")
        if k not in data
    ]
    if missing or data.get("pooling") not in POOLINGS:
        raise ConfigError(f"{path}: not a usable probe artifact (missing {missing or 'pooling'})")
    return data


def check(model: str, config: Path | None = None, adapter: Path | None = None) -> None:
    """The registry's pre-flight: the artifact is readable and fitted on `model`."""
    path = Path(config) if config else artifact.default_path(KIND)
    head = read(path)
    if head["model"] != model:
        raise ConfigError(
            f"{path}: the probe was fitted on '{head['model']}', not '{model}'; "
            f"run `pii baseline fit --kind probe --model {model}`"
        )


def load(model: str, config: Path | None = None, adapter: Path | None = None) -> Any:
    """The registry's loader: the fitted probe on its base model."""
    from pii.engine.adapters import model_hash
    from pii.engine.mlx_engine import load_engine

    path = Path(config) if config else artifact.default_path(KIND)
    check(model, path)
    head = read(path)
    engine = load_engine(model)
    if head.get("model_sha256") and head["model_sha256"] != model_hash(engine.model_dir):
        raise ConfigError(
            f"{path}: fitted on other weights of '{model}' (hash differs); "
            f"run `pii baseline fit --kind probe --model {model}`"
        )
    clf = ProbeClassifier(engine, head)
    clf.artifacts = [path]
    return clf
