"""`pii export coreml`: the adapted classifier as a CoreML package an app can embed."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from pii.cli.base import EXIT_GATE, err, handle_errors, out, stages, sub_app
from pii.errors import ConfigError

app = sub_app("Export the adapted classifier for on-device use.")


@app.command()
@handle_errors
def coreml(
    adapter: Annotated[Path, typer.Option(help="LoRA adapter directory to fuse in.")] = Path(
        "adapters/smollm2-135m"
    ),
    output: Annotated[
        Path, typer.Option("--out", help="Package to write (tokenizer goes beside it).")
    ] = Path("PiiClassifier.mlpackage"),
    model: Annotated[
        str | None, typer.Option(help="Base model (default: the adapter's own).")
    ] = None,
    precision: Annotated[
        str, typer.Option(help="Weights: fp32, fp16, int8 (per channel) or int4 (per block).")
    ] = "fp16",
    target: Annotated[
        str | None,
        typer.Option(
            help="Oldest OS to run on, e.g. macOS13, iOS17 (default: the oldest that works)."
        ),
    ] = None,
    max_len: Annotated[
        int, typer.Option(min=16, help="Longest input (prompt + text) in tokens.")
    ] = 512,
    verify_n: Annotated[
        int,
        typer.Option(
            min=0, help="Golden validation texts to check the package on (0: skip the check)."
        ),
    ] = 16,
    data: Annotated[Path, typer.Option(help="Golden file the check texts come from.")] = Path(
        "golden/valid.jsonl"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Fuse the adapter into its base model and write a CoreML ML Program.

    Inputs input_ids and attention_mask (int32, right-padded, up to --max-len tokens); outputs pii_probability and label_logits (no, yes). The metadata carries the threshold, labels, prompt template and hashes; the tokenizer is written to NAME.tokenizer/ beside the package. Afterwards the saved program is run on --verify-n golden texts (numpy, op by op; CoreML itself on macOS) and compared with the MLX classifier.
    """
    from pii.export import coreml as lib
    from pii.export import verify as check
    from pii.paths import project_path
    from pii.publish import check_writable

    adapter = project_path(adapter)
    chosen, note = lib.check_target(precision, target)
    if note:
        err.print(f"note: {note}")
    if output.suffix != ".mlpackage":
        raise ConfigError(f"{output}: the output must end in .mlpackage")
    check_writable(output, "package to write (a .mlpackage folder)")
    lib.require_adapter(adapter)
    t0 = time.perf_counter()
    with stages("exporting") as stage:
        result = lib.export(
            adapter,
            output,
            model=model,
            precision=precision,
            target=chosen,
            max_len=max_len,
            stage=stage,
        )
    seconds = time.perf_counter() - t0
    summary = {
        "package": str(result.path),
        "tokenizer": str(result.tokenizer_dir),
        "precision": result.precision,
        "target": result.target,
        "size_mb": round(result.size_mb, 1),
        "threshold": float(result.metadata["threshold"]),
        "seconds": round(seconds, 1),
    }
    if verify_n:
        from pii.classifiers.adapter import load_adapter_classifier
        from pii.golden.schema import read_records

        records = read_records(project_path(data))
        step = max(1, len(records) // verify_n)
        texts = [r["text"] for r in records[::step][:verify_n]]
        reference = load_adapter_classifier(adapter, model, precision="float32")
        if all(len(reference.text_windows(t)) == 1 for t in texts):
            # The check always covers a long text read as windows (the data's longest).
            longest = max((r["text"] for r in records), key=len)
            if len(reference.text_windows(longest)) > 1:
                texts.append(longest)
        with stages(f"checking the package on {len(texts)} texts of {data.name}"):
            summary["check"] = check.verify(result.path, reference, texts)
        summary["check"]["passed"] = check.check_passes(summary["check"], precision)
    from pii import netguard

    summary["network_attempts"] = netguard.attempts
    passed = summary.get("check", {}).get("passed", True)
    if as_json:
        print(json.dumps(summary, indent=2))
        if not passed:
            raise typer.Exit(EXIT_GATE)
        return
    out.print(
        f"wrote {result.path} ({summary['size_mb']} MB, {precision}, target {result.target}) "
        f"and {result.tokenizer_dir}/ in {seconds:.0f} s",
        highlight=False,
    )
    if "check" in summary:
        c = summary["check"]
        out.print(
            f"check on {c['n']} texts, {c['windows']} windows ({c['texts_with_several_windows']} "
            f"texts read as several; {c['aggregate']}; {c['evaluator']}): max |P_coreml - P_mlx| = "
            f"{c['max_abs_diff']:.2e}, decisions agree on {c['decision_agreement']:.1%}",
            highlight=False,
        )
        if not passed:
            bar = (
                f"max diff <= {check.MAX_DIFF_FP32}"
                if precision == "fp32"
                else f"agreement >= {check.MIN_AGREEMENT:.0%}"
            )
            err.print(f"[bold red]check failed:[/] the package misses the bar ({bar})")
            raise typer.Exit(EXIT_GATE)
        if "coreml" in c:
            out.print(
                f"CoreML predict: max diff {c['coreml']['max_abs_diff']:.2e}, "
                f"agreement {c['coreml']['decision_agreement']:.1%}",
                highlight=False,
            )
    out.print(f"network attempts: {summary['network_attempts']}", highlight=False)
    out.print(
        f"flag a text when pii_probability >= {summary['threshold']:.4f}; "
        "see docs/coreml.md for the Swift side",
        style="dim",
    )
