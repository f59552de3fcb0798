"""The `tfidf` baseline: plain-JSON save and load give the fitted model's probabilities."""

import json

import numpy as np
import pytest

from pii.classifiers import artifact
from pii.classifiers.tfidf import TfidfClassifier, fit, load_tfidf, train
from pii.errors import ConfigError
from pii.hashing import sha256_file
from tests.golden_fixtures import write_split

TEXTS = ["Call Maria Lopez at 0176 777.", "Version 4.2.1 is out now", "", "ünïcödé 🙂 text"]


@pytest.fixture(scope="module")
def splits(tmp_path_factory):
    d = tmp_path_factory.mktemp("tfidf")
    return write_split(d / "train.jsonl", "train", 40), write_split(
        d / "valid.jsonl", "valid", 12, 100
    )


def test_json_round_trip_gives_identical_probabilities(splits):
    from pii.golden.schema import read_records

    clf = train(read_records(splits[0]))
    data = json.loads(json.dumps(clf.to_json()))  # through text, as on disk
    again = TfidfClassifier.from_json(data)
    assert np.array_equal(clf.predict_proba(TEXTS), again.predict_proba(TEXTS))
    assert data["vocabulary"] and "pickle" not in json.dumps(data)


def test_fit_writes_a_versioned_artifact_with_hashes(splits, tmp_path):
    tr, va = splits
    out = tmp_path / "tfidf.json"
    data = fit(tr, va, out)
    stored = json.loads(out.read_text())
    assert stored["format_version"] == artifact.FORMAT_VERSION and stored["kind"] == "tfidf"
    assert stored["fitted_on"]["train_sha256"] == sha256_file(tr)
    assert stored["fitted_on"]["valid_sha256"] == sha256_file(va)
    clf = load_tfidf(out)
    assert clf.threshold == data["threshold"]
    p = clf.predict_proba(["My email is tom.baker9@mail.net", "Order 7 shipped on Tuesday."])[:, 1]
    assert p[0] > p[1]  # learned something from the positives' wording


def test_broken_artifacts_fail_with_the_fix(tmp_path):
    path = tmp_path / "t.json"
    with pytest.raises(ConfigError, match="no fitted tfidf baseline; run `pii baseline fit"):
        load_tfidf(path)
    path.write_text('{"format_version": 1, "kind": "tfidf", "threshold": 0.5, "idf": []}')
    with pytest.raises(ConfigError, match="not a readable tfidf artifact"):
        load_tfidf(path)
    path.write_text('{"format_version": 9, "kind": "tfidf", "threshold": 0.5}')
    with pytest.raises(ConfigError, match="format_version 9"):
        load_tfidf(path)
    path.write_text('{"format_version": 1, "kind": "rules", "threshold": 0.5}')
    with pytest.raises(ConfigError, match="a 'rules' artifact"):
        load_tfidf(path)


def test_the_committed_artifact_is_small_and_loads():
    path = artifact.default_path("tfidf")
    assert path.stat().st_size < 5e6
    clf = load_tfidf()
    assert clf.predict_proba(TEXTS).shape == (len(TEXTS), 2)
