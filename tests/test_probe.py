"""The probe row (issue 13): logistic regression on the frozen model's final hidden state."""

import json

import numpy as np
import pytest

from pii.classifiers.probe import log_odds
from pii.classifiers.registry import load_classifier, preflight
from pii.errors import ConfigError
from pii.golden.schema import read_records
from pii.training import features
from pii.training import probe as fit_probe
from pii.training.batches import examples
from pii.training.recipe import TrainConfig
from tests.golden_fixtures import write_split


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("probe-data")
    return write_split(d / "train.jsonl", "train", 32), write_split(
        d / "valid.jsonl", "valid", 16, start=500
    )


@pytest.fixture(scope="module")
def fitted(tiny_model, data, tmp_path_factory):
    out = tmp_path_factory.mktemp("probe") / "probe.json"
    info = fit_probe.fit(*data, out, model=str(tiny_model), max_tokens=32, log=lambda s: None)
    return out, info


def test_fit_chooses_on_validation_and_writes_a_plain_artifact(fitted):
    path, info = fitted
    saved = json.loads(path.read_text())
    assert saved["kind"] == "probe" and saved["pooling"] in ("last", "mean")
    assert len(saved["choices"]) == 8 and "validation AUROC" in saved["chosen_on"]
    best = max(saved["choices"], key=lambda c: c["valid_auroc"])
    assert (saved["pooling"], saved["C"]) == (best["pooling"], best["C"])
    assert 0 <= saved["threshold"] <= 1 and saved["valid_metrics"]["n"] == 16


@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_classifier_scores_equal_the_fitted_features(
    tiny_model, tiny_engine, data, fitted, tmp_path, pooling
):
    """The classifier (engine, prefix cache) and the fit (cached features, written-out
    blocks) see the same hidden states, for either pooling."""
    path, _ = fitted
    head = json.loads(path.read_text())
    rng = np.random.default_rng(0)
    head |= {"pooling": pooling, "coef": rng.normal(size=len(head["coef"])).tolist()}
    other = tmp_path / "probe.json"
    other.write_text(json.dumps(head))
    clf = load_classifier("probe", str(tiny_model), config=other)
    records = read_records(data[1])
    clf.logits([r["text"] for r in records])
    got = clf.window_logits  # every window of every text, in text order
    cfg = TrainConfig(model=str(tiny_model), instruction="short", max_tokens=32)
    windows, _ = examples(tiny_engine, records, cfg, every_window=True)
    assert len(windows) == len(got)
    feats = features.load_or_build(
        tiny_engine.model, windows, 0,
        model_hash="t", precision="float32", root=tmp_path, log=lambda s: None,
    )  # fmt: skip
    want = log_odds(head, fit_probe.pooled(tiny_engine.model, feats, 0)[pooling])
    np.testing.assert_allclose(got, want, atol=1e-3, rtol=1e-4)


def test_probe_is_refused_for_another_model_or_the_test_split(tiny_model, data, fitted):
    path, _ = fitted
    with pytest.raises(ConfigError, match="fitted on"):
        preflight("probe", "smollm2-135m", config=path)
    from pii.paths import project_path

    with pytest.raises(ConfigError):
        fit_probe.fit(project_path("golden/test.jsonl"), data[1], path.with_name("x.json"),
                      model=str(tiny_model), log=lambda s: None)  # fmt: skip
