"""Make MLX on Linux run on a fast BLAS, and measure what it gets.

The `mlx-cpu` wheel bundles the netlib reference BLAS (~5 GFLOP/s float32 GEMM on two
cores). Preloading an optimised library that exports the standard CBLAS symbols (OpenBLAS
from the OS, or the `mkl` wheel's libmkl_rt) makes the same calls ~25x faster. The dynamic
loader only honours LD_PRELOAD at process start, so `pii` re-executes itself once with it
set. Nothing here matters on macOS, where MLX uses Accelerate and Metal.

Left out: choosing thread counts (OpenBLAS and MKL pick the core count themselves).
"""

from __future__ import annotations

import ctypes.util
import glob
import os
import platform
import sys
import time
from pathlib import Path

_MARK = "PII_BLAS_REEXEC"  # set in the child so a failed preload cannot loop
_KNOWN = ("openblas", "mkl_rt", "blis", "libblas", "accelerate")


def needs_fix() -> bool:
    """True on Linux, where the mlx-cpu wheel's reference BLAS would be used."""
    return platform.system() == "Linux"


def find_fast_blas() -> str | None:
    """Path of an optimised CBLAS library to preload, or None.

    Order: $PII_BLAS, the system's OpenBLAS (Debian: libopenblas0-pthread), the `mkl` wheel
    in this environment.
    """
    explicit = os.environ.get("PII_BLAS")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for candidate in ("/lib/x86_64-linux-gnu/libopenblas.so.0", "/usr/lib/libopenblas.so.0"):
        if Path(candidate).exists():
            return candidate
    name = ctypes.util.find_library("openblas")
    if name:
        return name
    mkl = sorted(glob.glob(os.path.join(sys.prefix, "lib", "libmkl_rt.so*")))
    return mkl[0] if mkl else None


def preloaded() -> str | None:
    """The fast BLAS already in LD_PRELOAD, if any."""
    for part in os.environ.get("LD_PRELOAD", "").replace(":", " ").split():
        if any(k in Path(part).name for k in ("openblas", "mkl_rt", "blis")):
            return part
    return None


def reexec_with_fast_blas() -> None:
    """Re-execute this process with a fast BLAS preloaded, when that is needed and possible.

    Returns normally (nothing to do, or nothing found: `pii doctor` then says what to install).
    """
    if not needs_fix() or preloaded() or os.environ.get(_MARK) or os.environ.get("PII_NO_BLAS_FIX"):
        return
    lib = find_fast_blas()
    if lib is None:
        return
    env = dict(os.environ)
    env["LD_PRELOAD"] = " ".join(p for p in (lib, env.get("LD_PRELOAD", "")) if p)
    env[_MARK] = "1"
    argv = list(getattr(sys, "orig_argv", [sys.executable, *sys.argv]))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *argv[1:]], env)


def loaded_blas() -> list[str]:
    """BLAS-like shared libraries mapped into this process (Linux; empty elsewhere)."""
    maps = Path("/proc/self/maps")
    if not maps.exists():
        return ["Accelerate (macOS)"] if platform.system() == "Darwin" else []
    libs = set()
    for line in maps.read_text().splitlines():
        path = line.split()[-1] if line.split() else ""
        name = Path(path).name.lower()
        if path.startswith("/") and any(k in name for k in _KNOWN):
            libs.add(path)
    return sorted(libs)


def gemm_gflops(n: int = 1536, repeats: int = 5) -> float:
    """Best-of-`repeats` float32 GEMM rate of MLX on the default device, in GFLOP/s."""
    import mlx.core as mx  # late: importing mlx maps the BLAS, measure after any preload

    a = mx.random.normal((n, n), key=mx.random.key(0))
    b = mx.random.normal((n, n), key=mx.random.key(1))
    mx.eval(a @ b)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        mx.eval(a @ b)
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


if __name__ == "__main__":  # `python -m pii.engine.blas`: print the library to preload (for make)
    print(find_fast_blas() or "")
