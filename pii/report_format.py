"""The bench report's file format (report.json): its version and the one reader that checks
it, used by `pii report`, `pii compare` and `pii decide`.

The reader refuses what is not a report before anything uses it: a file that is not JSON,
JSON that is not an object, another `format_version` (it names the version found and the
one it reads), and missing or wrong-typed fields the renderers rely on. Every refusal is a
DataError naming the file and the field.

Left out: writing reports (pii.study.bench) and what their numbers mean.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pii.errors import DataError
from pii.formats import check_fields, read_versioned

FORMAT_VERSION = 1
WHAT = "pii bench report"

# field -> type, at the top level, in `environment` and in each classifier section
_TOP = {"n": int, "environment": dict, "classifiers": list}
_ENV = {"model": (str, type(None)), "data": (str, type(None)), "date": str}
_SECTION = {"name": str, "threshold": (int, float), "scores": dict, "ci95": dict, "slices": dict}


def read_report(path: str | Path) -> dict[str, Any]:
    """A bench report.json, checked; DataError naming the file and the problem."""
    path = Path(path)
    fix = "re-run `pii bench --out DIR` with this version"
    data = read_versioned(path, WHAT, FORMAT_VERSION, fix, _TOP)
    check_fields(data["environment"], _ENV, path, WHAT, "environment.")
    for i, section in enumerate(data["classifiers"]):
        if not isinstance(section, dict):
            raise DataError(f"{path}: classifiers[{i}] is not an object")
        check_fields(section, _SECTION, path, WHAT, f"classifiers[{i}].")
    return data
