"""The one protocol every classifier speaks, from a regex rule set to a LoRA-adapted LLM.

`predict_proba(texts)` returns an (n, 2) array in `classes_` order [no PII, PII], the
scikit-learn convention; `threshold` turns column 1 into a decision. The bench, the CLI and
the export use only this, never the kind of classifier behind it.

Two optional attributes extend it. `has_scores = False` marks a classifier that yields
decisions only (Apple's Foundation Model has no token probabilities): its `predict_proba`
returns hard 0/1 columns, and nothing that needs a ranking (AUROC, ECE, Brier, curves) is
computed for it. `artifacts` lists the files and folders it loads, for its size on disk.
`locations()` says, per text of the last call, where the PII is: the LLM classifiers give
their windows and the character span of the highest-scoring one, the rules their matches'
types and spans (spans only, never text).
"""

from __future__ import annotations

from collections.abc import Sequence
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
