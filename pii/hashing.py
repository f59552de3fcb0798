"""SHA-256 of files and folders, read in blocks (model weights are hundreds of MB).

Used for provenance (which data, adapter and model a result came from) and for
verifying a shipped model file. Left out: what is hashed and why (the callers say).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

_BLOCK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of one file's bytes."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            h.update(block)
    return h.hexdigest()


def sha256_files(paths: Iterable[Path]) -> str:
    """Hex SHA-256 over several files' names and bytes, in the order given."""
    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode())
        with path.open("rb") as f:
            for block in iter(lambda f=f: f.read(_BLOCK), b""):
                h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
