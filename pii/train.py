"""`pii train`: a LoRA adapter for PII classification, trained with mlx-lm's own tuner.

mlx-lm provides the LoRA layers (`linear_to_lora_layers`), the optimizer schedule
(`build_schedule`), the batching (`iterate_batches`) and the training loop (`train`); this
module passes it three collaborators, as its API intends:
- `loss`: cross-entropy on the answer token only (the yes/no token the classifier scores),
  computed from the hidden state at the last prompt position;
- `iterate_batches`: mlx-lm's, driven by a private seeded NumPy generator and able to skip
  the batches a resumed run has already seen;
- `training_callback`: every `steps_per_eval` steps, validation loss and validation F1/F2
  (threshold chosen on valid), best-checkpoint keeping, early stopping, and a resumable
  checkpoint (adapter, optimizer state, history).

Left out: the prompt (pii.prompts: the same user turn, no exemplars) and scoring
(pii.fewshot's label scorer runs the adapted model).
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mlx.core as mx
import mlx.nn as nn
import numpy as np

from pii import adapters, metrics, prompts
from pii.errors import ConfigError, DataError
from pii.jsonl import write_atomic


@dataclass
class TrainConfig:
    """A training recipe. Files (YAML or TOML) set these keys; CLI options override them."""

    model: str = "smollm2-135m"
    rank: int = 8
    scale: float = 20.0
    dropout: float = 0.0
    num_layers: int = 8  # LoRA on the last N transformer blocks
    learning_rate: float = 2e-4
    lr_schedule: str = "cosine"  # cosine (with warmup) or constant
    warmup: int = 10
    iters: int = 200
    batch_size: int = 8
    max_tokens: int = 192  # text budget; the prompt adds ~40 tokens
    seed: int = 13
    train_size: int | None = None  # seeded subsample of the training pool (learning curves)
    steps_per_eval: int = 25
    val_limit: int | None = 160  # validation items scored for F1 at each evaluation
    val_batches: int = 10  # validation-loss batches at each evaluation
    patience: int = 4  # evaluations without improvement before stopping
    select_beta: float = 1.0  # F-beta that picks the best checkpoint (2 = recall-weighted)
    instruction: str = "short"
    precision: str = "auto"
    grad_checkpoint: bool = False
    notes: str = ""  # free text: expected time and memory of the recipe

    @classmethod
    def from_file(cls, path: Path | None, overrides: dict[str, Any] | None = None) -> TrainConfig:
        data: dict[str, Any] = {}
        if path is not None:
            data = _read_config(Path(path))
        data.update({k: v for k, v in (overrides or {}).items() if v is not None})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"{path or 'options'}: unknown keys {unknown}; known: {sorted(known)}"
            )
        cfg = cls(**data)
        cfg.validate(str(path or "options"))
        return cfg

    def validate(self, where: str) -> None:
        positive = (
            "rank",
            "num_layers",
            "iters",
            "batch_size",
            "max_tokens",
            "steps_per_eval",
            "patience",
        )
        for name in positive:
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ConfigError(
                    f"{where}: {name}={getattr(self, name)!r}: use a positive integer"
                )
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"{where}: dropout={self.dropout}: use a value in [0, 1)")
        if self.learning_rate <= 0:
            raise ConfigError(f"{where}: learning_rate={self.learning_rate}: use a positive number")
        if self.lr_schedule not in ("cosine", "constant"):
            raise ConfigError(f"{where}: lr_schedule '{self.lr_schedule}': use cosine or constant")
        if self.instruction not in prompts.INSTRUCTIONS:
            raise ConfigError(
                f"{where}: instruction '{self.instruction}': use one of {', '.join(prompts.INSTRUCTIONS)}"
            )
        if self.train_size is not None and self.train_size < self.batch_size:
            raise ConfigError(
                f"{where}: train_size={self.train_size} is below batch_size={self.batch_size}"
            )


def _read_config(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    try:
        if path.suffix == ".toml":
            return tomllib.loads(path.read_text(encoding="utf-8"))
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: invalid config ({e})") from None
    except Exception as e:  # yaml.YAMLError carries the line in its message
        raise ConfigError(f"{path}: invalid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values")
    return data


# -- data ----------------------------------------------------------------------------------
def label_token_ids(engine: Any) -> tuple[int, int]:
    """The yes and no tokens the adapter learns to emit (the first scored variant of each)."""
    return engine.encode(prompts.LABEL_VARIANTS[prompts.YES][0])[0], engine.encode(
        prompts.LABEL_VARIANTS[prompts.NO][0]
    )[0]


def examples(
    engine: Any, records: list[dict[str, Any]], cfg: TrainConfig
) -> list[tuple[list[int], int]]:
    """(tokens, answer offset) pairs: the classifier's prompt, then the label token."""
    yes, no = label_token_ids(engine)
    out = []
    for r in records:
        text, _ = engine.truncate(r["text"], cfg.max_tokens)
        prompt = engine.encode(engine.render(prompts.messages(cfg.instruction, [], text), True))
        out.append((prompt + [yes if r["has_pii"] else no], len(prompt)))
    return out


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


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class StopTraining(Exception):
    """Raised by the callback to end training early (patience exhausted)."""


# -- the run -------------------------------------------------------------------------------
@dataclass
class RunState:
    step: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, Any] = field(default_factory=dict)
    evals_since_best: int = 0
    train_seconds: float = 0.0
    trained_tokens: int = 0  # loss tokens: one answer token per example
    input_tokens: int = 0  # prompt + answer tokens the model ran on
    peak_memory_gb: float = 0.0


def _save_checkpoint(
    out: Path, model: nn.Module, optimizer: Any, state: RunState, cfg: TrainConfig
) -> None:
    from mlx.utils import tree_flatten

    tmp = out / "checkpoint.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    mx.save_safetensors(
        str(tmp / "adapters.safetensors"), dict(tree_flatten(model.trainable_parameters()))
    )
    mx.save_safetensors(str(tmp / "optimizer.safetensors"), dict(tree_flatten(optimizer.state)))
    (tmp / "state.json").write_text(
        json.dumps({"config": asdict(cfg), "state": asdict(state)}, indent=2)
    )
    final = out / "checkpoint"
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)


def _restore_optimizer(optimizer: Any, model: nn.Module, path: Path) -> None:
    """Put saved optimizer state back into the structure the optimizer builds itself."""
    from mlx.utils import tree_flatten, tree_map_with_path

    optimizer.init(model.trainable_parameters())
    saved = mx.load(str(path))
    expected = {k for k, _ in tree_flatten(optimizer.state)}
    if set(saved) != expected:
        raise ConfigError(
            f"{path}: optimizer state does not match the adapter's parameters; start over with --force"
        )
    optimizer.state = tree_map_with_path(lambda p, x: saved[p], optimizer.state)


def run(
    cfg: TrainConfig,
    out: Path,
    train_path: Path,
    valid_path: Path,
    *,
    resume: bool = False,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train (or resume) an adapter into `out`; returns training.json's content."""
    from mlx.utils import tree_flatten
    from mlx_lm.tuner.callbacks import TrainingCallback
    from mlx_lm.tuner.trainer import TrainingArgs, evaluate
    from mlx_lm.tuner.trainer import train as mlx_train
    from mlx_lm.tuner.utils import build_schedule, linear_to_lora_layers

    from pii.engine import load_engine
    from pii.fewshot import FewShotClassifier, FewShotConfig
    from pii.golden.schema import read_records

    out = Path(out)
    state = RunState()
    if resume:
        ckpt = out / "checkpoint" / "state.json"
        if not ckpt.exists():
            raise ConfigError(
                f"{out}: nothing to resume (no checkpoint/state.json); start without --resume"
            )
        saved = json.loads(ckpt.read_text())
        if saved["config"] != asdict(cfg):
            diff = sorted(k for k in saved["config"] if saved["config"][k] != asdict(cfg).get(k))
            raise ConfigError(
                f"{out}: --resume needs the same config as the interrupted run; differs in {diff}"
            )
        state = RunState(**saved["state"])
    elif (out / "training.json").exists() or (out / "checkpoint").exists():
        raise ConfigError(
            f"{out}: already holds an adapter or a checkpoint; use --resume to continue, or --force to start over"
        )

    train_records = read_records(train_path)
    valid_records = read_records(valid_path)
    if cfg.train_size is not None:
        if cfg.train_size > len(train_records):
            raise DataError(
                f"--train-size {cfg.train_size} exceeds the {len(train_records)} records in {train_path}"
            )
        train_records = random.Random(cfg.seed).sample(train_records, cfg.train_size)
    from pii.baseline import subset

    score_records = subset(valid_records, cfg.val_limit, cfg.seed)

    mx.random.seed(cfg.seed)
    engine = load_engine(cfg.model, precision=cfg.precision)
    model = engine.model
    model.freeze()
    lora = {"rank": cfg.rank, "scale": cfg.scale, "dropout": cfg.dropout}
    linear_to_lora_layers(model, cfg.num_layers, lora)
    n_trainable = sum(v.size for _, v in tree_flatten(model.trainable_parameters()))
    train_set = examples(engine, train_records, cfg)
    val_set = examples(engine, valid_records, cfg)
    lr = cfg.learning_rate
    if cfg.lr_schedule == "cosine":
        lr = build_schedule(
            {
                "name": "cosine_decay",
                "warmup": cfg.warmup,
                "arguments": [cfg.learning_rate, cfg.iters, cfg.learning_rate * 0.1],
            }
        )
    import mlx.optimizers as optim

    optimizer = optim.Adam(learning_rate=lr)
    if resume:
        model.load_weights(str(out / "checkpoint" / "adapters.safetensors"), strict=False)
        _restore_optimizer(optimizer, model, out / "checkpoint" / "optimizer.safetensors")
        log(f"resuming at step {state.step} of {cfg.iters}")

    out.mkdir(parents=True, exist_ok=True)
    adapter_config = {
        "fine_tune_type": "lora",
        "num_layers": cfg.num_layers,
        "lora_parameters": lora,
        "model": cfg.model,
        "pii": {"instruction": cfg.instruction, "max_text_tokens": cfg.max_tokens},
    }
    write_atomic(out / "adapter_config.json", json.dumps(adapter_config, indent=2) + "\n")
    scorer = FewShotClassifier(
        engine,
        FewShotConfig(
            model=cfg.model, k=0, instruction=cfg.instruction, max_text_tokens=cfg.max_tokens
        ),
        batch_size=8,
    )
    y_valid = np.array([r["has_pii"] for r in score_records])
    t_start = time.perf_counter()

    class Callback(TrainingCallback):
        def on_train_loss_report(self, info: dict[str, Any]) -> None:
            step = start + info["iteration"]
            state.trained_tokens += int(info["trained_tokens"] - self.last_tokens)
            self.last_tokens = info["trained_tokens"]
            window_tokens = batches.input_tokens - self.last_input
            state.input_tokens += window_tokens
            self.last_input = batches.input_tokens
            state.peak_memory_gb = max(state.peak_memory_gb, float(info["peak_memory"]))
            if step % cfg.steps_per_eval and step != cfg.iters:
                return
            t0 = time.perf_counter()
            state.train_seconds += t0 - self.t_last
            model.eval()
            val_loss = evaluate(
                model,
                val_set,
                cfg.batch_size,
                cfg.val_batches,
                loss=answer_loss,
                iterate_batches=private_batches(cfg.seed + 1),
            )
            engine.clear_cache()  # the prefix's keys and values change with the weights
            p = scorer.predict_proba([r["text"] for r in score_records])[:, 1]
            thr, f_sel = metrics.best_threshold(y_valid, p, beta=cfg.select_beta)
            m = metrics.summary(y_valid, p >= thr)
            model.train()
            entry = {
                "step": step,
                "train_loss": round(info["train_loss"], 5),
                "val_loss": round(val_loss, 5),
                "val_f1": round(m["f1"], 4),
                "val_f2": round(m["f2"], 4),
                "threshold": thr,
                "input_tokens_per_s": round(window_tokens / max(t0 - self.t_last, 1e-9), 1),
                "eval_seconds": round(time.perf_counter() - t0, 1),
            }
            state.history.append(entry)
            improved = not state.best or f_sel > state.best["f_select"]
            if improved:
                state.best = entry | {"f_select": round(f_sel, 5)}
                state.evals_since_best = 0
                weights = dict(tree_flatten(model.trainable_parameters()))
                mx.save_safetensors(str(out / ".adapters.tmp.safetensors"), weights)
                (out / ".adapters.tmp.safetensors").replace(out / "adapters.safetensors")
            else:
                state.evals_since_best += 1
            state.step = step
            _save_checkpoint(out, model, optimizer, state, cfg)
            self.t_last = time.perf_counter()
            log(
                f"step {step:4d}  train loss {entry['train_loss']:.3f}  val loss {val_loss:.3f}  "
                f"val F1 {m['f1']:.3f}  F2 {m['f2']:.3f}  {entry['input_tokens_per_s']:.0f} input tok/s"
                + (
                    "  [best]"
                    if improved
                    else f"  ({state.evals_since_best}/{cfg.patience} without gain)"
                )
            )
            if state.evals_since_best >= cfg.patience:
                raise StopTraining

    cb = Callback()
    cb.last_tokens, cb.last_input, cb.t_last = 0, 0, time.perf_counter()
    batches = private_batches(cfg.seed, skip=state.step)
    start = state.step
    remaining = cfg.iters - state.step
    stopped_early = False
    if remaining > 0:
        args = TrainingArgs(
            batch_size=cfg.batch_size,
            iters=remaining,
            steps_per_report=cfg.steps_per_eval,
            steps_per_eval=10**9,
            steps_per_save=10**9,
            max_seq_length=4096,
            adapter_file=str(out / "checkpoint" / "last.safetensors"),
            grad_checkpoint=cfg.grad_checkpoint,
        )
        (out / "checkpoint").mkdir(exist_ok=True)
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
    info = {
        "format_version": adapters.FORMAT_VERSION,
        "base_model": cfg.model,
        "base_model_sha256": adapters.model_hash(engine.model_dir),
        "train_file": str(train_path),
        "train_sha256": sha256(train_path),
        "valid_file": str(valid_path),
        "valid_sha256": sha256(valid_path),
        "n_train_examples": len(train_set),
        "n_valid_scored": len(score_records),
        "trainable_parameters": n_trainable,
        "config": asdict(cfg),
        "threshold": state.best.get("threshold", 0.5),
        "best": state.best,
        "history": state.history,
        "stopped_early": stopped_early,
        "train_seconds": round(state.train_seconds, 1),
        "wall_seconds_this_run": round(time.perf_counter() - t_start, 1),
        "trained_tokens": state.trained_tokens,
        "input_tokens": state.input_tokens,
        "input_tokens_per_s": round(state.input_tokens / state.train_seconds, 1)
        if state.train_seconds
        else None,
        "examples_per_s": round(state.step * cfg.batch_size / state.train_seconds, 3)
        if state.train_seconds
        else None,
        "peak_memory_gb": round(state.peak_memory_gb, 3),
        "versions": _versions(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_atomic(out / "training.json", json.dumps(info, indent=2) + "\n")
    shutil.rmtree(out / "checkpoint", ignore_errors=True)
    return info


def _versions() -> dict[str, str | None]:
    import importlib.metadata as md

    result: dict[str, str | None] = {}
    for pkg in ("pii", "mlx", "mlx-lm"):
        try:
            result[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            result[pkg] = None
    return result
