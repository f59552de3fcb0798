"""Training through the adapted blocks only, on cached frozen-layer features.

The plain path (mlx-lm's trainer) runs all of the model's blocks forward at every step and
backward through the adapted ones. Here the frozen blocks' output comes from
pii.training.features, and each step runs the shared prompt opening once (batch 1) and the
batch's own rows through the adapted blocks (pii.engine.blocks), forward and backward. The
loss is the plain path's (`answer_loss`: cross-entropy of the answer token, read at the last
prompt position) to 1e-4 on the same batch (tests/test_fast_training.py); the adapter's
layers, file format, optimizer and schedule are mlx-lm's.

Batches: the examples sorted by length are cut into batches of `batch_size` (little
padding); each epoch visits those batches in an order drawn from the seed and the epoch, so
step s always sees the same batch and a resumed run continues exactly.

Left out: the run's bookkeeping (pii.training.loop) and the features (pii.training.features).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import mlx.core as mx
import mlx.nn as nn
import numpy as np

from pii.classifiers.fewshot import yes_minus_no
from pii.engine.blocks import run_blocks, supported
from pii.training.features import Features


def available(model: nn.Module) -> bool:
    """True when every block of `model` is one pii.engine.blocks can run."""
    return all(supported(layer) for layer in model.model.layers)


def _head(model: nn.Module, hidden: mx.array) -> mx.array:
    if getattr(model.args, "tie_word_embeddings", True) or not hasattr(model, "lm_head"):
        return model.model.embed_tokens.as_linear(hidden)
    return model.lm_head(hidden)


def last_hidden(
    model: nn.Module, cut: int, prefix: mx.array, h: mx.array, last: mx.array
) -> mx.array:
    """Final-norm hidden state at each row's last prompt position, from block `cut` on."""
    top = model.model.layers[cut:]
    past = run_blocks(top, prefix[None])[1] if prefix.shape[0] else None
    out, _ = run_blocks(top, h, past)
    return model.model.norm(out[mx.arange(h.shape[0]), last])


def loss(
    model: nn.Module, cut: int, prefix: mx.array, h: mx.array, last: mx.array, targets: mx.array
) -> mx.array:
    """Cross-entropy of the answer token, as pii.training.batches.answer_loss."""
    logits = _head(model, last_hidden(model, cut, prefix, h, last))
    return nn.losses.cross_entropy(logits.astype(mx.float32), targets).mean()


def batch_order(lengths: np.ndarray, batch_size: int, seed: int, epoch: int) -> list[np.ndarray]:
    """The batches of one epoch: length-sorted chunks, in an order drawn from (seed, epoch)."""
    order = np.argsort(lengths, kind="stable")
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if len(chunks) > 1 and len(chunks[-1]) < batch_size:  # a short tail joins the batches'
        chunks[-2] = np.concatenate([chunks[-2], chunks[-1]])  # neighbour: no tiny batch
        chunks.pop()
    perm = np.random.default_rng([seed, epoch]).permutation(len(chunks))
    return [chunks[i] for i in perm]


def steps_per_epoch(n: int, batch_size: int) -> int:
    return max(1, n // batch_size)


def total_steps(n: int, batch_size: int, epochs: float) -> int:
    return max(1, math.ceil(epochs * steps_per_epoch(n, batch_size)))


class TokenCounter:
    """Prompt tokens the adapted blocks have run on (the callback reads `input_tokens`)."""

    def __init__(self) -> None:
        self.input_tokens = 0


def train(
    model: nn.Module,
    optimizer: Any,
    data: Features,
    cut: int,
    *,
    batch_size: int,
    seed: int,
    start: int,
    total: int,
    report_every: int,
    counter: TokenCounter,
    callback: Any,
    log: Any = None,
    log_every_s: float = 30.0,
) -> None:
    """Steps `start`..`total` (exclusive of `start`); reports to `callback` like mlx-lm's
    trainer (`on_train_loss_report` with iteration, train_loss, trained_tokens,
    peak_memory) every `report_every` steps and at the last one; a progress line on `log`
    (step, recent loss, seconds a step, ETA) every `log_every_s` seconds."""
    value_and_grad = nn.value_and_grad(model, loss)
    prefix = mx.array(data.prefix)
    per_epoch = steps_per_epoch(len(data), batch_size)
    losses, examples, epoch_cached, order = [], 0, -1, []
    t0 = time.perf_counter()
    last_log, recent = t0, []
    for step in range(start + 1, total + 1):
        epoch, j = divmod(step - 1, per_epoch)
        if epoch != epoch_cached:
            order, epoch_cached = batch_order(data.lengths, batch_size, seed, epoch), epoch
        idx = order[j]
        h, last, targets = data.batch(idx)
        value, grads = value_and_grad(model, cut, prefix, h, last, targets)
        mx.eval(value, grads)  # the step's graph first: its buffers are freed before Adam's
        optimizer.update(model, grads)
        mx.eval(model.trainable_parameters(), optimizer.state)
        losses.append(float(value))
        recent.append(float(value))
        now = time.perf_counter()
        if log is not None and now - last_log >= log_every_s:
            per_step = (now - t0) / (step - start)
            log(
                f"step {step:,}/{total:,}: loss {np.mean(recent):.4f}, {per_step:.2f} s a step, "
                f"ETA {(total - step) * per_step / 60:.0f} min (evaluations not counted)"
            )
            last_log, recent = now, []
        examples += len(idx)
        counter.input_tokens += int(data.lengths[idx].sum()) + len(idx) * len(data.prefix)
        if step % report_every == 0 or step == total:
            callback.on_train_loss_report(
                {
                    "iteration": step - start,
                    "train_loss": float(np.mean(losses)),
                    "trained_tokens": examples,
                    "peak_memory": mx.get_peak_memory() / 1e9,
                    "seconds": time.perf_counter() - t0,
                }
            )
            losses = []


def validation_loss(
    model: nn.Module, data: Features, cut: int, batch_size: int, batches: int, seed: int
) -> float:
    """Mean answer loss over `batches` batches of a seeded sample of `data`."""
    picked = np.random.default_rng(seed).permutation(len(data))[: batch_size * batches]
    prefix, total = mx.array(data.prefix), 0.0
    for i in range(0, len(picked), batch_size):
        idx = np.sort(picked[i : i + batch_size])
        h, last, targets = data.batch(idx)
        value = loss(model, cut, prefix, h, last, targets)
        total += float(value) * len(idx)
    return total / max(len(picked), 1)


def label_log_odds(
    model: nn.Module,
    data: Features,
    cut: int,
    idx: Sequence[int],
    rows: mx.array,
    n_yes: int,
    batch_size: int = 16,
) -> np.ndarray:
    """Yes-minus-no log-odds (log-sum-exp over each label's token variants, as the few-shot
    scorer) for examples `idx`, from block `cut` on."""
    prefix = mx.array(data.prefix)
    idx = np.asarray(idx)
    order = idx[np.argsort(data.lengths[idx], kind="stable")]
    out: dict[int, float] = {}
    for b in range(0, len(order), batch_size):
        chunk = order[b : b + batch_size]
        h, last, _ = data.batch(chunk)
        scores = last_hidden(model, cut, prefix, h, last).astype(mx.float32) @ rows.T
        odds = yes_minus_no(np.array(scores, dtype=np.float64), n_yes)
        out.update(zip(chunk.tolist(), odds.tolist(), strict=True))
    return np.array([out[i] for i in idx.tolist()])


def probabilities(log_odds: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-log_odds))
