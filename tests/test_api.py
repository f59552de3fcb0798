"""The Python API: `pii.load(...)` by name and by path, results with where the PII is,
clear errors for bad inputs, and nothing heavy imported by `import pii`."""

import subprocess
import sys

import pytest

import pii
from pii.errors import ConfigError

TEXTS = ["Nothing to see. " * 200 + "Write to maria.lopez@brightmail.net today.", "Blue sky."]


def test_import_pii_is_instant_and_loads_nothing_heavy():
    code = "import sys, pii; print(any(m.split('.')[0] in ('mlx', 'numpy', 'sklearn') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def test_rules_by_name_say_where_and_decide():
    clf = pii.load("rules")
    first, second = clf.classify(TEXTS)
    assert first.has_pii and not second.has_pii and first.p_pii >= clf.threshold
    (match,) = [m for m in first.matches if m["type"] == "EMAIL"]
    assert TEXTS[0][match["start"] : match["end"]] == "maria.lopez@brightmail.net"
    assert clf.predict(TEXTS) == [True, False]
    assert clf.predict_proba(TEXTS).shape == (2, 2)


def test_an_adapter_directory_reads_long_texts_as_windows(tiny_adapter):
    adapter, model = tiny_adapter
    clf = pii.load(adapter, model=str(model))
    long, short = clf.classify(TEXTS)
    assert long.windows > 1 and short.windows == 1
    start, end = long.span
    assert 0 <= start < end <= len(TEXTS[0])
    assert 0.0 <= long.p_pii <= 1.0 and long.has_pii == (long.p_pii >= clf.threshold)


def test_an_artifact_file_is_loaded_by_its_kind():
    from pii.classifiers import artifact

    clf = pii.load(artifact.default_path("tfidf"))
    assert clf.name.startswith("tfidf") and len(clf.predict(TEXTS)) == 2


@pytest.mark.parametrize(
    ("what", "message"),
    [
        ("nonsense", "not a classifier name"),
        ("README.md", "not a classifier name"),
    ],
)
def test_unknown_names_and_paths_are_clear_errors(what, message):
    with pytest.raises(ConfigError, match=message):
        pii.load(what)


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ("one string", "a list of texts"),
        (["ok", 3], "text 1: expected a string"),
        (["ok", "  "], "text 1: empty text"),
    ],
)
def test_bad_texts_are_clear_errors(texts, message):
    clf = pii.load("rules")
    with pytest.raises(ConfigError, match=message):
        clf.classify(texts)
