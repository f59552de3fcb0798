"""`pii baseline ...`: tune the few-shot prompted baseline, fit the cheap baselines.

`tune` searches prompt settings for the few-shot baseline; `fit` (re)builds the JSON
artifact of `rules`, `tfidf` or `presidio` under bench/baselines/. Both choose on the
validation split, never on test."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from pii.cli.base import DEFAULT_MODEL, ModelOption, err, handle_errors, out, sub_app
from pii.errors import ConfigError

app = sub_app(
    "Tune the few-shot baseline, fit the cheap ones (on the validation split, never on test)."
)
FIT_KINDS = ("rules", "tfidf", "presidio", "probe")


def _ints(value: str) -> list[int]:
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(
            f"--ks '{value}': give comma-separated integers, e.g. 0,2,4,8,16"
        ) from None


@app.command()
@handle_errors
def tune(
    model: ModelOption = DEFAULT_MODEL,
    train: Annotated[Path, typer.Option(help="Exemplar pool (golden schema).")] = Path(
        "golden/train.jsonl"
    ),
    valid: Annotated[Path, typer.Option(help="Validation split (golden schema).")] = Path(
        "golden/valid.jsonl"
    ),
    output: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Where to write the config (default bench/baselines/MODEL.json)."
        ),
    ] = None,
    ks: Annotated[str, typer.Option(help="Exemplar counts to try (even).")] = "0,2,4,8,16",
    limit: Annotated[
        int | None,
        typer.Option(
            min=10, help="Tune on a seeded, label-stratified sample of this many validation items."
        ),
    ] = None,
    nearest_limit: Annotated[
        int, typer.Option(min=0, help="Items for the nearest-neighbour comparison (0 skips it).")
    ] = 120,
    gen_limit: Annotated[
        int, typer.Option(min=0, help="Items for the generation-mode format-failure measurement.")
    ] = 100,
    seed: Annotated[int, typer.Option(help="Seed for exemplars and samples.")] = 13,
) -> None:
    """Search prompt settings on the validation split and save the best as JSON.

    Tries instruction variants, k exemplars, balanced vs nearest-neighbour exemplars, contextual calibration and the decision threshold.
    """
    from pii.classifiers.fewshot import default_config_path
    from pii.cli.base import progress_bar
    from pii.paths import project_path
    from pii.training.tune import tune_files

    target = output or default_config_path(model)
    with ExitStack() as stack:

        def progress(label: str, total: int):
            stack.close()
            return stack.enter_context(progress_bar(total, label))

        cfg = tune_files(
            model,
            project_path(train),
            project_path(valid),
            target,
            limit=limit,
            ks=_ints(ks),
            nearest_limit=nearest_limit,
            gen_limit=gen_limit,
            seed=seed,
            log=lambda s: err.print(s, highlight=False, markup=False),
            progress=progress,
        )
    m = cfg.tuned_on["valid_metrics"]
    out.print(
        f"best: instruction={cfg.instruction} k={cfg.k} selection={cfg.selection} "
        f"calibrate={cfg.calibrate} threshold={cfg.threshold:.3f}"
    )
    out.print(
        f"valid (n={m['n']}): F1 {m['f1']:.3f}  precision {m['precision']:.3f}  "
        f"recall {m['recall']:.3f}  F2 {m['f2']:.3f}"
    )
    g = cfg.tuned_on["generation"]
    out.print(f"generation mode: {g['format_failures']}/{g['n']} format failures")
    out.print(f"saved {target}")


@app.command()
@handle_errors
def fit(
    kind: Annotated[str, typer.Option(help="What to fit: rules, tfidf, presidio or probe.")],
    train: Annotated[Path, typer.Option(help="Training split (tfidf and probe).")] = Path(
        "golden/train.jsonl"
    ),
    valid: Annotated[
        Path, typer.Option(help="Validation split: the threshold is chosen here.")
    ] = Path("golden/valid.jsonl"),
    output: Annotated[
        Path | None,
        typer.Option("--out", help="Artifact to write (default bench/baselines/KIND.json)."),
    ] = None,
    model: Annotated[str, typer.Option(help="Base model (probe only).")] = "smollm2-135m",
) -> None:
    """Fit a cheap baseline and save it as a plain JSON artifact.

    rules: the threshold on the highest recognizer score (pii/rules.yaml). tfidf: character n-gram TF-IDF + logistic regression trained on --train, threshold on --valid. presidio: the threshold on Presidio's highest PII entity score (needs the presidio extra). probe: logistic regression on the frozen base model's final hidden state (last token or mean, chosen on --valid), trained on --train.
    """
    from pii.classifiers import artifact
    from pii.cli.base import progress_bar
    from pii.paths import project_path

    if kind not in FIT_KINDS:
        raise ConfigError(f"--kind '{kind}': use one of {', '.join(FIT_KINDS)}")
    target = output or artifact.default_path(kind)
    train, valid = project_path(train), project_path(valid)
    with ExitStack() as stack:

        def progress(label: str, total: int):
            stack.close()
            return stack.enter_context(progress_bar(total, f"{kind}: {label}"))

        if kind == "rules":
            from pii.classifiers.rules import fit as fit_kind

            data = fit_kind(valid, target, progress=progress)
        elif kind == "tfidf":
            from pii.classifiers.tfidf import fit as fit_tfidf

            data = fit_tfidf(train, valid, target, progress=progress)
        elif kind == "probe":
            from pii.training.probe import fit as fit_probe

            say = lambda s: err.print(s, highlight=False, markup=False)  # noqa: E731
            data = fit_probe(train, valid, target, model=model, log=say)
        else:
            from pii.classifiers.presidio import fit as fit_kind

            data = fit_kind(valid, target, progress=progress)
    m = data["valid_metrics"]
    auroc = "n/a" if m["auroc"] is None else f"{m['auroc']:.3f}"
    out.print(
        f"{kind}: threshold {data['threshold']:.3f}; valid (n={m['n']}): F1 {m['f1']:.3f}  "
        f"precision {m['precision']:.3f}  recall {m['recall']:.3f}  AUROC {auroc}",
        highlight=False,
    )
    size = target.stat().st_size if target.exists() else data.get("bytes", 0)
    out.print(
        f"saved {target} ({size / 1e3:.0f} kB) in {data['fit_seconds']:.1f} s",
        highlight=False,
    )


@app.command()
@handle_errors
def windows(
    classifier: Annotated[
        str, typer.Option(help="The artifact to update: fewshot, adapter or probe.")
    ] = "adapter",
    model: ModelOption = DEFAULT_MODEL,
    config: Annotated[
        Path | None,
        typer.Option(
            help="Few-shot config or probe artifact (default: the one in bench/baselines/)."
        ),
    ] = None,
    adapter: Annotated[
        Path | None, typer.Option(help="Adapter directory (default: the shipped one).")
    ] = None,
    valid: Annotated[Path, typer.Option(help="Validation split (golden schema).")] = Path(
        "golden/valid.jsonl"
    ),
) -> None:
    """Choose how an existing LLM classifier reads long texts, on the validation split.

    Scores every validation text through windows and records in the artifact the aggregate (max or noisy-OR of the windows' P(PII)) and the threshold that score best there. For artifacts made before texts were read as windows; training, tuning and fitting choose both themselves.
    """
    from pii.cli.base import progress_bar
    from pii.golden.schema import read_records
    from pii.paths import project_path
    from pii.training.window_choice import rechoose

    valid = project_path(valid)
    n = len(read_records(valid))
    with progress_bar(n, f"{classifier}: validation texts") as advance:
        record = rechoose(
            classifier,
            valid,
            model=model,
            config=config,
            adapter=adapter,
            log=lambda s: err.print(s, highlight=False, markup=False),
            progress=advance,
        )
    m = record["valid_metrics"]
    table = ", ".join(
        f"{k}: F1 {v['f']:.3f} AUROC {v['auroc']:.3f}" for k, v in record["by_aggregate"].items()
    )
    out.print(f"valid (n={record['valid_n']}, {record['windows']} windows): {table}")
    out.print(
        f"chose {record['aggregate']}, threshold {record['threshold']:.3f}: F1 {m['f1']:.3f} "
        f"precision {m['precision']:.3f} recall {m['recall']:.3f}"
    )
    out.print(f"saved {record['artifact']}")
