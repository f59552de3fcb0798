"""The `presidio` peer: offline under the network guard, entity mapping, and the one-line
error when the optional extra is missing."""

import importlib.util

import pytest
from typer.testing import CliRunner

from pii import netguard
from pii.cli import app
from pii.errors import ConfigError, NetworkBlockedError

runner = CliRunner()
installed = importlib.util.find_spec("presidio_analyzer") is not None
needs_extra = pytest.mark.skipif(not installed, reason="the presidio extra is not installed")


@pytest.fixture(scope="module")
def presidio():
    from pii.classifiers.presidio import PresidioClassifier

    return PresidioClassifier(threshold=0.5)


@needs_extra
def test_tldextract_would_go_online_without_the_fix(monkeypatch):
    """The control: a default TLDExtract tries the network, and the guard catches it."""
    import tldextract

    before = netguard.attempts
    monkeypatch.setattr(netguard, "attempts", before)  # restore the count for later tests
    with netguard.guarded(), pytest.raises(NetworkBlockedError):
        tldextract.TLDExtract(cache_dir=None)("maria.l@brightmail.net")
    assert netguard.attempts > before


@needs_extra
def test_runs_offline_and_maps_entities(presidio):
    before = netguard.attempts
    with netguard.guarded():
        found = presidio.findings(
            "Write to maria.lopez@brightmail.net, IBAN DE89 3704 0044 0532 0130 00"
        )
        p = presidio.predict_proba(["Write to maria.lopez@brightmail.net", "The sky is blue."])
    assert netguard.attempts == before
    assert {"EMAIL", "BANK_ACCOUNT"} <= {f[0] for f in found}
    assert p[0, 1] > p[1, 1]
    dropped = {"DATE_TIME", "NRP", "LOCATION", "URL", "ORGANIZATION"}
    assert not dropped & set(presidio.entities)
    assert {f[0] for f in presidio.findings("We met on 3 May 2024 in Paris.")} <= {"PERSON_NAME"}


@needs_extra
def test_reads_the_tail_of_a_long_text_in_chunks(presidio, monkeypatch):
    from pii.classifiers import presidio as module

    monkeypatch.setattr(module, "CHUNK", 2_000)  # several chunks without a huge text
    monkeypatch.setattr(module, "CHUNK_OVERLAP", 100)
    text = "The sky is blue today. " * 400 + "Write to maria.lopez@brightmail.net now."
    p = presidio.predict_proba([text, text[:-45]])[:, 1]
    assert p[0] >= presidio.threshold > p[1]
    (match,) = [m for m in presidio.locations()[0]["matches"] if m["type"] == "EMAIL"]
    assert text[match["start"] : match["end"]] == "maria.lopez@brightmail.net"


def test_missing_extra_is_a_one_line_error_naming_the_install(monkeypatch):
    from pii.classifiers import presidio

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "presidio_analyzer" else real(name, *a),
    )
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[presidio\]'"):
        presidio.load_presidio()
    result = runner.invoke(app, ["classify", "--classifier", "presidio", "hello"])
    assert result.exit_code == 1
    assert "pip install -e '.[presidio]'" in result.output and "Traceback" not in result.output
