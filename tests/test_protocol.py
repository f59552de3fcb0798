"""One contract test over every classifier that needs no LLM: the pii.classifiers.protocol protocol."""

import importlib.util
import sys

import numpy as np
import pytest

from pii.classifiers.protocol import Classifier, has_scores
from pii.classifiers.registry import load_classifier

TEXTS = ["Call me on +49 176 23456789", "Version 4.2.1 is out", "x", "ünïcödé 🙂"]
KINDS = ["rules", "tfidf", "apple-fm"]
if importlib.util.find_spec("presidio_analyzer"):
    KINDS.append("presidio")


@pytest.fixture
def classifier(request, monkeypatch):
    if request.param == "apple-fm":
        from tests.test_applefm import fake_sdk

        monkeypatch.setattr(sys, "platform", "darwin")
        monkeypatch.setattr("platform.mac_ver", lambda: ("26.0", ("", "", ""), "arm64"))
        monkeypatch.setitem(sys.modules, "apple_fm_sdk", fake_sdk())
    return load_classifier(request.param, "unused")


@pytest.mark.parametrize("classifier", KINDS, indirect=True)
def test_protocol(classifier):
    assert isinstance(classifier, Classifier)
    assert isinstance(classifier.name, str) and 0.0 <= classifier.threshold <= 1.0
    done = []
    p = classifier.predict_proba(TEXTS, progress=done.append)
    assert p.shape == (len(TEXTS), 2) and p.dtype == np.float64
    assert np.allclose(p.sum(axis=1), 1.0) and ((p >= 0) & (p <= 1)).all()
    assert sum(done) == len(TEXTS)
    assert classifier.predict_proba([]).shape == (0, 2)
    if not has_scores(classifier):
        assert set(np.unique(p)) <= {0.0, 1.0}
    np.testing.assert_array_equal(p, classifier.predict_proba(TEXTS))  # deterministic
