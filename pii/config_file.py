"""Reading a YAML or TOML settings file into a dict: the one reader for training recipes,
sweeps and `pii decide --config`.

Keys are normalised (`calls-per-month` reads as `calls_per_month`) and checked against the
keys the caller knows; every problem is a ConfigError naming the file and the fix. Left
out: the values' types and ranges (each caller's dataclass validates its own).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pii.errors import ConfigError


def read_settings(path: str | Path, known: Iterable[str]) -> dict[str, Any]:
    """The file's top-level mapping, keys normalised and all known."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder; give a YAML or TOML file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read the config ({e.__class__.__name__})") from None
    import yaml

    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as e:
        kind = "TOML" if path.suffix == ".toml" else "YAML"
        raise ConfigError(f"{path}: not valid {kind} ({str(e).splitlines()[0]})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values, e.g. rank: 8")
    data = {str(k).replace("-", "_"): v for k, v in data.items()}
    known = sorted(known)
    unknown = sorted(set(data) - set(known), key=str)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {show_keys(unknown)}; known: {', '.join(known)}")
    return data


def show_keys(keys: Iterable[Any]) -> str:
    """Keys for a message: as written when they are plain text, else quoted (a key holding a
    newline or not a string must not break the one-line message)."""
    return ", ".join(k if isinstance(k, str) and k.isprintable() else repr(k) for k in keys)
