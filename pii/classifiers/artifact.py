"""The cheap baselines' plain JSON artifacts, and the one thing fitted on validation data.

`rules`, `tfidf` and `presidio` each keep one JSON file under bench/baselines/ with a
`format_version`, its `kind`, the decision threshold and where it came from (file names,
SHA-256 of the data, validation metrics, seconds, date). `choose_threshold` picks the
threshold that maximises F1 on the validation records, the same rule as the few-shot
baseline's tuning (pii.metrics.scores.best_threshold). Reading checks the version and the kind and
names the fix.

Left out: what a kind stores beyond that (pii.classifiers.rules, pii.classifiers.tfidf, pii.classifiers.presidio).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from pii.errors import ConfigError
from pii.hashing import sha256_file

FORMAT_VERSION = 1
KINDS = ("rules", "tfidf", "presidio")

Progress = Callable[[str, int], Callable[[int], None]]


def default_path(kind: str) -> Path:
    from pii.paths import project_path

    return project_path(Path("bench/baselines") / f"{kind}.json")


def check_kind(kind: str, config: Path | None) -> None:
    """Before any work: the kind's artifact (given or the default) is there and readable."""
    read(Path(config) if config else default_path(kind), kind)


def _fix(kind: str) -> str:
    return f"run `pii baseline fit --kind {kind}`"


def read(path: str | Path, kind: str) -> dict[str, Any]:
    """A `kind` artifact's JSON; ConfigError naming the file and the fix when it is missing,
    unreadable, of another format version or of another kind."""
    from pii.formats import read_versioned

    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: no fitted {kind} baseline; {_fix(kind)}")
    fields = {"kind": str, "threshold": (int, float)}
    data = read_versioned(path, f"{kind} artifact", FORMAT_VERSION, _fix(kind), fields, ConfigError)
    if data["kind"] != kind:
        raise ConfigError(f"{path}: a '{data['kind']}' artifact, not '{kind}'")
    return data


def write(path: str | Path, data: dict[str, Any]) -> int:
    """Write the artifact atomically; returns its size in bytes."""
    from pii.jsonl import write_atomic

    body = json.dumps({"format_version": FORMAT_VERSION, **data}, ensure_ascii=False) + "\n"
    write_atomic(path, body)
    return len(body.encode("utf-8"))


def refuse_test_split(valid: Path, train: Path | None = None) -> None:
    """Thresholds are chosen on the validation split: the test split and the OOD set are
    refused (by name, and the OOD set by content) so the reported numbers stay unbiased."""
    from pii.golden.held_out import refuse

    for path in (valid, train):
        if path is not None:
            refuse(path, "fitting a baseline (thresholds are chosen on validation)")


def choose_threshold(
    clf: Any,
    records: Sequence[dict[str, Any]],
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Score `records` with `clf`, set `clf.threshold` to the F1-best one and return it with
    the validation metrics at it (AUROC included) and the scoring time."""
    from pii.metrics import scores as metrics  # scikit-learn: only when fitting
    from pii.metrics import stats

    texts = [r["text"] for r in records]
    y = np.array([r["has_pii"] for r in records], dtype=bool)
    advance = progress("scoring the validation split", len(texts)) if progress else None
    t0 = time.perf_counter()
    p = clf.predict_proba(texts, progress=advance)[:, 1]
    seconds = time.perf_counter() - t0
    threshold, _ = metrics.best_threshold(y, p)
    clf.threshold = threshold
    scores = stats.scores(y, p >= threshold, p)
    return {
        "threshold": threshold,
        "valid_metrics": {k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()},
        "valid_seconds": round(seconds, 2),
    }


def provenance(valid: Path, train: Path | None = None) -> dict[str, Any]:
    """Which files a fit used, by name and SHA-256, and when."""
    info: dict[str, Any] = {"valid_file": str(valid), "valid_sha256": sha256_file(valid)}
    if train is not None:
        info |= {"train_file": str(train), "train_sha256": sha256_file(train)}
    return info | {"date": datetime.now(UTC).isoformat(timespec="seconds")}
