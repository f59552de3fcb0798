"""Choose, on validation, how an existing LLM classifier turns window scores into a text's.

An artifact made before texts were read as windows (a tuned few-shot config, an adapter,
a probe) has a threshold chosen on the head of each validation text and no aggregate. This
scores the validation split through windows once, picks the aggregate (max or noisy-OR,
pii.classifiers.windows.choose) and the threshold on it, and records both, with the figures
of each aggregate and the validation file's hash, in the artifact. Test and OOD are never read.

Left out: training (which chooses both itself, pii.training.callback) and tuning the prompt.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pii.classifiers import windows
from pii.golden import held_out
from pii.hashing import sha256_file
from pii.metrics import scores as metrics
from pii.provenance import now

KINDS = ("fewshot", "adapter", "probe")


def choose(clf: Any, texts: list[str], y: np.ndarray, progress: Any = None) -> dict[str, Any]:
    """Score `texts` through windows; the aggregate and threshold best on them."""
    clf.logits(texts, progress)
    shift = clf.config.calibration_logit if clf.config.calibrate else 0.0
    per_window, counts = clf.window_logits - shift, clf.windows
    how, table = windows.choose(per_window, counts, y)
    p = 1.0 / (1.0 + np.exp(-windows.aggregate(per_window, counts, how)))
    threshold, _ = metrics.best_threshold(y, p)
    return {
        "aggregate": how,
        "threshold": threshold,
        "valid_metrics": metrics.summary(y, p >= threshold),
        "by_aggregate": table,
        "windows": int(sum(counts)),
        "texts_with_several_windows": int(sum(c > 1 for c in counts)),
    }


def rechoose(
    kind: str,
    valid_path: Path,
    *,
    model: str,
    config: Path | None = None,
    adapter: Path | None = None,
    log: Callable[[str], None] = print,
    progress: Callable[[int], Any] | None = None,
) -> dict[str, Any]:
    """Choose the aggregate and threshold of the `kind` artifact on `valid_path` and write
    them into it; returns what was recorded."""
    from pii.classifiers.registry import load_classifier
    from pii.errors import ConfigError
    from pii.golden.schema import read_records

    if kind not in KINDS:
        raise ConfigError(f"--classifier '{kind}': use one of {', '.join(KINDS)}")
    held_out.refuse(valid_path, "choosing the window aggregate")
    records = read_records(valid_path)
    clf = load_classifier(kind, model, config=config, adapter=adapter)
    y = np.array([r["has_pii"] for r in records], dtype=bool)
    log(f"{clf.name}: scoring {len(records)} validation texts through windows")
    record = choose(clf, [r["text"] for r in records], y, progress)
    record |= {"valid_file": str(valid_path), "valid_sha256": sha256_file(valid_path)}
    record |= {"valid_n": len(records), "date": now()}
    path = _write(kind, clf, record, config, adapter)
    log(
        f"wrote the aggregate '{record['aggregate']}' and threshold {record['threshold']:.3f} to {path}"
    )
    return record | {"artifact": str(path)}


def _write(
    kind: str, clf: Any, record: dict[str, Any], config: Path | None, adapter: Path | None
) -> Path:
    """Record the choice where the classifier's loader reads it."""
    if kind == "fewshot":
        from pii.classifiers.fewshot import default_config_path

        path = Path(config) if config else default_config_path(clf.config.model)
        cfg = clf.config
        cfg.aggregate, cfg.threshold = record["aggregate"], record["threshold"]
        cfg.tuned_on = cfg.tuned_on | {"windows": record}
        cfg.save(path)
        return path
    if kind == "adapter":
        from pii.engine.adapters import read_training, write_training

        path = Path(clf.artifacts[0])
        info = read_training(path)
        info.pop("format_version", None)
        info |= {
            "aggregate": record["aggregate"],
            "threshold": record["threshold"],
            "windows_chosen_on": record,
        }
        write_training(path, info)
        return path / "training.json"
    from pii.classifiers import artifact

    path = Path(config) if config else artifact.default_path("probe")
    head = json.loads(path.read_text(encoding="utf-8"))
    head |= {
        "aggregate": record["aggregate"],
        "threshold": record["threshold"],
        "windows_chosen_on": record,
    }
    artifact.write(path, head)
    return path
