"""An adapter's probabilities on many texts, from cached frozen-block features.

The learning curve scores a dozen adapters on the same validation and test texts. Every
adapter with the same cut (LoRA on the last `num_layers` blocks) shares the base model's
frozen blocks, so their output for those texts is computed once (pii.training.features,
the cache training uses) and each adapter runs only its adapted blocks: about a quarter of
the classifier's work for the 8-block recipe. The numbers are the classifier's own: the same
windows (pii.training.batches.examples), the same label scorer (pii.training.fast), the same
window aggregate and threshold from the adapter's training record
(tests/test_feature_scoring.py compares them with `pii classify` to 1e-4).

Left out: the classifier itself (pii.classifiers.adapter), which scores any text without a
cache and is what the bench and apps use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def probabilities(
    adapter: Path,
    splits: dict[str, Sequence[dict[str, Any]]],
    *,
    model: str | None = None,
    log: Callable[[str], None] = print,
) -> tuple[dict[str, np.ndarray], float] | None:
    """(P(PII) per record of each split, the adapter's threshold), or None when the model's
    blocks are not ones the cached path can run (score with the classifier then). The model
    loads once, at the classifier's precision ("auto")."""
    from pii.classifiers import windows
    from pii.engine import adapters
    from pii.engine.adapters import read_training
    from pii.engine.mlx_engine import load_engine
    from pii.training import fast, features
    from pii.training.batches import counts, examples, label_scorer
    from pii.training.recipe import TrainConfig

    info = read_training(Path(adapter))
    cfg = TrainConfig(**info["config"])
    engine = load_engine(model or info["base_model"], adapter=adapter, precision="auto")
    net = engine.model
    if not fast.available(net):
        return None
    net.eval()
    scorer = label_scorer(engine, cfg)
    cut = len(net.model.layers) - cfg.num_layers
    out = {}
    for split, records in splits.items():
        ex, owner = examples(engine, list(records), cfg, every_window=True)
        feats = features.load_or_build(
            net,
            ex,
            cut,
            model_hash=adapters.model_hash(engine.model_dir),
            precision="auto",
            log=log,
            what=f"{split} texts",
        )
        odds = fast.label_log_odds(
            net, feats, cut, list(range(len(ex))), scorer._rows, len(scorer._yes)
        )
        how = info.get("aggregate", "max")
        out[split] = fast.probabilities(windows.aggregate(odds, counts(owner, len(records)), how))
    return out, float(info["threshold"])
