"""Frozen-layer features: the hidden states that enter the first adapted block, computed once.

LoRA sits on the last `num_layers` blocks. The blocks below are frozen and have no dropout,
so for a given prompt they give the same output at every step of every epoch. `load_or_build`
runs them once over a pool and keeps the result on disk (float32, under
`$PII_CACHE/features/`); training then runs forward and backward through the adapted blocks
only (pii.training.fast).

The prompt's opening (system instruction, chat markup) is the same for every example; its
hidden states are stored once (`prefix`), and each example keeps only the rows after it.

A cached set is named by a hash of everything it depends on: the base model's weights, the
cut (how many frozen blocks), the precision and every example's token ids (which carry the
pool, the prompt, the text budget and the tokenizer). Anything else gives another name, so a
stale set is never reused; it is rebuilt.

Left out: training (pii.training.fast) and the examples themselves (pii.training.batches).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import mlx.core as mx
import numpy as np

from pii.engine.blocks import run_blocks

FORMAT = 1
BUILD_BATCH = 16


def cache_root() -> Path:
    """Where cached features live: $PII_CACHE/features, else ~/.cache/pii/features."""
    return Path(os.environ.get("PII_CACHE", Path.home() / ".cache" / "pii")) / "features"


@dataclass
class Features:
    """Hidden states entering block `cut` for a list of (prompt + answer, offset) examples."""

    prefix: np.ndarray  # (P, d): the shared prompt opening
    hidden: np.ndarray  # (sum of suffix lengths, d): each example's rows after the prefix
    starts: np.ndarray  # (n,) first row of each example in `hidden`
    lengths: np.ndarray  # (n,) rows of each example (prompt tokens after the prefix)
    targets: np.ndarray  # (n,) the answer token id
    key: str = ""

    def __len__(self) -> int:
        return len(self.lengths)

    def batch(self, idx: Sequence[int]) -> tuple[mx.array, mx.array, mx.array]:
        """(hidden (B, width, d) right-padded with zeros, last prompt row (B,), answer (B,))."""
        idx = np.asarray(idx)
        width = int(self.lengths[idx].max())
        out = np.zeros((len(idx), width, self.hidden.shape[1]), np.float32)
        for row, i in enumerate(idx):
            s, n = self.starts[i], self.lengths[i]
            out[row, :n] = self.hidden[s : s + n]
        return mx.array(out), mx.array(self.lengths[idx] - 1), mx.array(self.targets[idx])


def shared_prefix(prompts: Sequence[Sequence[int]]) -> int:
    """Length of the longest opening all prompts share, leaving each at least one token."""
    first = prompts[0]
    n = min(len(p) for p in prompts) - 1
    for p in prompts[1:]:
        i = 0
        while i < n and p[i] == first[i]:
            i += 1
        n = i
    return max(n, 0)


def feature_key(model_hash: str, cut: int, precision: str, examples: Sequence) -> str:
    h = hashlib.sha256(f"pii-features/{FORMAT}/{model_hash}/{cut}/{precision}/".encode())
    for tokens, offset in examples:
        h.update(np.asarray(tokens, np.int64).tobytes())
        h.update(f"/{offset};".encode())
    return h.hexdigest()


def _read(folder: Path, key: str) -> Features | None:
    try:
        meta = json.loads((folder / "meta.json").read_text())
        if meta.get("key") != key or meta.get("format") != FORMAT:
            return None
        index = np.load(folder / "index.npz")
        return Features(
            prefix=np.load(folder / "prefix.npy"),
            hidden=np.load(folder / "hidden.npy", mmap_mode="r"),
            starts=index["starts"],
            lengths=index["lengths"],
            targets=index["targets"],
            key=key,
        )
    except (OSError, ValueError, KeyError):
        return None


def load_or_build(
    model: object,
    examples: Sequence[tuple[list[int], int]],
    cut: int,
    *,
    model_hash: str,
    precision: str,
    root: Path | None = None,
    log: Callable[[str], None] = print,
    what: str = "examples",
) -> Features:
    """The features of `examples` entering block `cut` of `model`: read from the cache when
    its hash matches, else computed (progress on `log`) and written atomically."""
    key = feature_key(model_hash, cut, precision, examples)
    root = Path(root) if root is not None else cache_root()
    folder = root / key[:24]
    cached = _read(folder, key)
    if cached is not None:
        log(f"features: {len(cached):,} {what} read from the cache ({folder})")
        return cached
    if folder.exists():
        log(f"features: {folder.name} does not match these {what} (hash); rebuilding")
    return _build(model, examples, cut, key, folder, log, what)


def _build(
    model: object,
    examples: Sequence[tuple[list[int], int]],
    cut: int,
    key: str,
    folder: Path,
    log: Callable[[str], None],
    what: str,
) -> Features:
    inner = model.model  # type: ignore[attr-defined]
    layers = inner.layers[:cut]
    prompts = [tokens[:offset] for tokens, offset in examples]
    n_prefix = shared_prefix(prompts)
    prefix_ids = prompts[0][:n_prefix]
    suffixes = [p[n_prefix:] for p in prompts]
    lengths = np.array([len(s) for s in suffixes], np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    targets = np.array([tokens[offset] for tokens, offset in examples], np.int64)

    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    past, prefix = None, None
    if n_prefix:
        h, past = run_blocks(layers, inner.embed_tokens(mx.array([prefix_ids])))
        prefix = np.array(h[0].astype(mx.float32))
    order = np.argsort(lengths, kind="stable")
    hidden = None
    t0, done, next_report = time.perf_counter(), 0, 0.1
    for b in range(0, len(order), BUILD_BATCH):
        idx = order[b : b + BUILD_BATCH]
        width = int(lengths[idx].max())
        ids = np.zeros((len(idx), width), np.int64)
        for row, i in enumerate(idx):
            ids[row, : lengths[i]] = suffixes[i]
        h, _ = run_blocks(layers, inner.embed_tokens(mx.array(ids)), past)
        h = np.array(h.astype(mx.float32))
        if hidden is None:
            shape = (int(lengths.sum()), h.shape[2])
            hidden = np.lib.format.open_memmap(
                tmp / "hidden.npy", mode="w+", dtype=np.float32, shape=shape
            )
        for row, i in enumerate(idx):
            hidden[starts[i] : starts[i] + lengths[i]] = h[row, : lengths[i]]
        done += len(idx)
        if done / len(order) >= next_report or done == len(order):
            log(
                f"features: {done:,}/{len(order):,} {what} through {cut} frozen blocks "
                f"({time.perf_counter() - t0:.0f} s)"
            )
            next_report += 0.1
    if hidden is None:
        raise ValueError("features: no examples")
    width = hidden.shape[1]
    hidden.flush()
    del hidden
    np.save(tmp / "prefix.npy", prefix if prefix is not None else np.zeros((0, width), np.float32))
    np.savez(tmp / "index.npz", starts=starts, lengths=lengths, targets=targets)
    meta = {
        "format": FORMAT,
        "key": key,
        "cut": cut,
        "examples": len(examples),
        "prefix_tokens": n_prefix,
        "rows": int(lengths.sum()),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    result = _read(folder, key)
    if result is None:
        raise OSError(f"features: {folder} could not be read back after writing")
    return result
