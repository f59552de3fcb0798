"""Versioned JSON artifacts: the one reader every pii JSON file goes through.

Reports, decisions, training records, baseline artifacts and tuned configs, sweep and
learning-curve summaries all carry a `format_version`. `read_versioned` opens such a file
and refuses, in one line naming the file, what this pii cannot read: a missing or unreadable
file, JSON that is not an object, another version (it says which version it found and which
it reads) and missing or wrong-typed fields. `check_fields` checks a nested object the same
way. The error class is the caller's (a broken adapter is a ModelError, a broken artifact a
ConfigError), so the CLI's exit codes stay what they were.

Left out: what the fields mean (each artifact's module) and writing (pii.jsonl.write_atomic).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pii.errors import DataError, PiiError

# a field's expected type: one type or a tuple of them (bool is never an int here)
Fields = dict[str, Any]


def read_object(
    path: str | Path, what: str, fix: str, error: type[PiiError] = DataError
) -> dict[str, Any]:
    """A JSON file holding one object; `error` naming the file, what was expected and `fix`
    when it is missing, unreadable or not an object."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: {what} not found; {fix}") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder; give the {what} file") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
        why = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
        raise error(f"{path}: not a JSON {what} ({why}); {fix}") from None
    if not isinstance(data, dict):
        raise error(f"{path}: a JSON {type(data).__name__}, not a {what} (an object); {fix}")
    return data


def check_version(
    data: dict[str, Any],
    path: str | Path,
    what: str,
    version: int,
    fix: str,
    error: type[PiiError] = DataError,
) -> None:
    """Refuse `data` unless its format_version is `version`, naming both."""
    found = data.get("format_version")
    if found != version or isinstance(found, bool):
        shown = "missing" if found is None else repr(found)
        raise error(
            f"{path}: {what} format_version {shown}; this pii reads version {version} ({fix})"
        )


def _ok(value: Any, kind: Any) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds)


def check_fields(
    obj: dict[str, Any],
    fields: Fields,
    path: str | Path,
    what: str,
    where: str = "",
    error: type[PiiError] = DataError,
    optional: Fields | None = None,
) -> None:
    """Every key of `fields` present in `obj` with its type, and every key of `optional`
    that is present with its type; `where` prefixes the key in the message (e.g. 'config.')."""
    for key, kind in {**fields, **(optional or {})}.items():
        if key not in obj:
            if key in fields:
                raise error(f"{path}: {where}'{key}' is missing; not a complete {what}")
        elif not _ok(obj[key], kind):
            raise error(
                f"{path}: {where}'{key}' is a {type(obj[key]).__name__}; "
                f"the file is not a {what} this pii wrote (or was edited)"
            )


def read_versioned(
    path: str | Path,
    what: str,
    version: int,
    fix: str,
    fields: Fields | None = None,
    error: type[PiiError] = DataError,
    optional: Fields | None = None,
) -> dict[str, Any]:
    """A versioned JSON artifact: an object of `version` with `fields` typed; `error`
    naming the file and the problem otherwise."""
    data = read_object(path, what, fix, error)
    check_version(data, path, what, version, fix, error)
    check_fields(data, fields or {}, path, what, error=error, optional=optional)
    return data
