"""Where a result came from: package versions, the machine, the time.

Every artifact that carries numbers (report, training record, baseline artifact, export)
records these, so a figure can be traced to the code and hardware that produced it.
Left out: hashes of inputs (pii.hashing) and the BLAS in use (pii.engine.blas).
"""

from __future__ import annotations

import importlib.metadata as md
import os
import platform
import resource
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path


def versions(packages: Iterable[str]) -> dict[str, str | None]:
    """Installed version of each package, None where it is not installed."""
    out: dict[str, str | None] = {}
    for pkg in packages:
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    return out


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine() -> dict[str, object]:
    """Platform, processor, cores, memory and Python of this machine."""
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": cpu_name(),
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
    }


def peak_memory_gb() -> float:
    """Peak resident memory of this process (Linux reports KiB, macOS bytes)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(rss / (2**30 if sys.platform == "darwin" else 2**20), 2)
