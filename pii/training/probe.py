"""Fitting the probe row (pii.classifiers.probe): logistic regression on frozen hidden states.

The base model reads every training and validation text once, with the adapter's prompt.
The blocks below the recipe's cut come from the frozen-feature cache the fast training path
builds (pii.training.features: a sweep or `pii train` run has usually built it already);
the rest run here, without any adapter. Pooling (`last` token or `mean` over the prompt)
and the regularisation C are chosen by validation AUROC, the threshold by validation F1.
Test and OOD data are refused.

Left out: scoring new texts (pii.classifiers.probe).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlx.core as mx
import numpy as np

from pii.classifiers import artifact
from pii.classifiers.probe import KIND, POOLINGS, log_odds
from pii.engine.blocks import run_blocks
from pii.training import features
from pii.training.features import Features

C_GRID = (0.01, 0.1, 1.0, 10.0)


def pooled(model: Any, data: Features, cut: int, batch_size: int = 16) -> dict[str, np.ndarray]:
    """Final-norm hidden states from block `cut` on (no adapter): at the last prompt token,
    and averaged over all prompt tokens (the shared prefix included)."""
    inner = model.model
    top = inner.layers[cut:]
    n_prefix = data.prefix.shape[0]
    past, prefix_sum = None, 0.0
    if n_prefix:
        h, past = run_blocks(top, mx.array(data.prefix)[None])
        prefix_sum = np.array(inner.norm(h)[0].astype(mx.float32).sum(axis=0), dtype=np.float64)
    d = data.hidden.shape[1]
    last, mean = np.zeros((len(data), d)), np.zeros((len(data), d))
    order = np.argsort(data.lengths, kind="stable")
    for b in range(0, len(order), batch_size):
        idx = order[b : b + batch_size]
        h, last_pos, _ = data.batch(idx)
        out = inner.norm(run_blocks(top, h, past)[0]).astype(mx.float32)
        keep = (mx.arange(out.shape[1])[None, :] <= last_pos[:, None])[..., None]
        summed, at_last = (out * keep).sum(axis=1), out[mx.arange(len(idx)), last_pos]
        mx.eval(summed, at_last)
        last[idx] = np.array(at_last, dtype=np.float64)
        n = data.lengths[idx][:, None] + n_prefix
        mean[idx] = (np.array(summed, dtype=np.float64) + prefix_sum) / n
    return {"last": last, "mean": mean}


def fit(
    train_path: Path,
    valid_path: Path,
    out: Path,
    *,
    model: str = "smollm2-135m",
    instruction: str = "short",
    max_tokens: int = 192,
    frozen_top: int = 8,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Fit the probe and write its artifact to `out`; returns the artifact's content.
    `frozen_top` blocks run here; the ones below come from the feature cache."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from pii.classifiers import windows
    from pii.engine.adapters import model_hash
    from pii.engine.mlx_engine import load_engine
    from pii.golden.schema import read_records
    from pii.metrics import scores as metrics
    from pii.metrics import stats
    from pii.training.batches import counts as window_counts
    from pii.training.batches import examples, label_token_ids
    from pii.training.recipe import TrainConfig

    artifact.refuse_test_split(valid_path, train_path)
    t0 = time.perf_counter()
    train_records, valid_records = read_records(train_path), read_records(valid_path)
    engine = load_engine(model)
    depth = len(engine.model.model.layers)
    cut = max(depth - frozen_top, 0)
    cfg = TrainConfig(model=model, instruction=instruction, max_tokens=max_tokens)
    yes, _ = label_token_ids(engine)
    digest = model_hash(engine.model_dir)
    common = {"model_hash": digest, "precision": cfg.precision, "log": log}
    pools, labels, owners = {}, {}, {}
    for split, records in (("train", train_records), ("valid", valid_records)):
        # Windows (pii.classifiers.windows): training windows carry their own labels,
        # validation keeps every window and is scored per text.
        window_set, owners[split] = examples(engine, records, cfg, every_window=split == "valid")
        data = features.load_or_build(
            engine.model, window_set, cut, what=f"{split} windows", **common
        )
        log(f"probe: final hidden states of {len(window_set):,} {split} windows")
        pools[split] = pooled(engine.model, data, cut)
        labels[split] = np.array([tokens[off] == yes for tokens, off in window_set], bool)
    y_train = labels["train"]
    y_valid = np.array([r["has_pii"] for r in valid_records], bool)
    counts = window_counts(owners["valid"], len(valid_records))
    choices: list[dict[str, Any]] = []
    best: tuple[float, dict[str, Any]] = (-1.0, {})
    for pooling in POOLINGS:
        x, xv = pools["train"][pooling], pools["valid"][pooling]
        mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
        for c in C_GRID:
            reg = LogisticRegression(C=c, max_iter=2000).fit((x - mean) / scale, y_train)
            head = {
                "pooling": pooling,
                "mean": mean.tolist(),
                "scale": scale.tolist(),
                "coef": reg.coef_[0].tolist(),
                "intercept": float(reg.intercept_[0]),
                "C": c,
            }
            how, _ = windows.choose(log_odds(head, xv), counts, y_valid)
            z = windows.aggregate(log_odds(head, xv), counts, how)
            auroc = float(roc_auc_score(y_valid, z))
            choices.append(
                {"pooling": pooling, "C": c, "aggregate": how, "valid_auroc": round(auroc, 4)}
            )
            log(f"probe: pooling {pooling}, C {c:g}, {how}: valid AUROC {auroc:.4f}")
            if auroc > best[0]:
                best = (auroc, head | {"aggregate": how})
    head = best[1]
    z = windows.aggregate(
        log_odds(head, pools["valid"][head["pooling"]]), counts, head["aggregate"]
    )
    p = 1.0 / (1.0 + np.exp(-z))
    threshold, _ = metrics.best_threshold(y_valid, p)
    scores = stats.scores(y_valid, p >= threshold, p)
    data = {
        "kind": KIND,
        "model": model,
        "model_sha256": digest,
        "instruction": instruction,
        "max_text_tokens": max_tokens,
        "window_overlap": cfg.window_overlap,
        **head,
        "threshold": threshold,
        "chosen_on": "validation AUROC (pooling, C, aggregate), validation F1 (threshold)",
        "choices": choices,
        "valid_metrics": {k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()},
        "fit_seconds": round(time.perf_counter() - t0, 1),
        **artifact.provenance(valid_path, train_path),
    }
    artifact.write(out, data)
    return data
