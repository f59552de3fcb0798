"""`pii study learning-curve`: adapters trained on growing N, against the prompted baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pii.cli.base import err, handle_errors, out, sub_app

app = sub_app("Studies that take hours: the learning curve, the LoRA recipe sweep.")


@app.command("learning-curve")
@handle_errors
def learning_curve(
    config: Annotated[
        Path,
        typer.Option(help="Training recipe, the same for every N (default: the shipped one's)."),
    ] = Path("adapters/recipes/shipped-smollm2-135m.yaml"),
    sizes: Annotated[
        str, typer.Option(help="Comma-separated training-set sizes; 'all' is the whole pool.")
    ] = "50,100,250,500,1000,all",
    seeds: Annotated[
        str,
        typer.Option(help="Comma-separated seeds for every N up to 500 (larger N: the recipe's)."),
    ] = "13,14,15",
    output: Annotated[
        Path, typer.Option("--out", help="Working directory: adapters and study.json (resumable).")
    ] = Path("runs/learning-curve-smollm2-135m"),
    publish: Annotated[
        Path | None,
        typer.Option(
            help="Once every point has run, write study.json, the README and the plot here "
            "(e.g. bench/results/learning-curve-smollm2-135m), replacing what was there."
        ),
    ] = None,
    all_from: Annotated[
        Path | None,
        typer.Option(
            help="Adapter already trained on the whole pool with this recipe (N=all is then "
            "not trained again), e.g. adapters/smollm2-135m."
        ),
    ] = None,
    val_limit: Annotated[
        int,
        typer.Option(
            min=0,
            help="Validation texts (a seeded stratified sample) each run is evaluated on while "
            "it trains: checkpoint, early stopping and threshold; 0 for all of them. "
            "Every kept adapter is then scored on all validation and test texts.",
        ),
    ] = 200,
    baseline_config: Annotated[
        Path | None,
        typer.Option("--baseline", help="Few-shot config (default: the tuned one for the model)."),
    ] = None,
    train_file: Annotated[Path, typer.Option("--train")] = Path("golden/train.jsonl"),
    valid_file: Annotated[Path, typer.Option("--valid")] = Path("golden/valid.jsonl"),
    test_file: Annotated[Path, typer.Option("--test")] = Path("golden/test.jsonl"),
) -> None:
    """Train one adapter per N and seed (same recipe), score each on valid and test, plot F1 against N.

    Answers: where does the adapter overtake prompting, and does the 500-example rule of thumb hold? Each finished point is saved at once: run the same command again to continue.
    """
    from pii.classifiers.fewshot import load_fewshot
    from pii.jsonl import write_atomic
    from pii.paths import project_path
    from pii.render.learning_curve import markdown, plot
    from pii.study import learning_curve as study
    from pii.training.recipe import TrainConfig

    recipe = TrainConfig.from_file(project_path(config))
    if publish is not None:
        from pii.publish import check_writable

        check_writable(publish, "folder to publish the study in")
    splits = {
        "train": project_path(train_file),
        "valid": project_path(valid_file),
        "test": project_path(test_file),
    }
    result = study.run(
        recipe,
        output,
        splits,
        lambda: load_fewshot(recipe.model, baseline_config),
        sizes=study.parse_sizes(sizes),
        seeds=study.parse_seeds(seeds),
        all_from=project_path(all_from) if all_from else None,
        val_limit=val_limit or None,
        log=lambda s: err.print(s, highlight=False, markup=False),
    )
    plot(result, output / "learning_curve.png")
    text = markdown(result)
    write_atomic(output / "README.md", text + "\n")
    if publish is not None:  # run() returned: every planned point is done
        from pii.publish import publish as publish_set

        publish_set(
            publish,
            {
                name: (output / name).read_bytes()
                for name in ("study.json", "README.md", "learning_curve.png")
            },
        )
    out.print(text, highlight=False, markup=False)


@app.command("sweep")
@handle_errors
def sweep(
    sweep_file: Annotated[
        Path,
        typer.Argument(help="Sweep file (YAML), e.g. adapters/recipes/sweep-smollm2-135m.yaml."),
    ],
    output: Annotated[
        Path,
        typer.Option("--out", help="One adapter per configuration, and sweep.json (resumable)."),
    ] = Path("adapters/sweep-smollm2-135m"),
    train_file: Annotated[Path, typer.Option("--train")] = Path("golden/train.jsonl"),
    valid_file: Annotated[Path, typer.Option("--valid")] = Path("golden/valid.jsonl"),
    publish: Annotated[
        Path | None,
        typer.Option(
            help="Once every configuration has run, write the table, JSON and plot here "
            "(e.g. bench/results/sweep-smollm2-135m)."
        ),
    ] = None,
) -> None:
    """Train every configuration of a LoRA recipe sweep and pick the best on validation F1.

    Every configuration is checked before any training; finished ones are read back and an interrupted one resumes, so run the same command again to continue. Test and OOD data are never read.
    """
    from pii.engine import models
    from pii.jsonl import write_atomic
    from pii.paths import project_path
    from pii.render import sweep as render
    from pii.study import sweep as study

    plan = study.read(project_path(sweep_file), depth=models.depth)
    summary = study.run(
        plan,
        output,
        project_path(train_file),
        project_path(valid_file),
        log=lambda s: err.print(s, highlight=False, markup=False),
    )
    text = render.markdown(summary)
    write_atomic(output / "README.md", text + "\n")
    render.plot(summary, output / "sweep.png")
    if publish is not None:
        if not summary["complete"]:
            err.print(
                f"not published: {summary['finished']} of {summary['configs']} configurations ran"
            )
        else:
            from pii.publish import publish as publish_set

            publish_set(
                publish,
                {
                    "sweep.json": (output / "sweep.json").read_bytes(),
                    "README.md": (text + "\n").encode(),
                    "sweep.png": (output / "sweep.png").read_bytes(),
                },
            )
    out.print(text, highlight=False, markup=False)
