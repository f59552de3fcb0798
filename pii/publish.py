"""Replacing a set of output files as a unit, with a manifest of their hashes.

A report (report.json, report.md, report.html and its plots) is one thing: a reader must
never see new numbers beside stale plots. `publish(directory, files)` writes the whole set
and a `manifest.json` (each file's SHA-256) into a sibling temporary folder. It moves
whatever else the directory holds (other tools' sub-folders, e.g. decision-*/) into the new
folder, and only then swaps the two folders with renames. A failure at any point before the
swap leaves the previous set as it was. `check(directory)` says whether the files still
match their manifest.

Left out: what the files contain (the callers render them).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from pii.errors import DataError
from pii.hashing import sha256_bytes, sha256_file
from pii.jsonl import current_umask

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


def _previous_set(directory: Path, legacy: tuple[str, ...]) -> set[str]:
    """Names that belong to the set published before (its manifest, else the legacy names)."""
    path = directory / MANIFEST
    if path.is_file():
        try:
            return set(json.loads(path.read_text(encoding="utf-8"))["files"]) | {MANIFEST}
        except (ValueError, KeyError, TypeError, OSError):
            pass
    return {p.name for p in directory.iterdir() if p.name in legacy or p.suffix == ".png"}


def publish(
    directory: str | Path, files: Mapping[str, str | bytes], legacy: tuple[str, ...] = ()
) -> None:
    """Write `files` (name -> content) and their manifest as `directory`'s set, as a unit.
    `legacy` names the files of a set written before manifests existed."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise DataError(f"{directory}: is a file; give a folder for the report")
    directory.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{directory.name}.new-", dir=directory.parent))
    old = directory.parent / f".{directory.name}.old-{staged.name.rsplit('-', 1)[-1]}"
    moved: list[str] = []
    try:
        hashes = {}
        for name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            (staged / name).write_bytes(data)
            hashes[name] = sha256_bytes(data)
        manifest = {"format_version": FORMAT_VERSION, "files": hashes}
        (staged / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        mode = 0o777 & ~current_umask()
        os.chmod(staged, mode)  # mkdtemp makes 0700; give what mkdir would
        if directory.exists():
            ours = _previous_set(directory, legacy) | set(files) | {MANIFEST}
            for entry in directory.iterdir():
                if entry.name not in ours:
                    entry.rename(staged / entry.name)  # keep what others wrote there
                    moved.append(entry.name)
            directory.rename(old)
        staged.rename(directory)
    except BaseException:
        if old.exists() and not directory.exists():
            old.rename(directory)
        if staged.exists():
            for name in moved:  # hand back what was moved in, then drop the new set
                if directory.exists() and (staged / name).exists():
                    (staged / name).rename(directory / name)
            shutil.rmtree(staged, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def check(directory: str | Path) -> list[str]:
    """Files that do not match `directory`'s manifest (missing or changed); [] when they all
    do or when there is no manifest (a set written before manifests existed)."""
    directory = Path(directory)
    path = directory / MANIFEST
    if not path.is_file():
        return []
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        hashes = dict(manifest["files"])
    except (ValueError, KeyError, TypeError, OSError):
        return [MANIFEST]
    return sorted(
        name
        for name, digest in hashes.items()
        if not (directory / name).is_file() or sha256_file(directory / name) != digest
    )
