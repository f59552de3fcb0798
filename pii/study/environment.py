"""What a bench run ran on: machine, versions, BLAS, model and adapter hashes, data hash.

Kept apart from pii.study.bench because it asks the engine (model hash, BLAS in use),
which the bench itself never imports. Left out: the report's numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pii import __version__
from pii.hashing import sha256_file
from pii.provenance import machine, now, versions

PACKAGES = (
    "mlx",
    "mlx-lm",
    "scikit-learn",
    "transformers",
    "numpy",
    "phonenumbers",
    "presidio-analyzer",
    "spacy",
    "apple-fm-sdk",
)


def size_mb(path: Path | None) -> float:
    """A file's or a folder's size on disk in MB (0 when absent)."""
    if path is None or not Path(path).exists():
        return 0.0
    if Path(path).is_file():
        return Path(path).stat().st_size / 1e6
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 1e6


def basic(data: Path | None = None) -> dict[str, Any]:
    """The environment a bench run has without asking the engine: machine, versions, data."""
    return {
        "pii": __version__,
        "date": now(),
        **machine(),
        "versions": versions(PACKAGES),
        "blas": None,
        "model": None,
        "model_sha256": None,
        "model_mb": 0.0,
        "adapter": None,
        "adapter_mb": None,
        "data": str(data) if data is not None else None,
        "data_sha256": sha256_file(data) if data is not None else None,
        "seed": 0,
        "gemm_gflops": 0.0,
    }


def environment(
    data: Path, model: str | None, gflops: float, model_dir: Path | None, adapter: Path | None
) -> dict[str, Any]:
    """The report's `environment` section. `model`/`model_dir` are None without an LLM row."""
    from pii.engine import blas
    from pii.engine.adapters import model_hash, read_training

    adapter_info = None
    if adapter is not None and (Path(adapter) / "training.json").exists():
        adapter_info = {
            "path": str(adapter),
            "train_sha256": read_training(Path(adapter)).get("train_sha256"),
            "weights_sha256": sha256_file(Path(adapter) / "adapters.safetensors"),
        }
    return basic(data) | {
        "blas": blas.loaded_blas(),
        "model": model,
        "model_sha256": model_hash(model_dir) if model_dir else None,
        "model_mb": round(size_mb(model_dir), 1),
        "adapter": adapter_info,
        "adapter_mb": round(size_mb(adapter), 2) if adapter_info else None,
        "gemm_gflops": round(gflops, 1),
    }
