"""The Python API: load a classifier once, classify texts of any length from code.

    import pii

    clf = pii.load("adapter")            # or "fewshot", "probe", "rules", "tfidf", "presidio",
                                         # an adapter directory or a baseline artifact (JSON)
    results = clf.classify(["Call Maria on +49 1523 7781094.", "The sky is blue."])
    results[0].has_pii, results[0].p_pii, results[0].span   # span: where the PII likely is
    clf.predict(texts)                   # decisions at the classifier's threshold
    clf.predict_proba(texts)             # (n, 2): [no PII, PII], scikit-learn's convention

Nothing here reaches the network (the guard is on while a classifier loads and runs), and
no text is logged. Left out: the command line (pii.cli), which speaks the same registry.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pii.classifiers.protocol import has_scores
from pii.classifiers.registry import KINDS, load_classifier
from pii.errors import ConfigError
from pii.netguard import guarded

DEFAULT_MODEL = "smollm2-135m"


@dataclass(frozen=True)
class Result:
    """One text's answer. `span` is the character range [start, end) of the window that
    scored highest (LLM classifiers); `matches` the type and range of each match (rules,
    presidio). Neither ever holds the text itself."""

    p_pii: float | None  # None for a classifier that gives decisions only
    has_pii: bool
    windows: int | None = None  # windows the text was read as (LLM classifiers)
    span: tuple[int, int] | None = None
    matches: list[dict[str, Any]] = field(default_factory=list)


class Classifier:
    """A loaded classifier: `classify`, `predict`, `predict_proba`, its `name` and
    `threshold`. Load it once and reuse it: loading a model takes seconds, a text much less."""

    def __init__(self, clf: Any) -> None:
        self._clf = clf
        self.name: str = clf.name

    @property
    def threshold(self) -> float:
        return float(self._clf.threshold)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 2) probabilities: column 0 no PII, column 1 PII."""
        with guarded():
            return self._clf.predict_proba(_texts(texts))

    def predict(self, texts: Sequence[str]) -> list[bool]:
        """Whether each text holds PII, at the classifier's threshold."""
        return [bool(v) for v in self.predict_proba(texts)[:, 1] >= self.threshold]

    def classify(self, texts: Sequence[str]) -> list[Result]:
        """P(PII), the decision and where the PII is, for each text."""
        p = self.predict_proba(texts)[:, 1]
        scored = has_scores(self._clf)
        places = self._clf.locations() if hasattr(self._clf, "locations") else [{}] * len(p)
        return [
            Result(
                p_pii=round(float(v), 6) if scored else None,
                has_pii=bool(v >= self.threshold),
                windows=place.get("windows"),
                span=tuple(place["span"]) if "span" in place else None,  # type: ignore[arg-type]
                matches=list(place.get("matches", [])),
            )
            for v, place in zip(p, places, strict=True)
        ]


def load(what: str | Path = "adapter", model: str = DEFAULT_MODEL) -> Classifier:
    """A classifier by kind name (`adapter` is the shipped adapter, the others their
    committed artifacts) or by path: an adapter directory (holds training.json) or a
    baseline's JSON (a few-shot config, a rules/tfidf/probe/presidio artifact)."""
    kind, config, adapter = _resolve(what)
    with guarded():
        return Classifier(load_classifier(kind, model, config=config, adapter=adapter))


def _resolve(what: str | Path) -> tuple[str, Path | None, Path | None]:
    """(kind, config, adapter) for a kind name or a path."""
    if isinstance(what, str) and what in KINDS:
        return what, None, None
    path = Path(what)
    if path.is_dir():
        if (path / "training.json").exists():
            return "adapter", None, path
        raise ConfigError(f"{path}: not an adapter directory (no training.json)")
    if path.suffix == ".json" and path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ConfigError(f"{path}: not readable JSON ({e})") from None
        kind = data.get("kind") if isinstance(data, dict) else None
        if kind in KINDS:
            return kind, path, None
        if isinstance(data, dict) and "instruction" in data and "k" in data:
            return "fewshot", path, None
        raise ConfigError(f"{path}: neither a few-shot config nor a baseline artifact")
    raise ConfigError(
        f"'{what}': not a classifier name ({', '.join(KINDS)}), an adapter directory or a "
        "baseline's JSON file"
    )


def _texts(texts: Sequence[str]) -> list[str]:
    """The texts as a list, each checked: a string with something in it."""
    if isinstance(texts, str):
        raise ConfigError("pass a list of texts, not one string (wrap it: [text])")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise ConfigError(f"text {i}: expected a string, got {type(t).__name__}")
        if not t.strip():
            raise ConfigError(f"text {i}: empty text; nothing to classify")
    return out
