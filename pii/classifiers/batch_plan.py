"""Which prompts run together: length-bucketed batches at the least padded compute.

A batch runs every row to the width of its longest suffix, so a batch that spans short and
long texts spends most of its time on padding (the 32 mixed texts of bench/speed.py, cut in
plain length order into batches of 32, ran 45% pad tokens). `plan` sorts the items by
length and cuts the sorted list where the cost

    sum over batches of (call_tokens + rows x width)

is least (dynamic programming over the cut points, exact): `call_tokens` prices the fixed
cost of one forward call (Python, dispatch, thirty layers of small ops) in tokens, so short
texts still share a call while a long one does not drag a batch of short ones to its width.
A batch also holds at most `batch_size` rows and `max_tokens` padded tokens (rows x width),
which bounds the attention scores' memory (rows x heads x width^2 floats).

Used by the prompted classifiers (pii.classifiers.fewshot); items with different prompt
prefixes never share a batch (the caller plans each prefix's items apart).
Left out: the model calls themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

CALL_TOKENS = 32  # ~one forward call's fixed cost, in tokens' worth of compute (SmolLM2, CPU)
MAX_TOKENS = 4096  # padded tokens in one batch


def plan(
    lengths: Sequence[int],
    batch_size: int,
    max_tokens: int = MAX_TOKENS,
    call_tokens: int = CALL_TOKENS,
) -> list[list[int]]:
    """Batches of indices into `lengths`, each in ascending length, covering every index once."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    sizes = [lengths[i] for i in order]
    n = len(sizes)
    cost = [0.0] + [float("inf")] * n  # cost[j]: least cost of the first j sorted items
    cut = [0] * (n + 1)
    for j in range(1, n + 1):
        width = sizes[j - 1]
        for rows in range(1, min(batch_size, j) + 1):
            if rows > 1 and rows * width > max_tokens:
                break
            c = cost[j - rows] + call_tokens + rows * width
            if c < cost[j]:
                cost[j], cut[j] = c, j - rows
    batches: list[list[int]] = []
    j = n
    while j > 0:
        batches.append(order[cut[j] : j])
        j = cut[j]
    return batches[::-1]


def padded_fraction(lengths: Sequence[int], batches: Sequence[Sequence[int]]) -> float:
    """Share of the padded tokens that are padding, over `batches`."""
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches if b)
    return 1.0 - sum(lengths) / padded if padded else 0.0
