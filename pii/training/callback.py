"""The training callback both paths report to: every `steps_per_eval` steps, validation loss
and F1/F2/AUROC (threshold chosen on valid), best-checkpoint keeping, early stopping and a
resumable checkpoint. Its collaborators are passed in, so a test can drive it.

Left out: the training loops (pii.training.loop, pii.training.fast).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlx.core as mx
import mlx.nn as nn
import numpy as np
from mlx.utils import tree_flatten
from mlx_lm.tuner.callbacks import TrainingCallback

from pii.classifiers import windows
from pii.metrics import scores as metrics
from pii.training import checkpoint
from pii.training.checkpoint import RunState
from pii.training.recipe import TrainConfig


class StopTraining(Exception):
    """Raised by the callback to end training early (patience exhausted)."""


class ValidationCallback(TrainingCallback):
    """mlx-lm's training callback: every `steps_per_eval` steps, validation loss and F1/F2
    (threshold chosen on valid), best-checkpoint keeping, early stopping (StopTraining) and
    a resumable checkpoint. Its collaborators are passed in, so a test can drive it."""

    def __init__(
        self,
        *,
        cfg: TrainConfig,
        out: Path,
        model: nn.Module,
        optimizer: Any,
        state: RunState,
        start: int,
        batches: Any,
        val_loss: Callable[[], float],
        val_scores: Callable[[], tuple[np.ndarray, list[int]]],  # per window, windows per text
        clear_cache: Callable[[], None],
        y_valid: np.ndarray,
        log: Callable[[str], None],
        total: int | None = None,
        data: dict[str, str] | None = None,  # the data files' hashes, kept in the checkpoint
        stop_if: Callable[[list[dict[str, Any]]], str | None] | None = None,
    ) -> None:
        self.data, self.stop_if = data, stop_if
        self.cfg, self.out, self.model, self.optimizer = cfg, out, model, optimizer
        self.total = cfg.iters if total is None else total
        self.state, self.start, self.batches = state, start, batches
        self.val_loss, self.val_scores, self.clear_cache = val_loss, val_scores, clear_cache
        self.y_valid, self.log = y_valid, log
        self.last_tokens, self.last_input, self.t_last = 0, 0, time.perf_counter()

    def on_train_loss_report(self, info: dict[str, Any]) -> None:
        cfg, state, model = self.cfg, self.state, self.model
        step = self.start + info["iteration"]
        state.trained_tokens += int(info["trained_tokens"] - self.last_tokens)
        self.last_tokens = info["trained_tokens"]
        window_tokens = self.batches.input_tokens - self.last_input
        state.input_tokens += window_tokens
        self.last_input = self.batches.input_tokens
        state.peak_memory_gb = max(state.peak_memory_gb, float(info["peak_memory"]))
        if step % cfg.steps_per_eval and step != self.total:
            return
        t0 = time.perf_counter()
        state.train_seconds += t0 - self.t_last
        model.eval()
        val_loss = self.val_loss()
        self.clear_cache()  # the prefix's keys and values change with the weights
        window_odds, counts = self.val_scores()
        how, _ = windows.choose(window_odds, counts, self.y_valid, beta=cfg.select_beta)
        p = 1.0 / (1.0 + np.exp(-windows.aggregate(window_odds, counts, how)))
        thr, f_sel = metrics.best_threshold(self.y_valid, p, beta=cfg.select_beta)
        m = metrics.summary(self.y_valid, p >= thr)
        model.train()
        entry = {
            "step": step,
            "train_loss": round(info["train_loss"], 5),
            "val_loss": round(val_loss, 5),
            "val_f1": round(m["f1"], 4),
            "val_f2": round(m["f2"], 4),
            "val_auroc": _auroc(self.y_valid, p),
            "threshold": thr,
            "aggregate": how,
            "input_tokens_per_s": round(window_tokens / max(t0 - self.t_last, 1e-9), 1),
            "eval_seconds": round(time.perf_counter() - t0, 1),
        }
        state.history.append(entry)
        improved = not state.best or f_sel > state.best["f_select"]
        if improved:
            state.best = entry | {"f_select": round(f_sel, 5)}
            state.best_scores = [round(float(x), 6) for x in p]  # for the intervals at the end
            state.evals_since_best = 0
            weights = dict(tree_flatten(model.trainable_parameters()))
            mx.save_safetensors(str(self.out / ".adapters.tmp.safetensors"), weights)
            (self.out / ".adapters.tmp.safetensors").replace(self.out / "adapters.safetensors")
        else:
            state.evals_since_best += 1
        state.step = step
        state.pruned = self.stop_if(state.history) if self.stop_if else None
        checkpoint.save(self.out, model, self.optimizer, state, cfg, self.data)
        self.t_last = time.perf_counter()
        self.log(
            f"step {step:4d}  train loss {entry['train_loss']:.3f}  val loss {val_loss:.3f}  "
            f"val F1 {m['f1']:.3f}  F2 {m['f2']:.3f}  {entry['input_tokens_per_s']:.0f} input tok/s"
            + (
                "  [best]"
                if improved
                else f"  ({state.evals_since_best}/{cfg.patience} without gain)"
            )
        )
        if state.pruned:
            self.log(f"pruned: {state.pruned}")
            raise StopTraining
        if state.evals_since_best >= cfg.patience:
            raise StopTraining


def _auroc(y: np.ndarray, p: np.ndarray) -> float | None:
    """Validation AUROC (None when valid holds one class only)."""
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(y, p)), 4) if 0 < y.sum() < len(y) else None
