"""The one protocol every classifier speaks, from a regex rule set to a LoRA-adapted LLM.

`predict_proba(texts)` returns an (n, 2) array in `classes_` order [no PII, PII], the
scikit-learn convention; `threshold` turns column 1 into a decision. The bench, the CLI and
the export use only this, never the kind of classifier behind it.

Two optional attributes extend it. `has_scores = False` marks a classifier that yields
decisions only (Apple's Foundation Model has no token probabilities): its `predict_proba`
returns hard 0/1 columns, and nothing that needs a ranking (AUROC, ECE, Brier, curves) is
computed for it. `artifacts` lists the files and folders it loads, for its size on disk.
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


def has_scores(clf: Any) -> bool:
    """False for a classifier whose `predict_proba` is hard decisions, not scores."""
    return bool(getattr(clf, "has_scores", True))


LLM_KINDS = ("fewshot", "adapter")  # run on the MLX engine
KINDS = (*LLM_KINDS, "rules", "tfidf", "presidio", "apple-fm")


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
    clf.artifacts = [Path(adapter)]
    return clf


def load_classifier(
    kind: str,
    model: str,
    *,
    config: Path | None = None,
    adapter: Path | None = None,
    threshold: float | None = None,
) -> Any:
    """A classifier by kind; the CLI's --classifier maps here. For fewshot `config` is the
    tuned prompt config; for rules, tfidf and presidio it is their JSON artifact (default:
    bench/baselines/KIND.json); `model` is used by the LLM kinds only."""
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
    elif kind == "rules":
        from pii.rules import load_rules

        clf = load_rules(config)
    elif kind == "tfidf":
        from pii.tfidf import load_tfidf

        clf = load_tfidf(config)
    elif kind == "presidio":
        from pii.presidio import load_presidio

        clf = load_presidio(config)
    elif kind == "apple-fm":
        from pii.applefm import AppleFMClassifier

        clf = AppleFMClassifier()
    else:
        raise ConfigError(f"unknown classifier '{kind}': use one of {', '.join(KINDS)}")
    if threshold is not None:
        if not has_scores(clf):
            raise ConfigError(f"--threshold does not apply to {kind}: it yields decisions only")
        clf.threshold = threshold
    return clf
