"""What `pii decide` needs from the bench's artifacts, read into plain dataclasses.

`load` reads a bench report.json, the adapter's training.json (the report names the
adapter) and the tuned baseline config of the report's model; `measure` does the same on
dictionaries already in memory. The false-alarm rate is over every negative of the bench
data, recovered from precision, recall and accuracy, since the report only stores it for
the hard negatives.

Left out: the decision (pii.study.decide). Reports carry record ids, never texts; nothing here
reads a text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pii.errors import DataError
from pii.metrics.confusion import positives


@dataclass(frozen=True)
class Classifier:
    """One benched classifier's operating point and cost figures."""

    name: str
    f1: float
    recall: float
    fpr: float  # over every negative in the bench data, not only the hard ones
    p50_s: float
    texts_per_s: float | None
    tokens_per_text: float | None


@dataclass(frozen=True)
class Measured:
    """What the bench and the training run measured, for one report."""

    source: str
    model: str
    n: int
    positives: int
    baseline: Classifier
    adapter: Classifier
    rule: float
    gain: float | None
    gain_ci: list[float] | None
    training_seconds: float
    examples_seen: int
    train_pool: int
    format_failure_rate: float | None = None
    notes: tuple[str, ...] = ()
    references: tuple[Classifier, ...] = ()  # the report's other rows: rules, tfidf, ...


def _classifier(c: dict[str, Any], n: int, pos: int) -> Classifier:
    s = c["scores"]
    false_alarms = n * (1 - s["accuracy"]) - pos * (1 - s["recall"])
    return Classifier(
        name=c["name"],
        f1=s["f1"],
        recall=s["recall"],
        fpr=max(0.0, false_alarms) / (n - pos) if n > pos else 0.0,
        p50_s=c["latency"]["p50_s"],
        texts_per_s=c.get("texts_per_s"),
        tokens_per_text=c.get("prompt_tokens_per_text"),
    )


def measure(
    report: dict[str, Any],
    training: dict[str, Any],
    baseline_config: dict[str, Any] | None = None,
    source: str = "report.json",
) -> Measured:
    """The decision's measured inputs, from a bench report and the adapter's training.json."""
    try:
        kinds = {c.get("kind"): c for c in report["classifiers"]}
        n = int(report["n"])
    except (KeyError, TypeError, AttributeError):
        raise DataError(f"{source}: not a pii bench report (no classifiers or n)") from None
    missing = [k for k in ("fewshot", "adapter") if k not in kinds]
    if missing:
        raise DataError(
            f"{source}: no {' or '.join(missing)} classifier in the report; bench both with "
            "`pii bench --classifiers fewshot,adapter`"
        )
    base, other = kinds["fewshot"], kinds["adapter"]
    try:
        pos = positives(base["scores"], n) or positives(other["scores"], n)
        if pos is None:
            raise DataError(f"{source}: cannot tell how many items hold PII from the scores")
        measured = [_classifier(c, n, pos) for c in (base, other)]
    except (KeyError, TypeError) as e:
        raise DataError(f"{source}: classifier entry lacks {e}; re-run `pii bench`") from None
    references = []
    for c in report["classifiers"]:
        if c.get("kind") in ("fewshot", "adapter"):
            continue
        try:
            references.append(_classifier(c, n, pos))
        except (KeyError, TypeError):  # no latency (e.g. a classifier this machine cannot run)
            continue
    pair = report.get("paired") or {}
    notes = []
    env_sha = ((report.get("environment") or {}).get("adapter") or {}).get("train_sha256")
    if env_sha and training.get("train_sha256") and env_sha != training["train_sha256"]:
        notes.append(
            "the training record names other training data than the benched adapter; "
            "its time and example count may not be this adapter's"
        )
    try:
        cfg = training["config"]
        steps = training["history"][-1]["step"] if training.get("history") else cfg["iters"]
        pool = int(training["n_train_examples"])
        seconds = max(
            float(training.get("train_seconds") or 0),
            float(training.get("wall_seconds_this_run") or 0),
        )
        seen = min(pool, int(steps) * int(cfg["batch_size"]))
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise DataError(
            f"training record for {source}: lacks {e}; is it a training.json?"
        ) from None
    generation = ((baseline_config or {}).get("tuned_on") or {}).get("generation") or {}
    return Measured(
        source=source,
        model=str((report.get("environment") or {}).get("model", "?")),
        n=n,
        positives=pos,
        baseline=measured[0],
        adapter=measured[1],
        rule=float(report.get("rule_relative_gain", 0.10)),
        gain=pair.get("relative_f1_gain"),
        gain_ci=pair.get("relative_f1_gain_ci95"),
        training_seconds=seconds,
        examples_seen=seen,
        train_pool=pool,
        format_failure_rate=generation.get("format_failure_rate"),
        notes=tuple(notes),
        references=tuple(references),
    )


def load(report_path: Path, training_path: Path | None = None) -> Measured:
    """Read a report, its adapter's training.json (from the report unless given) and the
    tuned baseline config of its model (for the generation-mode format-failure rate)."""
    from pii.classifiers.fewshot import FewShotConfig, default_config_path
    from pii.engine.adapters import read_record
    from pii.paths import project_path
    from pii.report_format import read_report

    report_path = project_path(report_path)
    report = read_report(report_path)
    if training_path is None:
        adapter = ((report.get("environment") or {}).get("adapter") or {}).get("path")
        if not adapter:
            raise DataError(f"{report_path}: names no adapter; pass --training PATH")
        training_path = Path(adapter) / "training.json"
    training_path = project_path(training_path)
    training = read_record(training_path)
    model = str((report.get("environment") or {}).get("model", ""))
    config_path = default_config_path(model) if model else None
    config = None
    if config_path is not None and config_path.is_file():
        config = asdict(FewShotConfig.load(config_path))
    return measure(report, training, config, source=str(report_path))
