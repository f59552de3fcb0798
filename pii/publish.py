"""Replacing a set of output files as a unit, with a manifest of their hashes.

A report (report.json, report.md, report.html and its plots) is one thing: a reader must
never see new numbers beside stale plots. `publish(directory, files)` writes the whole set
and a `manifest.json` (each file's SHA-256) into a sibling folder `.NAME.new-*`, then swaps
the folders with two renames (the previous one waits as `.NAME.old-*`), and only then moves
whatever else the previous folder held (other tools' sub-folders, e.g. decision-*/) into the
new one. A failure before the swap leaves the previous set as it was. A process killed at
any point is undone by `recover(directory)`, run by every publish and by `pii report`: the
previous set comes back when the new one never arrived, other tools' files left in the
set-aside folder are moved over, and staged leftovers are removed. `check(directory)` says
whether the files still match their manifest. `replace_dir` gives any other folder (a CoreML
package) the same swap, without a manifest and without carrying anything over.

Left out: what the files contain (the callers render them). One writer at a time.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from pii.errors import ConfigError, DataError
from pii.hashing import sha256_bytes, sha256_file
from pii.jsonl import current_umask, unwritable

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


def _aside(directory: Path, kind: str) -> list[Path]:
    """The sibling folders a swap of `directory` set aside (`old`) or staged (`new`), oldest
    first."""
    if not directory.parent.is_dir():
        return []
    pattern = f".{glob.escape(directory.name)}.{kind}-*"
    return sorted(directory.parent.glob(pattern), key=lambda p: p.stat().st_mtime)


def _carry(old: Path, directory: Path, legacy: tuple[str, ...]) -> None:
    """Move what others wrote into the previous set's folder over to the new one."""
    ours = _previous_set(old, legacy)
    for entry in old.iterdir():
        if entry.name not in ours and not (directory / entry.name).exists():
            entry.rename(directory / entry.name)


def recover(directory: str | Path, legacy: tuple[str, ...] | None = None) -> None:
    """Undo a swap killed half-way: when `directory` is missing, the folder it held comes
    back from its `.old-*` sibling; else, for a published set (`legacy` given), other tools'
    files still in the set-aside folder move to the new one. Leftovers are then removed."""
    directory = Path(directory)
    olds = _aside(directory, "old")
    if olds and not directory.exists():
        olds.pop().rename(directory)
    elif legacy is not None and directory.is_dir():
        for old in olds:
            _carry(old, directory, legacy)
    for leftover in olds + _aside(directory, "new"):
        shutil.rmtree(leftover, ignore_errors=True)


def _swap(staged: Path, directory: Path, old: Path) -> None:
    """Put `staged` in `directory`'s place; the previous one waits in `old` until it is."""
    if directory.exists():
        directory.rename(old)  # killed from here to the next line: recover() puts it back
    staged.rename(directory)


def _staging(directory: Path) -> tuple[Path, Path]:
    """A new staging folder beside `directory`, and the name the previous one will wait under."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{directory.name}.new-", dir=directory.parent))
    return staged, directory.parent / f".{directory.name}.old-{staged.name.rsplit('-', 1)[-1]}"


def _undo(staged: Path, directory: Path, old: Path) -> None:
    """After a failure before the swap completed: the previous folder back, the staged gone."""
    if old.exists() and not directory.exists():
        old.rename(directory)
    shutil.rmtree(staged, ignore_errors=True)


def replace_dir(directory: str | Path, build: Callable[[Path], None]) -> None:
    """Build a folder with `build(path)` (the path does not exist yet and has `directory`'s
    name) beside `directory`, then swap it in: a failure leaves `directory` as it was."""
    directory = Path(directory)
    recover(directory)
    tmp, old = _staging(directory)
    try:
        build(tmp / directory.name)
        _swap(tmp / directory.name, directory, old)
    except BaseException:
        _undo(tmp, directory, old)
        raise
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)


def publish(
    directory: str | Path, files: Mapping[str, str | bytes], legacy: tuple[str, ...] = ()
) -> None:
    """Write `files` (name -> content) and their manifest as `directory`'s set, as a unit.
    `legacy` names the files of a set written before manifests existed."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise DataError(f"{directory}: is a file; give a folder for the report")
    recover(directory, legacy)
    staged, old = _staging(directory)
    try:
        hashes = {}
        for name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            (staged / name).write_bytes(data)
            hashes[name] = sha256_bytes(data)
        manifest = {"format_version": FORMAT_VERSION, "files": hashes}
        (staged / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        os.chmod(staged, 0o777 & ~current_umask())  # mkdtemp makes 0700; give what mkdir would
        _swap(staged, directory, old)
    except BaseException:
        _undo(staged, directory, old)
        raise
    if old.exists():
        _carry(old, directory, legacy)  # killed here: recover() finishes it
        shutil.rmtree(old, ignore_errors=True)


def check_writable(directory: str | Path, what: str) -> None:
    """A folder `publish`/`replace_dir` can write: not a file, and its parent (where the new
    set is staged) writable; checked before any work. ConfigError naming it otherwise."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"{directory}: is a file; --out names the {what}")
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory.parent, prefix=".pii-write-check-"):
            pass
    except OSError as e:
        why = unwritable(directory, e)
        raise ConfigError(
            f"{directory}: cannot write there ({why}); choose another --out"
        ) from None


def write_manifest(directory: str | Path, names: list[str]) -> None:
    """manifest.json for files already in `directory` (an adapter's), written atomically."""
    from pii.jsonl import write_atomic

    directory = Path(directory)
    hashes = {name: sha256_file(directory / name) for name in names}
    manifest = {"format_version": FORMAT_VERSION, "files": hashes}
    write_atomic(directory / MANIFEST, json.dumps(manifest, indent=2) + "\n")


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
