"""What training, tuning and fitting may never read: the test split and the
out-of-distribution set. Test, OOD and any held-out set choose nothing (thresholds, recipes,
checkpoints, prompts are chosen on validation), so the commands that choose refuse them.

The test split is recognised by its file name; the OOD set by its file name and by content:
a file holding any text of golden/ood.jsonl (compared by SHA-256, so a renamed or merged
copy is caught too) is refused, naming the line and id.

Left out: which files a command reads (the callers pass them here first).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pii.errors import ConfigError
from pii.hashing import sha256_bytes
from pii.jsonl import iter_jsonl
from pii.paths import project_path

OOD_FILE = "golden/ood.jsonl"


@cache
def _ood_hashes(path: Path, mtime_ns: int) -> frozenset[str]:
    return frozenset(
        sha256_bytes(obj["text"].encode())
        for _, obj in iter_jsonl(path)
        if isinstance(obj, dict) and isinstance(obj.get("text"), str)
    )


def ood_hashes(ood: Path | None = None) -> frozenset[str]:
    """SHA-256 of every text of the OOD set (empty when the file is absent)."""
    path = Path(ood) if ood is not None else project_path(OOD_FILE)
    if not path.is_file():
        return frozenset()
    return _ood_hashes(path.resolve(), path.stat().st_mtime_ns)


def refuse(path: str | Path, purpose: str, *, ood: Path | None = None) -> None:
    """DataError when `path` is the test split or holds out-of-distribution records.
    `purpose` names the command's job in the message, e.g. "training"."""
    path = Path(path)
    name = path.name.lower()
    if name.startswith("ood"):
        raise ConfigError(
            f"{path}: the out-of-distribution set is for evaluation only; {purpose} never "
            "reads it (use golden/train.jsonl and golden/valid.jsonl)"
        )
    if name.startswith("test"):
        raise ConfigError(
            f"{path}: looks like the test split; {purpose} reads train and validation data "
            "only (golden/train.jsonl, golden/valid.jsonl): choices are made on validation, "
            "never on test"
        )
    hashes = ood_hashes(ood)
    if not hashes or not path.is_file():
        return
    for lineno, obj in iter_jsonl(path):
        text = obj.get("text") if isinstance(obj, dict) else None
        if isinstance(text, str) and sha256_bytes(text.encode()) in hashes:
            rid = obj.get("id") if isinstance(obj.get("id"), str) else "?"
            raise ConfigError(
                f"{path}:{lineno}: id={rid}: this text is in the out-of-distribution set "
                f"({OOD_FILE}); {purpose} never reads it: remove it from this file"
            )
