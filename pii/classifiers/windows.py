"""Long texts as overlapping windows, and one P(PII) per document from its windows' scores.

No LLM classifier reads only the head of a text. A text longer than the classifier's token
budget is split on token boundaries into windows of `size` tokens that overlap by `overlap`
tokens, so a value cut at one window's edge is whole in the next (the longest values here,
an IBAN or an API key written digit by digit, take about 40 tokens). Every window is scored
like a text of its own; the document's log-odds is an aggregate of its windows':

- `max`: the most PII-like window decides (a calibrated max once the threshold is set);
- `noisy_or`: P = 1 - prod(1 - p_i), the chance that at least one window holds PII if the
  windows were independent; it rises with the number of weakly suspicious windows.

Which aggregate a classifier uses is chosen on validation (`choose`), never on test, and
recorded in its artifact. Training sees the same windows (pii.training.batches): a window
is positive when it holds a whole PII span of the record, negative when it holds none, and
left out when it holds only part of one.

Left out: tokenisation (pii.engine.mlx_engine.Engine.token_offsets) and scoring (fewshot).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

AGGREGATES = ("max", "noisy_or")
DEFAULT_OVERLAP = 64
Span = tuple[int, int]


def split(offsets: Sequence[tuple[int, int]], n_chars: int, size: int, overlap: int) -> list[Span]:
    """Character spans of the windows over a text whose tokens have `offsets`.

    The first window starts at character 0 and the last ends at `n_chars`, so every
    character is in at least one window; consecutive windows share `overlap` tokens.
    """
    if not 0 <= overlap < size:
        raise ValueError(f"window overlap {overlap} must be >= 0 and below the size {size}")
    n = len(offsets)
    if n <= size:
        return [(0, n_chars)]
    stride = size - overlap
    spans = []
    for i in range(0, n, stride):
        j = min(i + size, n)
        # A window starts where the previous token ends, so it keeps the space a token
        # carries in front of it: the window is exactly its tokens decoded.
        spans.append((0 if i == 0 else offsets[i - 1][1], n_chars if j == n else offsets[j - 1][1]))
        if j == n:
            break
    return spans


def of_text(engine: Any, text: str, size: int, overlap: int) -> list[Span]:
    """The windows of `text` under `engine`'s tokenizer (one, the whole text, when it fits).
    The overlap is at most a third of the window, so small windows still move forward."""
    if len(text) <= size:  # a token is at least one character
        return [(0, len(text))]
    return split(engine.token_offsets(text), len(text), size, effective_overlap(size, overlap))


def effective_overlap(size: int, overlap: int) -> int:
    """The overlap used: at most a third of the window."""
    return min(overlap, size // 3)


def label(window: Span, spans: Sequence[Sequence[object]] | None, has_pii: bool) -> bool | None:
    """A training window's label from its record's PII spans: True when it holds a whole
    span, False when it touches none, None (leave it out) when it holds only part of one.
    A record without spans (hand-written, imported) gives every window its own label."""
    if spans is None:
        return has_pii
    start, end = window
    whole = partial = False
    for s, e, _ in spans:
        if start <= s and e <= end:  # type: ignore[operator]
            whole = True
        elif s < end and e > start:  # type: ignore[operator]
            partial = True
    if whole:
        return True
    return None if partial else False


def _log1m_sigmoid(x: np.ndarray) -> np.ndarray:
    """log(1 - sigmoid(x)) = -softplus(x), stable for large |x|."""
    return -np.logaddexp(0.0, x)


def aggregate(window_logits: np.ndarray, counts: Sequence[int], how: str) -> np.ndarray:
    """Per-document log-odds from per-window log-odds (`counts` windows per document, in
    order). Both aggregates equal the window's own log-odds for a one-window document."""
    if how not in AGGREGATES:
        raise ValueError(f"unknown aggregate '{how}'; use one of {', '.join(AGGREGATES)}")
    x = np.asarray(window_logits, dtype=np.float64)
    bounds = np.cumsum([0, *counts])
    if bounds[-1] != len(x):
        raise ValueError(f"{len(x)} window scores for {bounds[-1]} windows")
    out = np.empty(len(counts))
    for d, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        w = x[a:b]
        if b - a == 1:
            out[d] = w[0]
        elif how == "max":
            out[d] = w.max()
        else:  # log-odds of 1 - prod(1 - p_i): log(expm1(S)) with S = sum softplus(x_i)
            s = -_log1m_sigmoid(w).sum()
            out[d] = s + np.log(-np.expm1(-s))
    return out


def starts(counts: Sequence[int]) -> np.ndarray:
    """Index of each text's first window in the flat list of windows."""
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int)


def best(window_logits: np.ndarray, counts: Sequence[int]) -> list[int]:
    """Index (within its document) of each document's highest-scoring window."""
    x = np.asarray(window_logits)
    bounds = np.cumsum([0, *counts])
    return [int(np.argmax(x[a:b])) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def choose(
    window_logits: np.ndarray, counts: Sequence[int], y: np.ndarray, beta: float = 1.0
) -> tuple[str, dict[str, dict[str, float]]]:
    """The aggregate with the higher F-beta at its best threshold on these (validation)
    documents, then the higher AUROC, then `max` (the simpler); with each one's figures."""
    from sklearn.metrics import roc_auc_score

    from pii.metrics import scores

    y = np.asarray(y, dtype=bool)
    table: dict[str, dict[str, float]] = {}
    for how in AGGREGATES:
        z = aggregate(window_logits, counts, how)
        p = 1.0 / (1.0 + np.exp(-z))
        _, f = scores.best_threshold(y, p, beta=beta)
        auroc = float(roc_auc_score(y, z)) if 0 < y.sum() < len(y) else float("nan")
        table[how] = {"f": round(float(f), 4), "auroc": round(float(auroc), 4)}
    key = {h: (table[h]["f"], np.nan_to_num(table[h]["auroc"]), h == "max") for h in AGGREGATES}
    return max(AGGREGATES, key=lambda h: key[h]), table
