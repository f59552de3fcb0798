"""A seeded, class-balanced sample of golden records (validation subsets, learning curves).

Left out: which split to sample (the caller's choice; test is never sampled for tuning).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any


def subset(records: Sequence[dict[str, Any]], n: int | None, seed: int) -> list[dict[str, Any]]:
    """A seeded sample of n records keeping the positive/negative ratio (all if n is None)."""
    if n is None or n >= len(records):
        return list(records)
    rng = random.Random(seed)
    pos = [r for r in records if r["has_pii"]]
    neg = [r for r in records if not r["has_pii"]]
    n_pos = round(n * len(pos) / len(records))
    return rng.sample(pos, n_pos) + rng.sample(neg, n - n_pos)
