"""Where the project's own files are, from any working directory.

`project_path("golden/test.jsonl")` is the path under the current directory when it exists
there, else the same path under the checkout that holds this package, so the commands work
from the project root and from anywhere else in a source checkout; else, in an installed
wheel, the copy the build put in the package (pii/_shipped/: the shipped adapter and the
baselines' artifacts, see setup.py).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = Path(__file__).resolve().parent / "_shipped"  # in a wheel only


def project_path(rel: str | Path) -> Path:
    """`rel` under the current directory if it exists there, else under the project root,
    else in the wheel's shipped copy; `rel` itself when none has it."""
    rel = Path(rel)
    if rel.is_absolute() or rel.exists():
        return rel
    for base in (ROOT, SHIPPED):
        if (base / rel).exists():
            return base / rel
    return rel
