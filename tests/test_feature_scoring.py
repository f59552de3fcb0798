"""Scoring an adapter from cached frozen-block features gives the classifier's numbers."""

import numpy as np

from pii.classifiers.adapter import load_adapter_classifier
from pii.golden.schema import read_records
from pii.training import feature_scoring
from pii.training import loop as train
from tests.golden_fixtures import write_split


def test_cached_scores_equal_the_classifier_and_reuse_the_cache(tiny_model, tmp_path):
    tr = write_split(tmp_path / "train.jsonl", "train", 24)
    va = write_split(tmp_path / "valid.jsonl", "valid", 12, start=100)
    recipe = train.TrainConfig(
        model=str(tiny_model), rank=4, scale=40.0, num_layers=1, iters=4, batch_size=4,
        max_tokens=32, steps_per_eval=2, val_limit=None, val_batches=1, warmup=0,
        learning_rate=5e-3, precision="float32",
    )  # fmt: skip
    adapter = tmp_path / "adapter"
    train.run(recipe, adapter, tr, va, log=lambda s: None)
    long = "Order 88231 shipped on Tuesday. " * 8 + "Call Maria Lopez at 0176 500."
    recs = read_records(write_split(tmp_path / "test.jsonl", "test", 10, start=300))
    recs.append({"text": long, "has_pii": True})
    clf = load_adapter_classifier(adapter, str(tiny_model))
    want = clf.predict_proba([r["text"] for r in recs])[:, 1]
    lines: list[str] = []
    found, threshold = feature_scoring.probabilities(adapter, {"test": recs}, log=lines.append)
    got = found["test"]
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert threshold == clf.threshold
    assert np.ptp(want) > 1e-3  # the adapter moves the scores: the comparison means something
    again, _ = feature_scoring.probabilities(adapter, {"test": recs}, log=lines.append)
    np.testing.assert_array_equal(again["test"], got)
    assert "read from the cache" in lines[-1]
