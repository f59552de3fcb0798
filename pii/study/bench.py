"""The bench: classifiers on a golden file, everything a careful reviewer would ask for.

`run(classifiers, records, options)` scores each classifier in turn and returns a `Report`;
`write(report, directory)` saves report.json, the plots and the Markdown/HTML pages made
from them (`pii report` re-renders the pages from a saved report.json the same way).

Each classifier is only a `predict_proba` with a threshold (pii.classifiers.protocol); the
bench neither knows nor cares what is behind it, and imports neither MLX nor any kind.
What only some classifiers have is measured where it exists and is None ("n/a" in the
report) elsewhere: the batch-size sweep (a `batch_size` attribute), prefix cache on/off
(`prefix_cache`), the compute floor (an `engine` with `non_embedding_params()`), tokens per
text, and every score-based statistic (AUROC, ECE, Brier, the reliability curve) for a
classifier with `has_scores = False`. Thresholds come with the classifiers (chosen on the
validation split), never from the data benched here. The network guard counts every
attempt; the report states the count.

Left out: loading classifiers (the caller passes loaders; pii.classifiers.registry), the
run's environment (pii.study.environment), cold start (an injected callable: it starts a
process), statistics (pii.metrics.stats) and presentation (pii.render).
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pii import netguard
from pii.classifiers.protocol import Classifier, has_scores
from pii.metrics import stats
from pii.provenance import peak_memory_gb
from pii.report_format import FORMAT_VERSION
from pii.study.environment import basic, size_mb

SWEEP_BATCHES = (1, 4, 8, 16, 32)
PAIR = ("fewshot", "adapter")  # the verdict: does the adapter beat the prompted baseline?

Progress = Callable[[int, str], AbstractContextManager[Callable[[int], None]]]


def _no_progress(total: int, label: str) -> AbstractContextManager[Callable[[int], None]]:
    return nullcontext(lambda n: None)


@dataclass
class Options:
    """How to bench. `cold_start(kind)` returns seconds to a first result in a fresh
    process, or None; `progress(total, label)` is a context manager yielding advance(n)."""

    gflops: float = 0.0  # measured GEMM rate, for the compute floor of LLM rows
    latency_n: int = 20
    sweep_n: int = 48
    show_text: bool = False
    cold_start: Callable[[str], float | None] | None = None
    progress: Progress = _no_progress


@dataclass
class Report:
    """report.json's content (`data`) and what the plots need: labels and, per classifier
    name, its scores `p` (None without scores), decisions `pred` and latencies `times`."""

    data: dict[str, Any]
    y: np.ndarray
    arrays: dict[str, dict[str, Any]] = field(default_factory=dict)


def run(
    classifiers: Sequence[tuple[str, Callable[[], Classifier]]],
    records: Sequence[dict[str, Any]],
    options: Options | None = None,
    environment: dict[str, Any] | None = None,
    ood: Sequence[dict[str, Any]] | None = None,
) -> Report:
    """Bench each (kind, loader) on the records, one classifier in memory at a time; add
    the paired comparison and verdict when both kinds of PAIR are present. With `ood`
    records (the out-of-distribution set), each classifier also scores them (no timing
    probes): report["ood"] gets the same tables, its own paired comparison and verdict, and
    report["transfer"] says whether the adapter's gain on the records holds there."""
    options = options or Options()
    sections, arrays = [], {}
    ood_sections, ood_arrays = [], {}
    for kind, load in classifiers:
        clf = load()
        section, arr = evaluate(
            clf,
            records,
            gflops=options.gflops,
            latency_n=options.latency_n,
            sweep_n=options.sweep_n,
            show_text=options.show_text,
            stage=options.progress,
            label=f"{kind}: {clf.name}",
        )
        section["kind"] = kind
        section["disk_mb"] = disk_mb(clf)
        sections.append(section)
        arrays[kind] = arr
        if ood:
            with options.progress(len(ood), f"{kind}: {clf.name} (OOD)") as advance:
                o_section, ood_arrays[kind] = score(
                    clf, ood, show_text=options.show_text, progress=advance
                )
            ood_sections.append(o_section | {"kind": kind})
        del clf  # before the cold-start probe, whose fresh process loads the model again
        gc.collect()
        if "mlx.core" in sys.modules:  # and MLX's buffer cache (never imported here)
            sys.modules["mlx.core"].clear_cache()
        section["cold_start_s"] = options.cold_start(kind) if options.cold_start else None
    data: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "n": len(records),
        "positives": sum(bool(r["has_pii"]) for r in records),
        "environment": environment or basic(),
        "classifiers": sections,
        "peak_memory_gb": peak_memory_gb(),
    }
    if set(PAIR) <= set(arrays):
        compare_pair(data, records, arrays, *PAIR)
    if ood:
        data["ood"] = {"n": len(ood), "positives": sum(bool(r["has_pii"]) for r in ood),
                       "classifiers": ood_sections}  # fmt: skip
        if set(PAIR) <= set(ood_arrays):
            compare_pair(data["ood"], ood, ood_arrays, *PAIR)
            data["transfer"] = stats.transfer(
                _arms(records, arrays), _arms(ood, ood_arrays), seed=0
            )
    data["network_attempts"] = netguard.attempts
    y = np.array([r["has_pii"] for r in records], dtype=bool)
    by_name = {s["name"]: arrays[s["kind"]] for s in sections}
    return Report(data, y, by_name)


def _arms(records: Sequence[dict[str, Any]], arrays: dict[str, dict[str, Any]]) -> tuple:
    y = np.array([r["has_pii"] for r in records], dtype=bool)
    return y, arrays[PAIR[0]]["pred"], arrays[PAIR[1]]["pred"]


def write(report: Report, directory: Path) -> Path:
    """report.json, the PNG plots, report.md and report.html in `directory`, replaced as a
    unit with a manifest (pii.publish); returns the HTML page's path."""
    from pii.publish import publish
    from pii.render import plots
    from pii.render.report import REPORT_FILES, report_set

    images = plots.render(
        report.data,
        report.y,
        {name: a["p"] for name, a in report.arrays.items() if a["p"] is not None},
        {name: a["times"] for name, a in report.arrays.items()},
    )
    publish(directory, report_set(report.data, images), legacy=REPORT_FILES)
    return directory / "report.html"


def summary(report: Report) -> dict[str, Any]:
    """report.json without the per-item parts (scores by id, error lists)."""
    data = report.data

    def brief(part: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in part.items() if k not in ("classifiers", "ood")} | {
            "classifiers": [
                {k: v for k, v in c.items() if k not in ("p_pii", "errors")}
                for c in part["classifiers"]
            ]
        }

    return brief(data) | ({"ood": brief(data["ood"])} if "ood" in data else {})


DEFAULT_GATED = "adapter"  # what an unprefixed gate binds: the model under study
SCORE_METRICS = ("auroc",)  # a gate on these skips decision-only classifiers
GATE_METRICS = ("f1", "f2", "recall", "precision", "accuracy", "auroc")  # higher is better


@dataclass(frozen=True)
class Gate:
    """`--fail-under [CLASSIFIER:]METRIC=VALUE`: without a classifier, the adapter."""

    kind: str | None
    metric: str
    value: float

    def applies_to(self, kind: str) -> bool:
        return kind == (self.kind or DEFAULT_GATED)


def gate_failures(data: dict[str, Any], gates: Sequence[Gate]) -> list[str]:
    """Each classifier below a gate that applies to it, as "name metric=x < v"."""

    def shown(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.4f}"

    return [
        f"{c['name']} {g.metric}={shown(c['scores'].get(g.metric))} < {g.value}"
        for c in data["classifiers"]
        for g in gates
        if g.applies_to(c.get("kind", ""))
        and (c["has_scores"] or g.metric not in SCORE_METRICS)
        and (c["scores"].get(g.metric) is None or c["scores"][g.metric] < g.value)
    ]


def window_counts(per_text: Sequence[int]) -> dict[str, Any] | None:
    """How many windows the texts took (None for a classifier that reads texts whole)."""
    if not per_text:
        return None
    n = np.asarray(per_text)
    return {
        "windows": int(n.sum()),
        "texts_with_several": int((n > 1).sum()),
        "max_per_text": int(n.max()),
        "mean_per_text": round(float(n.mean()), 3),
    }


def score(
    clf: Any,
    records: Sequence[dict[str, Any]],
    *,
    show_text: bool = False,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One classifier's decisions on the records, with intervals, slices and errors, and no
    timing probes: (its report section, arrays `p` (None without scores) and `pred`)."""
    texts = [r["text"] for r in records]
    y = np.array([r["has_pii"] for r in records], dtype=bool)
    scored = has_scores(clf)
    failed_before = getattr(clf, "failures", 0)
    t0 = time.perf_counter()
    p = clf.predict_proba(texts, progress=progress)[:, 1]
    seconds = time.perf_counter() - t0
    failed = getattr(clf, "failures", 0) - failed_before  # requests refused in this run
    tokens = list(getattr(clf, "prompt_tokens", []) or [])  # both describe the last call
    per_text = list(getattr(clf, "windows", []) or [])  # windows per text (LLM classifiers)
    pred = p >= clf.threshold
    errors = []
    for r, truth, prob, guess in zip(records, y, p, pred, strict=True):
        if truth != guess:
            e = {
                "id": r["id"],
                "truth": bool(truth),
                "p_pii": round(float(prob), 4) if scored else None,
                "format": r["tags"].get("format"),
                "language": r["tags"].get("language"),
                "pii_types": r["pii_types"],
                "negative_kind": r["tags"].get("negative_kind"),
            }
            if show_text:
                e["text"] = r["text"]
            errors.append(e)
    ranked = p if scored else None
    section = {
        "name": clf.name,
        "threshold": float(clf.threshold),
        "has_scores": scored,
        "scores": stats.scores(y, pred, ranked),
        "ci95": stats.bootstrap(y, pred, ranked),
        "slices": stats.slices(records, y, pred),
        "reliability": stats.reliability(y, p) if scored else None,
        "seconds": seconds,
        "texts_per_s": len(texts) / seconds,
        "prompt_tokens_per_text": float(np.mean(tokens)) if tokens else None,
        "truncated": 0,  # no classifier cuts a text: long ones are read as windows
        "windows": window_counts(per_text),
        "errors": errors,
        "p_pii": {r["id"]: round(float(v), 5) for r, v in zip(records, p, strict=True)},
    }
    if hasattr(clf, "failures"):
        section["failures"] = int(failed)
    return section, {"p": ranked, "pred": pred}


def evaluate(
    clf: Any,
    records: Sequence[dict[str, Any]],
    *,
    gflops: float,
    latency_n: int = 20,
    sweep_n: int = 48,
    show_text: bool = False,
    stage: Progress = _no_progress,
    label: str = "",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`score` plus the batch-size sweep, batch-1 latency (prefix cache on and off) and the
    compute floor; the arrays gain the per-text latencies `times`. Each stage reports its
    progress through `stage(total, label)`, one after the other."""
    texts = [r["text"] for r in records]
    batched = hasattr(clf, "batch_size")
    sweep = None
    if sweep_n and batched:
        with stage(len(SWEEP_BATCHES), f"{label}: batch sizes") as advance:
            sweep = batch_sweep(clf, texts, sweep_n, advance)
    batch = None
    if batched:
        clf.batch_size = batch = sweep["best_batch"] if sweep else 16
    with stage(len(records), label) as advance:
        section, arrays = score(clf, records, show_text=show_text, progress=advance)
    if batched:
        clf.batch_size = 1
    with stage(min(latency_n, len(texts)), f"{label}: latency, batch 1") as advance:
        lat, times = latency(clf, texts, latency_n, advance)
    # Cost per 1,000 characters: long texts take windows in proportion to their length.
    section["ms_per_1k_chars"] = 1e6 * section["seconds"] / max(sum(map(len, texts)), 1)
    lat["ms_per_1k_chars"] = 1e6 * sum(times) / max(sum(map(len, texts[: len(times)])), 1)
    if getattr(clf, "prefix_cache", False):  # the same texts with the whole prompt run each time
        clf.prefix_cache = False
        with stage(min(latency_n, len(texts)), f"{label}: latency, no prefix cache") as advance:
            lat["prefix_cache_off"], _ = latency(clf, texts, latency_n, advance)
        clf.prefix_cache = True
    engine = getattr(clf, "engine", None)
    if engine is not None and gflops:
        params = engine.non_embedding_params()
        for d in (lat, lat.get("prefix_cache_off")):
            if d:
                d["floor_s"] = 2 * params * d["tokens_processed_per_text"] / (gflops * 1e9)
                chars = np.mean([len(t) for t in texts[: d["n"]]])
                d["floor_ms_per_1k_chars"] = 1e6 * d["floor_s"] / max(chars, 1)
    if batched:
        clf.batch_size = batch  # later scoring (the OOD set) runs at the bench's batch size
    section |= {"latency": lat, "throughput_batch": batch, "batch_sweep": sweep}
    return section, arrays | {"times": times}


def compare_pair(
    report: dict[str, Any],
    records: Sequence[dict[str, Any]],
    arrays: dict[str, dict[str, Any]],
    base: str,
    other: str,
) -> None:
    """Add the paired comparison, the verdict and the novel-slice finding to `report`."""
    y = np.array([r["has_pii"] for r in records], dtype=bool)
    pair = stats.paired(y, arrays[base]["pred"], arrays[other]["pred"])
    pair["base"], pair["other"] = base, other
    report["paired"] = pair
    report["rule_relative_gain"] = stats.GAIN_RULE
    report["verdict"] = stats.verdict(pair)
    report["novel"] = stats.novel_finding(records, y, arrays[base]["pred"], arrays[other]["pred"])


def disk_mb(clf: Any) -> float | None:
    """What the classifier loads from disk, in MB: an LLM's model directory plus its
    `artifacts` (adapter, rules, JSON, spaCy pipeline); None when nothing is known (a
    model that ships with the operating system)."""
    engine = getattr(clf, "engine", None)
    paths = [engine.model_dir] if engine is not None else []
    paths += list(getattr(clf, "artifacts", []) or [])
    return round(sum(size_mb(p) for p in paths), 3) if paths else None


def latency(
    clf: Any, texts: Sequence[str], n: int, advance: Callable[[int], None] = lambda n: None
) -> tuple[dict[str, float], list[float]]:
    """Warm per-text latency at batch 1 over `n` texts, and the tokens it processed."""
    texts = list(texts)[:n]
    clf.predict_proba(texts[:1])  # warm: fills the prefix cache, as in steady use
    times, tokens = [], []
    for t in texts:
        t0 = time.perf_counter()
        clf.predict_proba([t])
        times.append(time.perf_counter() - t0)
        tokens.append(getattr(clf, "processed_tokens", 0))
        advance(1)
    result = {f"p{q}_s": float(np.percentile(times, q)) for q in (50, 95, 99)}
    result |= {"n": len(times), "tokens_processed_per_text": float(np.mean(tokens))}
    return result, times


def batch_sweep(
    clf: Any, texts: Sequence[str], n: int, advance: Callable[[int], None] = lambda n: None
) -> dict[str, Any]:
    """Throughput (texts/s) at each batch size in SWEEP_BATCHES over the same `n` texts."""
    texts = _spread(texts, n)
    rates = {}
    for b in SWEEP_BATCHES:
        clf.batch_size = b
        clf.predict_proba(texts[:1])  # warm
        t0 = time.perf_counter()
        clf.predict_proba(texts)
        rates[str(b)] = len(texts) / (time.perf_counter() - t0)
        advance(1)
    best = max(rates, key=rates.__getitem__)
    return {"n": len(texts), "texts_per_s": rates, "best_batch": int(best)}


def _spread(texts: Sequence[str], n: int) -> list[str]:
    """`n` texts taken evenly through the list (golden files mix lengths and formats)."""
    texts = list(texts)
    step = max(1, len(texts) // max(1, n))
    return texts[::step][:n]
