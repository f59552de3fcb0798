"""What the adapter trains on: the classifier's own prompt followed by the answer token,
the loss on that one token, and mlx-lm's batching on a private seeded generator.

Left out: the loop (pii.training.loop) and the prompt's wording (pii.classifiers.prompts).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import mlx.core as mx
import mlx.nn as nn
import numpy as np

from pii.classifiers import prompts, windows
from pii.training.recipe import TrainConfig


def label_scorer(engine: Any, cfg: TrainConfig, batch_size: int = 8) -> Any:
    """The classifier an adapter trained with `cfg` is scored as: no exemplars, the recipe's
    instruction and windows (its `_rows` and `_yes` also serve the cached-feature path)."""
    from pii.classifiers.fewshot import FewShotClassifier, FewShotConfig

    return FewShotClassifier(
        engine,
        FewShotConfig(
            model=cfg.model,
            k=0,
            instruction=cfg.instruction,
            max_text_tokens=cfg.max_tokens,
            window_overlap=cfg.window_overlap,
        ),
        batch_size=batch_size,
    )


def label_token_ids(engine: Any) -> tuple[int, int]:
    """The yes and no tokens the adapter learns to emit (the first scored variant of each)."""
    return engine.encode(prompts.LABEL_VARIANTS[prompts.YES][0])[0], engine.encode(
        prompts.LABEL_VARIANTS[prompts.NO][0]
    )[0]


def examples(
    engine: Any, records: list[dict[str, Any]], cfg: TrainConfig, every_window: bool = False
) -> tuple[list[tuple[list[int], int]], list[int]]:
    """(tokens, answer offset) pairs, one per window of each record (pii.classifiers.windows):
    the classifier's prompt on the window, then the window's label token; and the record
    index of each pair. A window holding only part of a PII span has no label: training
    leaves it out; `every_window` (validation, where documents are scored) keeps it with
    its record's label. Training keeps at most `cfg.max_negative_windows` PII-free windows
    of a record (a seeded sample), every window that holds PII."""
    yes, no = label_token_ids(engine)
    out, owner = [], []
    for i, r in enumerate(records):
        text = r["text"]
        labelled = []
        for a, b in windows.of_text(engine, text, cfg.max_tokens, cfg.window_overlap):
            positive = windows.label((a, b), r.get("spans"), r["has_pii"])
            if positive is None:
                if not every_window:
                    continue
                positive = r["has_pii"]
            labelled.append((a, b, positive))
        cap = cfg.max_negative_windows
        negative = [w for w in labelled if not w[2]]
        if not every_window and cap is not None and len(negative) > cap:
            # A long text's many PII-free windows: a seeded few, so they neither swamp the
            # positives nor the epoch (validation scores every window).
            keep = set(random.Random(cfg.seed * 1_000_003 + i).sample(negative, cap))
            labelled = [w for w in labelled if w[2] or w in keep]
        for a, b, positive in labelled:
            msgs = prompts.messages(cfg.instruction, [], text[a:b])
            prompt = engine.encode(engine.render(msgs, True))
            out.append((prompt + [yes if positive else no], len(prompt)))
            owner.append(i)
    return out, owner


def counts(owner: list[int], n_records: int) -> list[int]:
    """Windows per record from the record index of each window."""
    c = [0] * n_records
    for i in owner:
        c[i] += 1
    return c


def answer_loss(model: nn.Module, batch: mx.array, lengths: mx.array) -> tuple[mx.array, mx.array]:
    """Cross-entropy of the answer token, predicted from the last prompt position only."""
    offsets = lengths[:, 0]
    rows = mx.arange(batch.shape[0])
    hidden = model.model(batch[:, :-1])[rows, offsets - 1]
    if getattr(model.args, "tie_word_embeddings", True):
        logits = model.model.embed_tokens.as_linear(hidden)
    else:
        logits = model.lm_head(hidden)
    ce = nn.losses.cross_entropy(logits.astype(mx.float32), batch[rows, offsets])
    return ce.mean(), mx.array(batch.shape[0])


def private_batches(seed: int, skip: int = 0) -> Callable[..., Iterator[Any]]:
    """mlx-lm's iterate_batches on a private NumPy random state, skipping `skip` batches.

    mlx-lm shuffles with the global NumPy generator, which its own evaluation also draws
    from; a private state makes the batch order depend on the seed alone, so a resumed
    run sees exactly the batches an uninterrupted one would.
    """
    from mlx_lm.tuner.trainer import iterate_batches

    def iterate(
        dataset: Any,
        batch_size: int,
        max_seq_length: int,
        loop: bool = False,
        seed: Any = None,
        comm_group: Any = None,
    ) -> Iterator[Any]:
        outer = np.random.get_state()
        np.random.seed(seed_value)
        mine = np.random.get_state()
        np.random.set_state(outer)
        gen = iterate_batches(dataset, batch_size, max_seq_length, loop=loop)
        n = 0
        while True:
            outer = np.random.get_state()
            np.random.set_state(mine)
            try:
                item = next(gen)
            except StopIteration:
                return
            finally:
                mine = np.random.get_state()
                np.random.set_state(outer)
            n += 1
            if n > skip:
                iterate.input_tokens += int(item[1][:, 1].sum().item())  # type: ignore[attr-defined]
                yield item

    seed_value = seed
    iterate.input_tokens = 0  # type: ignore[attr-defined]  # real (unpadded) tokens yielded
    return iterate
