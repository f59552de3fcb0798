"""`pii train`: a LoRA adapter for PII classification, on mlx-lm's LoRA layers.

Two paths train the same adapter (same layers, loss, optimizer, schedule and file format):
- fast (default, llama-style models): the frozen blocks' output is computed once and cached
  (pii.training.features); each step runs only the adapted blocks (pii.training.fast);
- plain (`fast: false`, or another architecture): mlx-lm's own trainer (`train`), given
  three collaborators as its API intends: the loss (cross-entropy on the answer token only,
  from the hidden state at the last prompt position), `iterate_batches` (mlx-lm's, on a
  private seeded NumPy generator, able to skip the batches a resumed run has seen) and a
  `training_callback`.
Both report to `ValidationCallback`: every `steps_per_eval` steps, validation loss and
validation F1/F2/AUROC (threshold chosen on valid), best-checkpoint keeping, early stopping,
and a resumable checkpoint (adapter, optimizer state, history). `epochs` sets the number of
steps from the pool's size.

Left out: the prompt (pii.classifiers.prompts: the same user turn, no exemplars) and scoring
(pii.classifiers.fewshot's label scorer runs the adapted model).
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import mlx.core as mx
import numpy as np
from mlx.utils import tree_flatten

from pii import publish
from pii.engine import adapters, models
from pii.errors import ConfigError, DataError
from pii.golden import held_out
from pii.hashing import sha256_file
from pii.metrics import stats
from pii.provenance import now, versions
from pii.training import checkpoint, fast, features
from pii.training.batches import answer_loss, examples, label_scorer, private_batches
from pii.training.checkpoint import RunState
from pii.training.recipe import TrainConfig


def window_scores(scorer: Any, texts: list[str]) -> tuple[np.ndarray, list[int]]:
    """The scorer's log-odds per window of `texts`, and the windows per text."""
    scorer.logits(texts)
    return scorer.window_logits, scorer.windows


def run(
    cfg: TrainConfig,
    out: Path,
    train_path: Path,
    valid_path: Path,
    *,
    resume: bool = False,
    force: bool = False,
    log: Callable[[str], None] = print,
    stop_if: Callable[[list[dict[str, Any]]], str | None] | None = None,
) -> dict[str, Any]:
    """Train (or resume) an adapter into `out`; returns training.json's content. The run
    works in `checkpoint.workdir(out)` and its finished adapter replaces `out` as a unit.
    `force` starts over where `out` holds an adapter (it stays whole until the new one lands)
    or a stopped run (cleared once every input is checked), and refuses an `out` holding
    anything else. `stop_if`
    (a sweep's pruning rule) sees the validation history after each evaluation and stops the
    run when it gives a reason."""
    from pii.golden.schema import read_records

    out = Path(out)
    state = RunState()
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: is a file; --out names the adapter folder to write")
    if resume and force:
        raise ConfigError("--resume continues a run and --force starts over: use one of them")
    if force:
        foreign = checkpoint.foreign_entries(out)
        if foreign:
            raise ConfigError(
                f"{out}: --force removes only an adapter pii wrote, and this folder holds "
                f"{len(foreign)} other file(s) or folder(s); choose another --out"
            )
    work = checkpoint.workdir(out)  # the run's checkpoint and best weights until it finishes
    checkpoint.recover(work)
    resumable, finished = checkpoint.resumable(work), (out / "training.json").exists()
    if work == out:  # a run started before working folders: everything is in --out
        partial = not resumable and not finished and checkpoint.has_run_files(out)
    else:
        partial = not resumable and checkpoint.has_run_files(work)
    if resume:
        if not resumable:
            why = (
                "the run finished (training.json is there)"
                if finished
                else "the run was stopped before it saved a checkpoint; start over with --force"
                if partial
                else "no checkpoint/state.json; start without --resume"
            )
            raise ConfigError(f"{out}: nothing to resume: {why}")
        saved = checkpoint.read_state(work)
        now_cfg = asdict(cfg)
        if saved["config"] != now_cfg:
            keys = set(saved["config"]) | set(now_cfg)
            diff = sorted(k for k in keys if saved["config"].get(k) != now_cfg.get(k))
            raise ConfigError(
                f"{out}: --resume needs the same config as the interrupted run; differs in {diff}"
            )
        data = {"train_sha256": sha256_file(train_path), "valid_sha256": sha256_file(valid_path)}
        changed = [k for k, v in data.items() if saved.get("data", {}).get(k) != v]
        if changed:
            raise ConfigError(
                f"{out}: the training or validation file changed since the checkpoint "
                f"({', '.join(changed)} differ); start over with --force"
            )
        try:
            state = RunState(**saved["state"])
        except TypeError:
            raise ConfigError(
                f"{out}: checkpoint/state.json holds another run state; start over with --force"
            ) from None
    elif not force and (finished or resumable):
        raise ConfigError(
            f"{out}: already holds an adapter or a checkpoint; use --resume to continue, or --force to start over"
        )
    elif not force and partial:
        raise ConfigError(
            f"{out}: holds the files of a run stopped before its first checkpoint; "
            "use --force to start over"
        )

    for path in (train_path, valid_path):
        held_out.refuse(path, "training")
    train_records = read_records(train_path)
    valid_records = read_records(valid_path)
    if cfg.train_size is not None:
        if cfg.train_size > len(train_records):
            raise DataError(
                f"--train-size {cfg.train_size} exceeds the {len(train_records)} records in {train_path}"
            )
        train_records = random.Random(cfg.seed).sample(train_records, cfg.train_size)
    from pii.golden.sample import subset

    score_records = subset(valid_records, cfg.val_limit, cfg.seed)
    depth = models.depth(cfg.model)  # from the model's config: no weights loaded yet
    if cfg.num_layers > depth:
        raise ConfigError(
            f"num_layers={cfg.num_layers}: {cfg.model} has {depth} blocks; use at most {depth}"
        )
    if force:  # every input has been read and checked: only now clear the old run's work;
        checkpoint.remove_run(work)  # a finished adapter in --out stays until the new one lands

    # the heavy imports come after the checks, so a bad input fails in about a second
    from mlx_lm.tuner.trainer import TrainingArgs, evaluate
    from mlx_lm.tuner.trainer import train as mlx_train
    from mlx_lm.tuner.utils import build_schedule, linear_to_lora_layers

    from pii.engine.mlx_engine import load_engine
    from pii.training.callback import StopTraining, ValidationCallback

    mx.random.seed(cfg.seed)
    engine = load_engine(cfg.model, precision=cfg.precision)
    model = engine.model
    model.freeze()
    lora = {"rank": cfg.rank, "scale": cfg.scale, "dropout": cfg.dropout}
    linear_to_lora_layers(model, cfg.num_layers, lora)
    n_trainable = sum(v.size for _, v in tree_flatten(model.trainable_parameters()))
    train_set, _ = examples(engine, train_records, cfg)
    val_set, val_owner = examples(engine, valid_records, cfg, every_window=True)
    total = (
        cfg.iters
        if cfg.epochs is None
        else fast.total_steps(len(train_set), cfg.batch_size, cfg.epochs)
    )
    lr = cfg.learning_rate
    if cfg.lr_schedule == "cosine":
        lr = build_schedule(
            {
                "name": "cosine_decay",
                "warmup": cfg.warmup,
                "arguments": [cfg.learning_rate, total, cfg.learning_rate * 0.1],
            }
        )
    import mlx.optimizers as optim

    optimizer = optim.Adam(learning_rate=lr)
    if resume:
        model.load_weights(str(work / "checkpoint" / "adapters.safetensors"), strict=False)
        checkpoint.restore_optimizer(
            optimizer, model, work / "checkpoint" / "optimizer.safetensors"
        )
        log(f"resuming at step {state.step} of {total}")

    work.mkdir(parents=True, exist_ok=True)
    adapters.write_config(
        work,
        num_layers=cfg.num_layers,
        lora=lora,
        model=cfg.model,
        prompt={
            "instruction": cfg.instruction,
            "max_text_tokens": cfg.max_tokens,
            "window_overlap": cfg.window_overlap,
        },
    )
    scorer = label_scorer(engine, cfg)
    y_valid = np.array([r["has_pii"] for r in score_records])
    t_start = time.perf_counter()
    use_fast = cfg.fast and fast.available(model)
    path = "fast (cached frozen blocks)" if use_fast else "plain (mlx-lm trainer)"
    log(f"training: {total} steps of {cfg.batch_size} ({len(train_set):,} examples), {path}")
    start = state.step
    common = {
        "cfg": cfg,
        "out": work,
        "model": model,
        "optimizer": optimizer,
        "state": state,
        "start": start,
        "clear_cache": engine.clear_cache,
        "y_valid": y_valid,
        "log": log,
        "total": total,
        "stop_if": stop_if,
        "data": {"train_sha256": sha256_file(train_path), "valid_sha256": sha256_file(valid_path)},
    }
    stopped_early, features_seconds = False, 0.0
    if use_fast:
        cut = depth - cfg.num_layers
        model_hash = adapters.model_hash(engine.model_dir)
        build = {"model_hash": model_hash, "precision": cfg.precision, "log": log}
        t_features = time.perf_counter()
        train_f = features.load_or_build(model, train_set, cut, what="training texts", **build)
        valid_f = features.load_or_build(model, val_set, cut, what="validation texts", **build)
        features_seconds = time.perf_counter() - t_features
        mx.reset_peak_memory()  # the peak reported is training's, not the feature build's
        position = {id(r): i for i, r in enumerate(valid_records)}
        by_record: dict[int, list[int]] = {}
        for w, i in enumerate(val_owner):
            by_record.setdefault(i, []).append(w)
        score_idx = [w for r in score_records for w in by_record[position[id(r)]]]
        score_counts = [len(by_record[position[id(r)]]) for r in score_records]
        rows = scorer._rows
        counter = fast.TokenCounter()
        cb = ValidationCallback(
            **common,
            batches=counter,
            val_loss=lambda: fast.validation_loss(
                model, valid_f, cut, cfg.batch_size, cfg.val_batches, cfg.seed + 1
            ),
            val_scores=lambda: (
                fast.label_log_odds(model, valid_f, cut, score_idx, rows, len(scorer._yes)),
                score_counts,
            ),
        )
        if total > start:
            model.train()
            try:
                fast.train(
                    model,
                    optimizer,
                    train_f,
                    cut,
                    batch_size=cfg.batch_size,
                    seed=cfg.seed,
                    start=start,
                    total=total,
                    report_every=cfg.steps_per_eval,
                    counter=counter,
                    callback=cb,
                    log=log,
                )
            except StopTraining:
                stopped_early = True
                log(f"early stop: no validation gain in {cfg.patience} evaluations")
    else:
        batches = private_batches(cfg.seed, skip=state.step)
        cb = ValidationCallback(
            **common,
            batches=batches,
            val_loss=lambda: evaluate(
                model,
                val_set,
                cfg.batch_size,
                cfg.val_batches,
                loss=answer_loss,
                iterate_batches=private_batches(cfg.seed + 1),
            ),
            val_scores=lambda: window_scores(scorer, [r["text"] for r in score_records]),
        )
        remaining = total - state.step
        if remaining > 0:
            args = TrainingArgs(
                batch_size=cfg.batch_size,
                iters=remaining,
                steps_per_report=cfg.steps_per_eval,
                steps_per_eval=10**9,
                steps_per_save=10**9,
                max_seq_length=4096,
                adapter_file=str(work / "checkpoint" / "last.safetensors"),
                grad_checkpoint=cfg.grad_checkpoint,
            )
            (work / "checkpoint").mkdir(exist_ok=True)
            model.train()
            try:
                mlx_train(
                    model,
                    optimizer,
                    train_set,
                    None,
                    args=args,
                    loss=answer_loss,
                    iterate_batches=batches,
                    training_callback=cb,
                )
            except StopTraining:
                stopped_early = True
                log(f"early stop: no validation gain in {cfg.patience} evaluations")
    if state.best_scores:  # 95% bootstrap intervals of the kept checkpoint's validation scores
        p = np.array(state.best_scores)
        ci = stats.bootstrap(y_valid, p >= state.best["threshold"], p)
        state.best |= {
            "val_n": len(y_valid),
            "val_ci95": {k: [round(v, 4) for v in ci[k]] for k in ("f1", "auroc") if k in ci},
        }
    info = {
        "base_model": cfg.model,
        "base_model_sha256": adapters.model_hash(engine.model_dir),
        "train_file": str(train_path),
        "train_sha256": sha256_file(train_path),
        "valid_file": str(valid_path),
        "valid_sha256": sha256_file(valid_path),
        "n_train_records": len(train_records),
        "n_train_examples": len(train_set),  # windows with a label
        "n_valid_scored": len(score_records),
        "trainable_parameters": n_trainable,
        "config": asdict(cfg),
        "threshold": state.best.get("threshold", 0.5),
        "aggregate": state.best.get("aggregate", "max"),  # windows -> text, chosen on valid
        "best": state.best,
        "history": state.history,
        "stopped_early": stopped_early,
        "pruned": state.pruned,
        "train_seconds": round(state.train_seconds, 1),
        "features_seconds": round(features_seconds, 1),
        "wall_seconds_this_run": round(time.perf_counter() - t_start, 1),
        "trained_tokens": state.trained_tokens,
        "input_tokens": state.input_tokens,
        "input_tokens_per_s": round(state.input_tokens / state.train_seconds, 1)
        if state.train_seconds
        else None,
        "training_path": "fast" if use_fast else "plain",
        "steps": total,
        "epochs_seen": round(state.step * cfg.batch_size / len(train_set), 3),
        "examples_per_s": round(state.step * cfg.batch_size / state.train_seconds, 3)
        if state.train_seconds
        else None,
        "peak_memory_gb": round(state.peak_memory_gb, 3),
        "versions": versions(("pii", "mlx", "mlx-lm")),
        "date": now(),
    }
    adapters.write_training(work, info)
    shutil.rmtree(work / "checkpoint", ignore_errors=True)
    if work != out:  # the finished adapter replaces --out's as a unit, then the work goes
        publish.replace_dir(out, lambda d: shutil.copytree(work, d))
        shutil.rmtree(work, ignore_errors=True)
    return info
