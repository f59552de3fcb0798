"""The one protocol every classifier speaks, from a regex rule set to a LoRA-adapted LLM.

`predict_proba(texts)` returns an (n, 2) array in `classes_` order [no PII, PII], the
scikit-learn convention; `threshold` turns column 1 into a decision. The bench, the CLI and
the export use only this, never the kind of classifier behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

CLASSES = (False, True)


@runtime_checkable
class Classifier(Protocol):
    name: str
    threshold: float

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 2) probabilities: column 0 no PII, column 1 PII."""
        ...


def as_proba(p_pii: np.ndarray) -> np.ndarray:
    """A P(PII) vector as the (n, 2) protocol array."""
    p = np.clip(np.asarray(p_pii, dtype=np.float64), 0.0, 1.0)
    return np.stack([1.0 - p, p], axis=1)


def decide(clf: Classifier, texts: Sequence[str]) -> np.ndarray:
    """Boolean decisions at the classifier's threshold."""
    return clf.predict_proba(texts)[:, 1] >= clf.threshold


KINDS = ("fewshot", "adapter")


def load_adapter_classifier(adapter: str | Path, model: str | None = None, **kwargs: Any) -> Any:
    """A LoRA-adapted model as a classifier: the same label scorer, no exemplars, the
    adapter's own prompt and the threshold chosen on its validation run."""
    from pii.adapters import read_training
    from pii.engine import load_engine
    from pii.fewshot import FewShotClassifier, FewShotConfig

    info = read_training(Path(adapter))
    cfg = info["config"]
    model = model or info["base_model"]
    engine = load_engine(model, adapter=adapter, precision=kwargs.pop("precision", "auto"))
    fs = FewShotConfig(
        model=model,
        k=0,
        instruction=cfg["instruction"],
        max_text_tokens=cfg["max_tokens"],
        threshold=info["threshold"],
    )
    clf = FewShotClassifier(engine, fs, **kwargs)
    clf.name = f"adapter-{Path(adapter).name}"
    return clf


def load_classifier(
    kind: str,
    model: str,
    *,
    config: Path | None = None,
    adapter: Path | None = None,
    threshold: float | None = None,
) -> Any:
    """A classifier by kind; the CLI's --classifier maps here."""
    from pii.errors import ConfigError

    if kind == "fewshot":
        from pii.baseline import load_fewshot

        clf = load_fewshot(model, config)
    elif kind == "adapter":
        if adapter is None:
            raise ConfigError(
                "--classifier adapter needs --adapter DIR (e.g. adapters/smollm2-135m)"
            )
        clf = load_adapter_classifier(adapter, model)
    else:
        raise ConfigError(f"unknown classifier '{kind}': use one of {', '.join(KINDS)}")
    if threshold is not None:
        clf.threshold = threshold
    return clf
