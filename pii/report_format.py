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
from pii.jsonl import read_json_object

FORMAT_VERSION = 1

# field -> type, at the top level, in `environment` and in each classifier section
_TOP = {"n": int, "environment": dict, "classifiers": list}
_ENV = {"model": (str, type(None)), "data": (str, type(None)), "date": str}
_SECTION = {"name": str, "threshold": (int, float), "scores": dict, "ci95": dict, "slices": dict}


def _check(obj: dict[str, Any], fields: dict[str, Any], where: str, path: Path) -> None:
    for key, kind in fields.items():
        if key not in obj:
            raise DataError(f"{path}: {where}'{key}' is missing; not a complete pii bench report")
        if not isinstance(obj[key], kind) or isinstance(obj[key], bool):
            raise DataError(
                f"{path}: {where}'{key}' is a {type(obj[key]).__name__}; "
                "the file is not a pii bench report (or was edited)"
            )


def read_report(path: str | Path) -> dict[str, Any]:
    """A bench report.json, checked; DataError naming the file and the problem."""
    path = Path(path)
    data = read_json_object(path, "report", "run `pii bench --out DIR` first")
    found = data.get("format_version")
    if found != FORMAT_VERSION:
        raise DataError(
            f"{path}: report format_version {found!r}; this pii reads version {FORMAT_VERSION} "
            "(re-run `pii bench` with this version)"
        )
    _check(data, _TOP, "", path)
    _check(data["environment"], _ENV, "environment.", path)
    for i, section in enumerate(data["classifiers"]):
        if not isinstance(section, dict):
            raise DataError(f"{path}: classifiers[{i}] is not an object")
        _check(section, _SECTION, f"classifiers[{i}].", path)
    return data
