"""The bench: classifiers on a golden file, accuracy with bootstrap intervals, latency.

Each classifier is only a `predict_proba` (pii.classifier); the bench neither knows nor
cares what is behind it. Thresholds come with the classifiers (chosen on the validation
split), never from the data benched here.

Left out (for now): per-slice tables, paired tests, calibration, plots and the verdict.
"""

from __future__ import annotations

import hashlib
import platform
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from pii import __version__, metrics, netguard

FORMAT_VERSION = 1


def bootstrap_ci(
    y: np.ndarray, pred: np.ndarray, p: np.ndarray, n_boot: int = 1000, seed: int = 0
) -> dict[str, list[float]]:
    """95% percentile-bootstrap intervals of the summary metrics and AUROC."""
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {}
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        s = metrics.summary(y[idx], pred[idx])
        if 0 < y[idx].sum() < len(idx):
            s["auroc"] = float(roc_auc_score(y[idx], p[idx]))
        for key, value in s.items():
            if key != "n":
                draws.setdefault(key, []).append(value)
    return {
        k: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] for k, v in draws.items()
    }


def evaluate(
    clf: Any, records: Sequence[dict[str, Any]], progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Score one classifier: metrics with intervals, hard-negative FPR, latency, errors."""
    texts = [r["text"] for r in records]
    y = np.array([r["has_pii"] for r in records], dtype=bool)
    t0 = time.perf_counter()
    p = clf.predict_proba(texts, progress=progress)[:, 1]
    seconds = time.perf_counter() - t0
    pred = p >= clf.threshold
    result: dict[str, Any] = {
        "name": clf.name,
        "threshold": clf.threshold,
        **metrics.summary(y, pred),
    }
    result["auroc"] = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None
    hard = np.array([bool(r["tags"].get("hard_negative")) for r in records])
    result["hard_negative_fpr"] = float(pred[hard].mean()) if hard.any() else None
    result["ci95"] = bootstrap_ci(y, pred, p)
    result["seconds"] = seconds
    result["texts_per_s"] = len(texts) / seconds if seconds else None
    tokens = getattr(clf, "prompt_tokens", None)
    result["prompt_tokens_per_text"] = float(np.mean(tokens)) if tokens else None
    result["truncated"] = int(getattr(clf, "truncated", 0))
    result["errors"] = [
        {"id": r["id"], "truth": bool(t), "p_pii": round(float(v), 4)}
        for r, t, v, d in zip(records, y, p, pred, strict=True)
        if t != d
    ]
    result["p_pii"] = {r["id"]: round(float(v), 5) for r, v in zip(records, p, strict=True)}
    return result


def latency(clf: Any, texts: Sequence[str], n: int = 20) -> dict[str, float]:
    """Warm per-text latency at batch 1: p50, p95, p99 over `n` texts."""
    texts = list(texts)[:n]
    clf.predict_proba(texts[:1])  # warm: the prefix cache is filled as in steady use
    times = []
    for t in texts:
        t0 = time.perf_counter()
        clf.predict_proba([t])
        times.append(time.perf_counter() - t0)
    return {f"p{q}_s": float(np.percentile(times, q)) for q in (50, 95, 99)} | {"n": len(times)}


def environment(data: Path, model: str) -> dict[str, Any]:
    import importlib.metadata as md
    import os

    from pii import blas

    versions = {}
    for pkg in ("mlx", "mlx-lm", "scikit-learn", "transformers"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    return {
        "pii": __version__,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": _cpu_name(),
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "versions": versions,
        "model": model,
        "data": str(data),
        "data_sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
        "gemm_gflops": round(blas.gemm_gflops(), 1),
    }


def _cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def network_attempts() -> int:
    return netguard.attempts


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: one row per classifier, intervals in brackets."""
    env = report["environment"]
    lines = [
        f"# pii bench: {env['model']} on {Path(env['data']).name}",
        "",
        f"{report['n']} items, {env['date']}, {env['processor']} ({env['cores']} cores), "
        f"GEMM {env['gemm_gflops']} GFLOP/s, network attempts: {report['network_attempts']}",
        "",
        "| classifier | F1 | F2 | precision | recall | AUROC | FPR hard neg. | p50 ms | p95 ms | tokens/text |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in report["classifiers"]:
        ci = c["ci95"]

        def cell(key: str, c: dict = c, ci: dict = ci) -> str:
            if c.get(key) is None:
                return "-"
            lo, hi = ci.get(key, [None, None])
            return f"{c[key]:.3f} [{lo:.3f}, {hi:.3f}]" if lo is not None else f"{c[key]:.3f}"

        lat = c.get("latency", {})
        fpr = c["hard_negative_fpr"]
        lines.append(
            f"| {c['name']} | {cell('f1')} | {cell('f2')} | {cell('precision')} | {cell('recall')} "
            f"| {cell('auroc')} | {'-' if fpr is None else f'{fpr:.3f}'} "
            f"| {lat.get('p50_s', 0) * 1000:.0f} | {lat.get('p95_s', 0) * 1000:.0f} "
            f"| {c['prompt_tokens_per_text'] or 0:.0f} |"
        )
    lines += [
        "",
        "Intervals: 95% bootstrap (1,000 resamples). Thresholds come from the "
        "validation split, never from this data.",
        "",
    ]
    return "\n".join(lines)
