"""The bench: classifiers on a golden file, everything a careful reviewer would ask for.

Each classifier is only a `predict_proba` with a threshold (pii.classifier); the bench
neither knows nor cares what is behind it. What only some classifiers have is measured
where it exists and is None ("n/a" in the report) elsewhere: the batch-size sweep (a
`batch_size` attribute), prefix cache on/off (`prefix_cache`), the compute floor (an MLX
`engine`), tokens per text, and every score-based statistic (AUROC, ECE, Brier, the
reliability curve) for a classifier with `has_scores = False`. Thresholds come with the
classifiers (chosen on the validation split), never from the data benched here. The
network guard counts every attempt; the report states the count.

Left out: statistics (pii.stats) and presentation (pii.report).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from pii import __version__, netguard, stats

FORMAT_VERSION = 1
SWEEP_BATCHES = (1, 4, 8, 16, 32)


def _dir_mb(path: Path | None) -> float:
    if path is None or not Path(path).exists():
        return 0.0
    if Path(path).is_file():
        return Path(path).stat().st_size / 1e6
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 1e6


def disk_mb(clf: Any) -> float | None:
    """What the classifier loads from disk, in MB: an LLM's model directory plus its
    `artifacts` (adapter, rules, JSON, spaCy pipeline); None when nothing is known (a
    model that ships with the operating system)."""
    engine = getattr(clf, "engine", None)
    paths = [engine.model_dir] if engine is not None else []
    paths += list(getattr(clf, "artifacts", []) or [])
    return round(sum(_dir_mb(p) for p in paths), 3) if paths else None


def non_embedding_params(model: Any) -> int:
    from mlx.utils import tree_flatten

    return sum(
        p.size
        for n, p in tree_flatten(model.parameters())
        if "embed_tokens" not in n and "lm_head" not in n and "lora" not in n
    )


def latency(clf: Any, texts: Sequence[str], n: int) -> tuple[dict[str, float], list[float]]:
    """Warm per-text latency at batch 1 over `n` texts, and the tokens it processed."""
    texts = list(texts)[:n]
    clf.predict_proba(texts[:1])  # warm: fills the prefix cache, as in steady use
    times, tokens = [], []
    for t in texts:
        t0 = time.perf_counter()
        clf.predict_proba([t])
        times.append(time.perf_counter() - t0)
        tokens.append(getattr(clf, "processed_tokens", 0))
    result = {f"p{q}_s": float(np.percentile(times, q)) for q in (50, 95, 99)}
    result |= {"n": len(times), "tokens_processed_per_text": float(np.mean(tokens))}
    return result, times


def batch_sweep(clf: Any, texts: Sequence[str], n: int) -> dict[str, Any]:
    """Throughput (texts/s) at each batch size in SWEEP_BATCHES over the same `n` texts."""
    texts = _spread(texts, n)
    rates = {}
    for b in SWEEP_BATCHES:
        clf.batch_size = b
        clf.predict_proba(texts[:1])  # warm
        t0 = time.perf_counter()
        clf.predict_proba(texts)
        rates[str(b)] = len(texts) / (time.perf_counter() - t0)
    best = max(rates, key=rates.__getitem__)
    return {"n": len(texts), "texts_per_s": rates, "best_batch": int(best)}


def _spread(texts: Sequence[str], n: int) -> list[str]:
    """`n` texts taken evenly through the list (golden files mix lengths and formats)."""
    texts = list(texts)
    step = max(1, len(texts) // max(1, n))
    return texts[::step][:n]


def cold_start(kind: str, model: str, adapter: Path | None, config: Path | None) -> float | None:
    """Seconds from starting a fresh `pii classify` process to its first result."""
    cmd = [
        sys.executable,
        "-m",
        "pii",
        "classify",
        "cold start probe",
        "--json",
        "--model",
        model,
        "--classifier",
        kind,
    ]
    if adapter is not None and kind == "adapter":
        cmd += ["--adapter", str(adapter)]
    if config is not None and kind == "fewshot":
        cmd += ["--config", str(config)]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return time.perf_counter() - t0 if done.returncode == 0 else None


def evaluate(
    clf: Any,
    records: Sequence[dict[str, Any]],
    *,
    gflops: float,
    latency_n: int = 20,
    sweep_n: int = 48,
    show_text: bool = False,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One classifier on the records: (its report section, arrays for plots; `p` is None
    for a classifier without scores)."""
    from pii.classifier import has_scores

    texts = [r["text"] for r in records]
    y = np.array([r["has_pii"] for r in records], dtype=bool)
    batched, scored = hasattr(clf, "batch_size"), has_scores(clf)
    sweep = batch_sweep(clf, texts, sweep_n) if sweep_n and batched else None
    batch = None
    if batched:
        clf.batch_size = batch = sweep["best_batch"] if sweep else 16
    failed_before = getattr(clf, "failures", 0)
    t0 = time.perf_counter()
    p = clf.predict_proba(texts, progress=progress)[:, 1]
    seconds = time.perf_counter() - t0
    failed = getattr(clf, "failures", 0) - failed_before  # requests refused in this run
    tokens = list(getattr(clf, "prompt_tokens", []) or [])
    truncated = int(getattr(clf, "truncated", 0))
    pred = p >= clf.threshold
    if batched:
        clf.batch_size = 1
    lat, times = latency(clf, texts, latency_n)
    if getattr(clf, "prefix_cache", False):  # the same texts with the whole prompt run each time
        clf.prefix_cache = False
        lat["prefix_cache_off"], _ = latency(clf, texts, latency_n)
        clf.prefix_cache = True
    engine = getattr(clf, "engine", None)
    if engine is not None and gflops:
        params = non_embedding_params(engine.model)
        for d in (lat, lat.get("prefix_cache_off")):
            if d:
                d["floor_s"] = 2 * params * d["tokens_processed_per_text"] / (gflops * 1e9)
    errors = []
    for r, truth, prob, guess in zip(records, y, p, pred, strict=True):
        if truth != guess:
            e = {
                "id": r["id"],
                "truth": bool(truth),
                "p_pii": round(float(prob), 4) if scored else None,
                "format": r["tags"]["format"],
                "language": r["tags"]["language"],
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
        "latency": lat,
        "seconds": seconds,
        "texts_per_s": len(texts) / seconds,
        "throughput_batch": batch,
        "batch_sweep": sweep,
        "prompt_tokens_per_text": float(np.mean(tokens)) if tokens else None,
        "truncated": truncated,
        "errors": errors,
        "p_pii": {r["id"]: round(float(v), 5) for r, v in zip(records, p, strict=True)},
    }
    if hasattr(clf, "failures"):
        section["failures"] = int(failed)
    return section, {"p": ranked, "pred": pred, "times": times}


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


def environment(
    data: Path, model: str | None, gflops: float, model_dir: Path | None, adapter: Path | None
) -> dict[str, Any]:
    import importlib.metadata as md

    versions = {}
    for pkg in (
        "mlx",
        "mlx-lm",
        "scikit-learn",
        "transformers",
        "numpy",
        "phonenumbers",
        "presidio-analyzer",
        "spacy",
        "apple-fm-sdk",
    ):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    from pii import blas
    from pii.adapters import model_hash

    adapter_info = None
    if adapter is not None and (Path(adapter) / "training.json").exists():
        t = json.loads((Path(adapter) / "training.json").read_text())
        adapter_info = {
            "path": str(adapter),
            "train_sha256": t.get("train_sha256"),
            "weights_sha256": hashlib.sha256(
                (Path(adapter) / "adapters.safetensors").read_bytes()
            ).hexdigest(),
        }
    return {
        "pii": __version__,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": cpu_name(),
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "versions": versions,
        "blas": blas.loaded_blas(),
        "model": model,
        "model_sha256": model_hash(model_dir) if model_dir else None,
        "model_mb": round(_dir_mb(model_dir), 1),
        "adapter": adapter_info,
        "adapter_mb": round(_dir_mb(adapter), 2) if adapter_info else None,
        "data": str(data),
        "data_sha256": hashlib.sha256(Path(data).read_bytes()).hexdigest(),
        "seed": 0,
        "gemm_gflops": round(gflops, 1),
    }


def cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def peak_memory_gb() -> float:
    """Peak resident memory of this process (Linux reports KiB, macOS bytes)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(rss / (2**30 if sys.platform == "darwin" else 2**20), 2)


def network_attempts() -> int:
    return netguard.attempts
