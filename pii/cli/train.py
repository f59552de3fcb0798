"""`pii train`: train a LoRA adapter on the golden training pool."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pii.cli.base import err, handle_errors, out


@handle_errors
def train(
    output: Annotated[
        Path,
        typer.Option("--out", help="Adapter directory to write (mlx-lm layout + training.json)."),
    ],
    config: Annotated[
        Path | None,
        typer.Option(help="Recipe (YAML or TOML), e.g. adapters/recipes/cpu-smollm2-135m.yaml."),
    ] = None,
    model: Annotated[str | None, typer.Option(help="Base model (overrides the recipe).")] = None,
    train_file: Annotated[
        Path, typer.Option("--train", help="Training pool (golden schema).")
    ] = Path("golden/train.jsonl"),
    valid_file: Annotated[
        Path, typer.Option("--valid", help="Validation split for F1 and checkpoint choice.")
    ] = Path("golden/valid.jsonl"),
    rank: Annotated[int | None, typer.Option(help="LoRA rank.")] = None,
    scale: Annotated[float | None, typer.Option(help="LoRA scale.")] = None,
    dropout: Annotated[float | None, typer.Option(help="LoRA dropout.")] = None,
    num_layers: Annotated[int | None, typer.Option(help="LoRA on the last N blocks.")] = None,
    learning_rate: Annotated[float | None, typer.Option(help="Peak learning rate.")] = None,
    lr_schedule: Annotated[str | None, typer.Option(help="cosine or constant.")] = None,
    iters: Annotated[
        int | None, typer.Option(help="Training steps (ignored with --epochs).")
    ] = None,
    epochs: Annotated[
        float | None, typer.Option(help="Passes over the pool (sets the steps).")
    ] = None,
    fast: Annotated[
        bool | None,
        typer.Option(
            "--fast/--plain",
            help="Fast: frozen blocks' output cached, adapted blocks only. Plain: mlx-lm's trainer.",
        ),
    ] = None,
    batch_size: Annotated[int | None, typer.Option(help="Examples per step.")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Token budget per text.")] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed (LoRA init, batch order, subsample).")
    ] = None,
    train_size: Annotated[
        int | None, typer.Option(help="Seeded subsample of N training examples.")
    ] = None,
    steps_per_eval: Annotated[
        int | None, typer.Option(help="Steps between validation checks.")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run in --out.")] = False,
    force: Annotated[
        bool,
        typer.Option(
            help="Start over in an --out holding an adapter (removed after all checks pass)."
        ),
    ] = False,
) -> None:
    """Train a LoRA adapter with mlx-lm; keep the checkpoint with the best validation F-score.

    Validation loss and F1/F2 every --steps-per-eval steps, early stopping, and a checkpoint that --resume continues from after Ctrl-C or a crash.
    """
    from pii.paths import project_path
    from pii.training.loop import run
    from pii.training.recipe import TrainConfig

    overrides = {
        "model": model,
        "rank": rank,
        "scale": scale,
        "dropout": dropout,
        "num_layers": num_layers,
        "learning_rate": learning_rate,
        "lr_schedule": lr_schedule,
        "iters": iters,
        "epochs": epochs,
        "fast": fast,
        "batch_size": batch_size,
        "max_tokens": max_tokens,
        "seed": seed,
        "train_size": train_size,
        "steps_per_eval": steps_per_eval,
    }
    cfg = TrainConfig.from_file(project_path(config) if config else None, overrides)
    try:
        info = run(
            cfg,
            output,
            project_path(train_file),
            project_path(valid_file),
            resume=resume,
            force=force,
            log=lambda s: err.print(s, highlight=False, markup=False),
        )
    except KeyboardInterrupt:
        err.print(f"interrupted: continue with `pii train --out {output} --resume` (same options)")
        raise typer.Exit(130) from None
    best = info["best"]
    out.print(
        f"best step {best.get('step')}: val F1 {best.get('val_f1', 0):.3f}, F2 {best.get('val_f2', 0):.3f}, "
        f"threshold {info['threshold']:.3f}"
    )
    out.print(
        f"{info['n_train_examples']} examples, {info['train_seconds']:.0f}s training, "
        f"{info['input_tokens_per_s'] or 0:.0f} input tokens/s, peak memory {info['peak_memory_gb']:.2f} GB"
    )
    out.print(f"adapter: {output}")
