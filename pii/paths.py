"""Where the project's own files are, from any working directory.

`project_path("golden/test.jsonl")` is the path under the current directory when it exists
there, else the same path under the checkout that holds this package, so the commands work
from the project root and from anywhere else in a source checkout.

Left out: files of an installed wheel (package data is found through the modules that own it).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def project_path(rel: str | Path) -> Path:
    """`rel` under the current directory if it exists there, else under the project root."""
    rel = Path(rel)
    if rel.is_absolute() or rel.exists():
        return rel
    root = ROOT / rel
    return root if root.exists() else rel
