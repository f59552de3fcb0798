"""The `rules` baseline: validators (known answers), findings, context, the rules file's
checks and the stored threshold."""

import json

import numpy as np
import pytest

from pii.classifiers import artifact
from pii.classifiers.rules import RULES_FILE, VALIDATORS, RulesClassifier, RuleSet, fit, load_rules
from pii.errors import ConfigError


@pytest.fixture(scope="module")
def rules():
    return RuleSet()


@pytest.mark.parametrize(
    ("validator", "value", "ok"),
    [
        ("luhn", "4539 1488 0343 6467", True),
        ("luhn", "4539 1488 0343 6468", False),  # last digit off
        ("luhn", "4111 1111 1111 1111", False),  # published test card
        ("luhn", "0000 0000 0000 0000", False),  # Luhn-valid but degenerate
        ("iban", "DE89 3704 0044 0532 0130 00", True),
        ("iban", "DE89 3704 0044 0532 0130 01", False),
        ("ssn", "523-41-6780", True),
        ("ssn", "666-41-6780", False),  # area 666
        ("ssn", "923-41-6780", False),  # area 9xx
        ("ssn", "523-00-6780", False),  # group 00
        ("ssn", "523-41-0000", False),  # serial 0000
        ("phone", "+49 176 23456789", True),  # German mobile
        ("phone", "07911 123456", True),  # UK mobile, national format
        ("phone", "(212) 555-0142", False),  # North American fictional 555-01xx
        ("phone", "07700 900123", False),  # Ofcom's drama range
        ("phone", "020 7946 0321", False),
        ("phone", "0800 175 8537", False),  # UK toll-free: a company line
        ("phone", "2024-03-14", False),  # a date
        ("phone", "12345", False),
        ("email", "j.okafor@brightmail.net", True),
        ("email", "support@acme-logistics.com", False),  # role mailbox
        ("email", "jane.doe@example.com", False),  # reserved domain
        ("email", "lena@shop.test", False),
        ("public_ip", "81.2.69.160", True),
        ("public_ip", "2a01:4b00:84c2:7e00::1", True),
        ("public_ip", "192.168.1.20", False),
        ("public_ip", "10.0.0.7", False),
        ("public_ip", "127.0.0.1", False),
        ("public_ip", "203.0.113.9", False),  # documentation range
        ("public_ip", "2001:db8::1", False),
        ("credential", "Especially-Forward20#", True),
        ("credential", "<YOUR_API_KEY>", False),
        ("credential", "********", False),
        ("credential", "9a4f1e0c2b7d8e6f5a3c1b0d9e8f7a6b5c4d3e2f", False),  # a hex digest
        ("username", "lena_k87", True),
        ("username", "root", False),
        ("username", "svc-backup", False),
    ],
)
def test_validators_known_answers(validator, value, ok):
    assert VALIDATORS[validator](value) is ok


def test_findings_name_type_score_and_reason_without_text(rules):
    found = rules.analyze("Please wire it to DE89 3704 0044 0532 0130 00 by Friday.")
    iban = [f for f in found if f.recognizer == "iban"]
    assert len(iban) == 1 and iban[0].entity == "BANK_ACCOUNT"
    assert iban[0].score >= 0.75 and "iban valid" in iban[0].explanation
    assert "3704" not in iban[0].explanation  # reasons never quote the value


def test_a_failed_checksum_is_no_finding(rules):
    assert rules.score("Order 4539 1488 0343 6468 shipped") < rules.score(
        "Card 4539 1488 0343 6467 on file"
    )
    assert not [
        f for f in rules.analyze("IBAN DE89 3704 0044 0532 0130 01") if f.recognizer == "iban"
    ]


def test_context_raises_and_negative_context_lowers(rules):
    bare = rules.score("ref 523416780")
    with_context = rules.score("my SSN: 523416780")
    assert bare < with_context
    assert rules.score("card 4539 1488 0343 6467") > rules.score("sample card 4539 1488 0343 6467")


def test_look_alikes_score_zero(rules):
    for text in (
        "Server 192.168.1.20 rebooted at 10:42",
        "Upgrade to v2.10.3.1 today",
        "Write to support@acme-logistics.com for help",
        "Use the test card 4242 4242 4242 4242",
    ):
        assert rules.score(text) == 0.0, text


def test_classifier_protocol_shape(rules):
    clf = RulesClassifier(rules, threshold=0.3)
    p = clf.predict_proba(["nothing here", "mail j.okafor@brightmail.net"])
    assert p.shape == (2, 2) and np.allclose(p.sum(axis=1), 1.0)
    assert p[0, 1] == 0.0 and p[1, 1] > 0.3


def _write_rules(path, recognizer):
    doc = {"format_version": 1, "recognizers": [recognizer]}
    path.write_text(json.dumps(doc))  # JSON is YAML
    return path


@pytest.mark.parametrize(
    ("recognizer", "message"),
    [
        ({"name": "x", "entity": "SHOE_SIZE", "patterns": [{"regex": "a", "score": 1}]}, "entity"),
        (
            {
                "name": "x",
                "entity": "EMAIL",
                "validator": "nope",
                "patterns": [{"regex": "a", "score": 1}],
            },
            "validator must be one of",
        ),
        ({"name": "x", "entity": "EMAIL", "patterns": [{"regex": "(", "score": 1}]}, "bad regex"),
        ({"name": "x", "entity": "EMAIL", "patterns": [{"regex": "a", "score": 2}]}, "score"),
        ({"name": "x", "entity": "EMAIL", "patterns": []}, "at least one pattern"),
    ],
)
def test_bad_rules_files_name_the_file_and_recognizer(tmp_path, recognizer, message):
    path = _write_rules(tmp_path / "r.yaml", recognizer)
    with pytest.raises(ConfigError, match=message) as e:
        RuleSet(path)
    assert "r.yaml" in str(e.value) and "recognizer 'x'" in str(e.value)


def test_fit_chooses_the_threshold_and_a_changed_rules_file_makes_it_stale(tmp_path):
    from tests.golden_fixtures import record

    valid = tmp_path / "valid.jsonl"
    rows = [record(f"v-{i}", t, pos) for i, (t, pos) in enumerate([
        ("mail j.okafor@brightmail.net", True),
        ("IBAN DE89 3704 0044 0532 0130 00", True),
        ("nothing to see", False),
        ("write to support@acme-logistics.com", False),
    ])]  # fmt: skip
    valid.write_text("".join(json.dumps(r) + "\n" for r in rows))
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_bytes(RULES_FILE.read_bytes())
    out = tmp_path / "rules.json"
    data = fit(valid, out, rules_file=rules_file)
    assert data["valid_metrics"]["f1"] == 1.0 and 0 < data["threshold"] <= 1
    clf = load_rules(out)
    assert clf.threshold == data["threshold"] and out in clf.artifacts
    rules_file.write_text(rules_file.read_text() + "\n# edited\n")
    with pytest.raises(ConfigError, match="another version.*pii baseline fit --kind rules"):
        load_rules(out)
    with pytest.raises(ConfigError, match="never on test"):
        fit(tmp_path / "test.jsonl", out, rules_file=rules_file)


def test_the_committed_artifact_matches_the_rules_file():
    data = artifact.read(artifact.default_path("rules"), "rules")
    assert data["rules_sha256"] == RuleSet().sha256, "run `pii baseline fit --kind rules`"
    assert data["fitted_on"]["valid_file"].endswith("valid.jsonl")
    assert load_rules().threshold == data["threshold"]


def test_rules_and_tfidf_read_the_whole_text():
    """The cheap classifiers have no token budget: PII in the last characters of a long
    text counts as much as at its start (issue: whole documents)."""
    from pii.classifiers.rules import load_rules
    from pii.classifiers.tfidf import load_tfidf

    filler = "The quarterly report covers revenue, shipping and staffing. " * 200
    tail = " Reach me on maria.lopez@brightmail.net or +49 1523 7781094."
    rules = load_rules()
    p = rules.predict_proba([filler + tail, filler, tail])[:, 1]
    assert p[0] == p[2] >= rules.threshold > p[1]
    tfidf = load_tfidf()
    q = tfidf.predict_proba([filler + tail, filler])[:, 1]
    assert q[0] > q[1]  # the tail moves the score: it was read
