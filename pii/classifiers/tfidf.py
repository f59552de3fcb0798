"""The `tfidf` baseline: character n-gram TF-IDF and logistic regression (scikit-learn).

Trained on the training split; the decision threshold is chosen on the validation split
(pii.classifiers.artifact). Saved as plain JSON, never a pickle: the vectorizer's settings, its
vocabulary in column order and its idf weights, and the regression's coefficients and
intercept, beside the threshold, the data hashes and `format_version`. Loading rebuilds the
same scikit-learn objects from those numbers (JSON writes a float's shortest exact repr, so
the probabilities are bit-for-bit those of the fitted model).

Left out: a search over n-gram ranges (fixed below), features beyond the characters of the
text, and refitting on train + valid (valid only sets the threshold).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from pii.classifiers.protocol import as_proba
from pii.errors import ConfigError

# char_wb: n-grams inside word boundaries, so "@" or "-" next to digits are features.
VECTORIZER = {
    "analyzer": "char_wb",
    "ngram_range": [2, 5],
    "lowercase": True,
    "sublinear_tf": True,
    "min_df": 3,
    "max_features": 30000,
    "dtype": "float64",
}
# C from 5-fold cross-validation on the training split grouped by template (mean AUROC
# 0.806, 0.810, 0.816, 0.816 for C = 0.5, 1, 4, 16); validation data chose nothing here.
REGRESSION = {"C": 4.0, "max_iter": 2000, "solver": "lbfgs"}


def _vectorizer(params: dict[str, Any], vocabulary: dict[str, int] | None = None) -> Any:
    kwargs = dict(params, ngram_range=tuple(params["ngram_range"]), dtype=np.dtype(params["dtype"]))
    if vocabulary is not None:  # a fixed vocabulary: min_df/max_features no longer apply
        kwargs |= {"vocabulary": vocabulary, "min_df": 1, "max_features": None}
    return TfidfVectorizer(**kwargs)


class TfidfClassifier:
    """A fitted vectorizer and regression as a classifier (the pii.classifiers.protocol protocol)."""

    def __init__(self, vectorizer: Any, regression: Any, threshold: float = 0.5) -> None:
        self.vectorizer_ = vectorizer
        self.regression_ = regression
        self.threshold = threshold
        self.name = "tfidf"
        self.artifacts: list[Path] = []

    def predict_proba(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        if not len(texts):  # scikit-learn refuses zero samples
            return as_proba(np.empty(0))
        p = self.regression_.predict_proba(self.vectorizer_.transform(list(texts)))[:, 1]
        if progress:
            progress(len(texts))
        return as_proba(p)

    def to_json(self) -> dict[str, Any]:
        vocab = self.vectorizer_.vocabulary_
        terms = sorted(vocab, key=vocab.__getitem__)
        return {
            "kind": "tfidf",
            "vectorizer": VECTORIZER,
            "regression": REGRESSION,
            "vocabulary": terms,
            "idf": self.vectorizer_.idf_.tolist(),
            "coef": self.regression_.coef_[0].tolist(),
            "intercept": float(self.regression_.intercept_[0]),
            "threshold": float(self.threshold),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], where: str = "tfidf artifact") -> TfidfClassifier:
        try:
            terms, idf, coef = data["vocabulary"], data["idf"], data["coef"]
            if not len(terms) == len(idf) == len(coef) or len(set(terms)) != len(terms):
                raise ValueError("vocabulary, idf and coef must be equally long, terms unique")
            vec = _vectorizer(data["vectorizer"], {t: i for i, t in enumerate(terms)})
            vec.idf_ = np.asarray(idf, dtype=np.float64)
            lr = LogisticRegression(**data["regression"])
            lr.classes_ = np.array([False, True])
            lr.coef_ = np.asarray([coef], dtype=np.float64)
            lr.intercept_ = np.asarray([data["intercept"]], dtype=np.float64)
            lr.n_features_in_ = len(terms)
        except (KeyError, TypeError, ValueError) as e:
            raise ConfigError(
                f"{where}: not a readable tfidf artifact ({e}); run `pii baseline fit --kind tfidf`"
            ) from None
        return cls(vec, lr, float(data["threshold"]))


def train(records: Sequence[dict[str, Any]]) -> TfidfClassifier:
    """Fit the vectorizer and the regression on golden records (threshold left at 0.5)."""
    texts = [r["text"] for r in records]
    y = np.array([r["has_pii"] for r in records], dtype=bool)
    if y.all() or not y.any():
        raise ConfigError("the training records need both positives and negatives")
    vec = _vectorizer(VECTORIZER)
    lr = LogisticRegression(**REGRESSION).fit(vec.fit_transform(texts), y)
    return TfidfClassifier(vec, lr)


def fit(train_file: Path, valid: Path, out: Path, progress: Any = None) -> dict[str, Any]:
    """Train on `train_file`, choose the threshold on `valid`, write the JSON to `out`."""
    from pii.classifiers import artifact as art
    from pii.golden.schema import read_records

    art.refuse_test_split(valid, train_file)
    records = read_records(train_file)
    advance = progress(f"fitting on {len(records)} training texts", 1) if progress else None
    t0 = time.perf_counter()
    clf = train(records)
    train_seconds = time.perf_counter() - t0
    if advance:
        advance(1)
    chosen = art.choose_threshold(clf, read_records(valid), progress)
    data = clf.to_json() | {
        **chosen,
        "n_features": len(clf.vectorizer_.vocabulary_),
        "train_seconds": round(train_seconds, 2),
        "fit_seconds": round(time.perf_counter() - t0, 2),
        "fitted_on": art.provenance(valid, train_file),
    }
    data["bytes"] = art.write(out, data)
    return data


def load_tfidf(artifact: str | Path | None = None) -> TfidfClassifier:
    """The tfidf classifier from its JSON (default bench/baselines/tfidf.json)."""
    from pii.classifiers import artifact as art

    path = Path(artifact) if artifact else art.default_path("tfidf")
    clf = TfidfClassifier.from_json(art.read(path, "tfidf"), str(path))
    clf.artifacts.append(path)
    return clf
