"""The `rules` baseline: regular expressions with validators and context words, as data.

The recognizers live in pii/rules.yaml (after Microsoft Presidio's pattern recognizers: an
entity type, regexes with a base score, context words that raise it, an optional validator).
`RuleSet.analyze` returns every finding with its explanation; a document's P(PII) is the
highest finding score (0 with none). The threshold on that score is the only thing fitted,
on the validation split (pii.classifiers.artifact), and is stored with the rules file's hash: a changed
rules file makes the stored threshold stale and loading says so.

Left out: span-level output in the CLI (findings carry offsets, the CLI shows only the
decision), language detection (every recognizer runs on every text), and names without a
label or title ("Maria Lopez wrote ...") that only a statistical model can find.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from pii import validators as v
from pii.classifiers.protocol import as_proba
from pii.errors import ConfigError
from pii.hashing import sha256_bytes
from pii.taxonomy import PII_TYPES

RULES_FILE = Path(__file__).with_name("rules.yaml")
FORMAT_VERSION = 1

# Role mailboxes and reserved domains: never a person's address (golden/README.md).
_ROLE_MAILBOXES = {
    "support", "info", "noreply", "no-reply", "sales", "help", "contact", "admin", "billing",
    "hello", "team", "service", "kontakt", "office", "press", "jobs", "careers", "privacy",
    "security", "abuse", "postmaster", "webmaster", "hr", "accounts", "orders",
    "kundenservice", "atencion", "atencionalcliente", "servicio", "soporte", "ventas",
}  # fmt: skip
_RESERVED_DOMAIN = re.compile(r"(^|\.)(example\.(com|org|net)|[^.]+\.(test|invalid|example))$")
_SYSTEM_ACCOUNTS = {
    "root", "admin", "administrator", "www-data", "nobody", "daemon", "postgres", "mysql",
    "jenkins", "ubuntu", "ec2-user", "guest", "system", "service", "deploy", "git", "test",
    "user", "username", "support", "info", "everyone", "here", "channel",
}  # fmt: skip
_PLACEHOLDER = re.compile(
    r"(?i)^[<{\[(*xX#•.\-_]+|x{3,}|\*{3,}|changeme|your[_-]|placeholder|redacted|example"
    r"|password$|passwort$|secret$|^\W*$|dummy|sample"
)
_PHONE_REGIONS = ("US", "GB", "DE", "FR", "ES")
# Numbers reserved for fiction: NANP 555-0100..0199 and Ofcom's drama ranges (national
# significant numbers, without the trunk 0).
_FICTIONAL = {
    1: re.compile(r"^\d{3}55501\d\d$"),
    44: re.compile(
        r"^(7700900|1632960|2079460|11[3-8]4960|1[2-6]14960|1914980|2890180|2920180|8081570"
        r"|9098790|3069990)"
    ),
}


def _email(value: str) -> bool:
    local, _, domain = value.lower().rpartition("@")
    return bool(local) and local not in _ROLE_MAILBOXES and not _RESERVED_DOMAIN.search(domain)


def _public_ip(value: str) -> bool:
    try:
        return ipaddress.ip_address(value).is_global  # False for private, loopback, TEST-NETs
    except ValueError:
        return False


_DATE_OR_IP = re.compile(r"^\d{4}-\d\d-\d\d|^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$|^\d+\.\d+\.\d+\.\d+$")


def _phone(value: str) -> bool:
    """A number `phonenumbers` finds valid for the golden set's regions (or its own, with
    +), that is not a company's toll-free/shared-cost line or reserved for fiction."""
    import phonenumbers
    from phonenumbers import PhoneNumberType as T

    value = value.strip("() ")
    digits = re.sub(r"\D", "", value)
    if not 7 <= len(digits) <= 15 or _DATE_OR_IP.search(value) or len(set(digits)) < 3:
        return False
    service = {T.TOLL_FREE, T.PREMIUM_RATE, T.SHARED_COST, T.UAN, T.VOICEMAIL}
    for region in (None,) if value.startswith("+") else _PHONE_REGIONS:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        fiction = _FICTIONAL.get(number.country_code)
        if fiction and fiction.search(phonenumbers.national_significant_number(number)):
            return False  # fictional in one region it parses in: a look-alike anywhere
        if phonenumbers.is_valid_number(number):
            return phonenumbers.number_type(number) not in service
    return False


def _not_placeholder(value: str) -> bool:
    return not _PLACEHOLDER.search(value)


def _credential(value: str) -> bool:
    value = value.strip("\"'`.,;)")
    if re.fullmatch(r"[0-9a-f]{32,}", value):
        return False  # a hex digest (commit, checksum), not a secret
    return len(value) >= 4 and _not_placeholder(value) and len(set(value)) > 2


def _username(value: str) -> bool:
    value = value.lower().strip(".")
    return (
        value not in _SYSTEM_ACCOUNTS
        and not re.match(r"(svc|ci|bot|build|noreply|service)[-_.]|.*[-_]bot$", value)
        and _not_placeholder(value)
    )


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "luhn": lambda s: v.luhn_valid(s) and not v.is_test_card(s) and len(set(s) - set(" -")) > 2,
    "iban": v.iban_valid,
    "ssn": v.ssn_valid,
    "aba_routing": v.aba_routing_valid,
    "nino": v.nino_valid,
    "steuer_id": v.steuer_id_valid,
    "nir": v.nir_valid,
    "dni": v.dni_valid,
    "codice_fiscale": v.codice_fiscale_valid,
    "nhs": v.nhs_valid,
    "imei": v.imei_valid,
    "vin": v.vin_valid,
    "email": _email,
    "public_ip": _public_ip,
    "phone": _phone,
    "not_placeholder": _not_placeholder,
    "not_degenerate": lambda s: len(set(s.lower()) - set(" -:.0")) > 2,
    "credential": _credential,
    "username": _username,
}


@dataclass(frozen=True)
class Finding:
    """One recognizer match: where, what, how sure, and why (no text is kept)."""

    entity: str
    start: int
    end: int
    score: float
    recognizer: str
    explanation: str


@dataclass
class Recognizer:
    name: str
    entity: str
    patterns: list[tuple[re.Pattern[str], float]]
    context: list[str] = field(default_factory=list)
    validator: str | None = None
    locale: str = "any"
    negative: list[str] = field(default_factory=list)


def _spec_error(path: Path, where: str, problem: str) -> ConfigError:
    return ConfigError(f"{path}: {where}: {problem}; fix the rules file")


def _recognizer(spec: Any, i: int, path: Path) -> Recognizer:
    where = f"recognizer {i + 1}"
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise _spec_error(path, where, "needs a mapping with a string 'name'")
    where = f"recognizer '{spec['name']}'"
    keys = {"name", "entity", "patterns", "context", "negative_context", "validator", "locale"}
    unknown = set(spec) - keys
    if unknown:
        raise _spec_error(path, where, f"unknown keys {sorted(unknown)}")
    if spec.get("entity") not in PII_TYPES:
        raise _spec_error(path, where, f"entity must be one of {', '.join(PII_TYPES)}")
    validator = spec.get("validator")
    if validator is not None and validator not in VALIDATORS:
        raise _spec_error(path, where, f"validator must be one of {', '.join(VALIDATORS)}")
    patterns = []
    for p in spec.get("patterns") or []:
        score = p.get("score") if isinstance(p, dict) else None
        if not isinstance(score, int | float) or not 0 <= score <= 1:
            raise _spec_error(path, where, "each pattern needs a regex and a score in [0, 1]")
        try:
            patterns.append((re.compile(p["regex"]), float(score)))
        except (re.error, KeyError, TypeError) as e:
            raise _spec_error(path, where, f"bad regex ({e})") from None
    if not patterns:
        raise _spec_error(path, where, "needs at least one pattern")
    context = [str(w).lower() for w in spec.get("context") or []]
    negative = [str(w).lower() for w in spec.get("negative_context") or []]
    locale = str(spec.get("locale", "any"))
    return Recognizer(spec["name"], spec["entity"], patterns, context, validator, locale, negative)


class RuleSet:
    """The recognizers of one rules file, compiled; `analyze` finds PII values in a text."""

    def __init__(self, path: str | Path = RULES_FILE) -> None:
        self.path = Path(path)
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            raise ConfigError(f"{self.path}: rules file not found") from None
        self.sha256 = sha256_bytes(raw)
        try:
            doc = yaml.safe_load(raw)
        except yaml.YAMLError as e:
            raise ConfigError(f"{self.path}: not valid YAML ({e})") from None
        if not isinstance(doc, dict) or doc.get("format_version") != FORMAT_VERSION:
            raise ConfigError(f"{self.path}: format_version must be {FORMAT_VERSION}")
        self.window = int(doc.get("context_window", 60))
        self.boost = float(doc.get("context_boost", 0.35))
        self.negative_factor = float(doc.get("negative_factor", 1.0))
        self.negative = [str(w).lower() for w in doc.get("negative_context") or []]
        specs = doc.get("recognizers")
        if not isinstance(specs, list) or not specs:
            raise ConfigError(f"{self.path}: needs a non-empty 'recognizers' list")
        self.recognizers = [_recognizer(s, i, self.path) for i, s in enumerate(specs)]
        names = [r.name for r in self.recognizers]
        if len(set(names)) != len(names):
            raise ConfigError(f"{self.path}: recognizer names must be unique")

    def analyze(self, text: str) -> list[Finding]:
        """Every validated match in `text`, each with its score and the reason for it."""
        findings = []
        lower = text.lower()
        for rec in self.recognizers:
            for pattern, base in rec.patterns:
                for m in pattern.finditer(text):
                    span = m.span("value") if "value" in pattern.groupindex else m.span()
                    value = text[span[0] : span[1]]
                    if rec.validator and not VALIDATORS[rec.validator](value):
                        continue
                    before = lower[max(0, m.start() - self.window) : m.start()]
                    around = lower[max(0, m.start() - self.window) : m.end() + 20]
                    score, why = base, [f"{rec.name} pattern {base:.2f}"]
                    if rec.validator:
                        why.append(f"{rec.validator} valid")
                    hit = next((w for w in rec.context if w in before), None)
                    if hit:
                        score = min(1.0, score + self.boost)
                        why.append(f"context '{hit}' +{self.boost:.2f}")
                    neg = next((w for w in rec.negative + self.negative if w in around), None)
                    if neg:
                        score *= self.negative_factor
                        why.append(f"negative context '{neg.strip()}' x{self.negative_factor}")
                    findings.append(
                        Finding(rec.entity, span[0], span[1], score, rec.name, ", ".join(why))
                    )
        return findings

    def score(self, text: str) -> float:
        """Document-level P(PII): the highest finding score, 0 without findings."""
        return max((f.score for f in self.analyze(text)), default=0.0)


class RulesClassifier:
    """The rule set as a classifier (the pii.classifiers.protocol protocol)."""

    def __init__(self, rules: RuleSet, threshold: float = 0.5, name: str = "rules") -> None:
        self.rules = rules
        self.threshold = threshold
        self.name = name
        self.artifacts: list[Path] = [rules.path]
        self._found: list[list[Finding]] = []  # per text of the last call, >= threshold

    def predict_proba(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        p = np.empty(len(texts))
        self._found = []
        for i, t in enumerate(texts):
            found = self.rules.analyze(t)
            p[i] = max((f.score for f in found), default=0.0)
            self._found.append([f for f in found if f.score >= self.threshold])
            if progress:
                progress(1)
        return as_proba(p)

    def locations(self) -> list[dict[str, Any]]:
        """Per text of the last call: the type and character span [start, end) of each
        match at or above the threshold (spans only, never the matched text)."""
        return [
            {
                "matches": [
                    {"type": f.entity, "start": f.start, "end": f.end}
                    for f in sorted(found, key=lambda f: (f.start, f.end))
                ]
            }
            for found in self._found
        ]


def load_rules(artifact: str | Path | None = None) -> RulesClassifier:
    """The rules classifier with the threshold stored in `artifact` (default
    bench/baselines/rules.json); ConfigError when that was fitted on another rules file."""
    from pii.classifiers import artifact as art

    path = Path(artifact) if artifact else art.default_path("rules")
    data = art.read(path, "rules")
    name = data.get("rules_file") or RULES_FILE.name
    rules = RuleSet(RULES_FILE if name == RULES_FILE.name else name)
    if data.get("rules_sha256") != rules.sha256:
        raise ConfigError(
            f"{path}: its threshold was fitted on another version of {rules.path.name}; "
            "run `pii baseline fit --kind rules`"
        )
    clf = RulesClassifier(rules, float(data["threshold"]))
    clf.artifacts.append(path)
    return clf


def fit(
    valid: Path, out: Path, rules_file: Path = RULES_FILE, progress: Any = None
) -> dict[str, Any]:
    """Choose the threshold on the validation file and write the artifact to `out`."""
    import time

    from pii.classifiers import artifact as art
    from pii.golden.schema import read_records

    art.refuse_test_split(valid)
    t0 = time.perf_counter()
    clf = RulesClassifier(RuleSet(rules_file))
    chosen = art.choose_threshold(clf, read_records(valid), progress)
    data = {
        "kind": "rules",
        "rules_file": rules_file.name if rules_file == RULES_FILE else str(rules_file),
        "rules_sha256": clf.rules.sha256,
        "aggregate": "max",
        **chosen,
        "fit_seconds": round(time.perf_counter() - t0, 2),
        "fitted_on": art.provenance(valid),
    }
    data["bytes"] = art.write(out, data)
    return data
