"""Training speed: the plain path (mlx-lm's trainer) against the fast path, beside the floor.

Reads the training.json of two runs of the same recipe, one with `--plain`, one with
`--fast`, measures the GEMM rate on this machine, and writes one JSON with, for each path,
seconds per step, the extrapolated (plain) or measured (fast) time of one epoch over the
pool, input tokens per second, and the floor: 3 x 2 x adapted-path parameters x tokens /
GEMM rate (forward, backward to the inputs, backward to the weights, over the adapted
blocks only; the frozen blocks' one-off cost is reported apart, as the feature build).

    pii train --config adapters/recipes/cpu-smollm2-135m.yaml --plain --iters 20 \\
        --steps-per-eval 20 --out /tmp/plain20 --force
    pii train --config adapters/recipes/cpu-smollm2-135m.yaml --fast --epochs 1 \\
        --steps-per-eval 125 --out /tmp/fast-ep1 --force 2> fast.log
    python bench/train_speed.py --plain /tmp/plain20 --fast /tmp/fast-ep1 \\
        --features-log fast.log --out bench/results/fast-training-smollm2-135m.json

Run through the project's venv with the fast BLAS preloaded (`make` does both).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pii.engine import blas  # noqa: E402
from pii.jsonl import write_atomic  # noqa: E402
from pii.provenance import now, versions  # noqa: E402


def adapted_params(model: str, num_layers: int) -> tuple[int, int]:
    """(non-embedding parameters of the adapted blocks, of the whole model)."""
    from pii.engine.mlx_engine import load_engine

    engine = load_engine(model, precision="float32")
    total = engine.non_embedding_params()
    depth = len(engine.model.model.layers)
    return round(total * num_layers / depth), total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plain", type=Path, required=True, help="adapter folder of the plain run")
    ap.add_argument("--fast", type=Path, required=True, help="adapter folder of the fast run")
    ap.add_argument("--features-log", type=Path, help="stderr of the fast run (feature build time)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    runs = {
        k: json.loads((p / "training.json").read_text())
        for k, p in (("plain", args.plain), ("fast", args.fast))
    }
    cfg = runs["fast"]["config"]
    n_pool = runs["fast"]["n_train_examples"]
    steps_per_epoch = n_pool // cfg["batch_size"]
    params, total = adapted_params(cfg["model"], cfg["num_layers"])
    gflops = blas.gemm_gflops()
    result = {
        "what": "one epoch of the 8-block LoRA recipe over the training pool, plain vs fast path",
        "machine": f"{platform.machine()}, {blas.loaded_blas() or 'default BLAS'}",
        "gemm_gflops": round(gflops, 1),
        "model": cfg["model"],
        "num_layers": cfg["num_layers"],
        "rank": cfg["rank"],
        "batch_size": cfg["batch_size"],
        "pool_examples": n_pool,
        "steps_per_epoch": steps_per_epoch,
        "adapted_path_parameters": params,
        "non_embedding_parameters": total,
        "paths": {},
        "versions": versions(("pii", "mlx", "mlx-lm")),
        "date": now(),
    }
    for name, info in runs.items():
        steps = info.get("steps") or info["config"]["iters"]
        per_step = info["train_seconds"] / steps
        tokens_per_step = info["input_tokens"] / steps
        floor_step = 3 * 2 * params * tokens_per_step / (gflops * 1e9)
        result["paths"][name] = {
            "steps_run": steps,
            "train_seconds": info["train_seconds"],
            "seconds_per_step": round(per_step, 3),
            "epoch_minutes": round(per_step * steps_per_epoch / 60, 1),
            "epoch_measured": info.get("epochs_seen", 0) >= 0.99,
            "input_tokens_per_step": round(tokens_per_step, 1),
            "input_tokens_per_s": round(tokens_per_step / per_step, 1),
            "floor_seconds_per_step": round(floor_step, 3),
            "floor_fraction": round(floor_step / per_step, 3),
            "peak_memory_gb": info["peak_memory_gb"],
        }
    if args.features_log and args.features_log.exists():
        found = re.findall(r"features: ([\d,]+)/([\d,]+) training texts through (\d+) frozen blocks \((\d+) s\)",
                           args.features_log.read_text())  # fmt: skip
        if found:
            done, total_texts, blocks, seconds = found[-1]
            result["feature_build"] = {
                "texts": int(total_texts.replace(",", "")),
                "frozen_blocks": int(blocks),
                "seconds": int(seconds),
                "note": "one-off per pool, prompt and cut; shared by every configuration with that cut",
            }
    plain, fast = result["paths"]["plain"], result["paths"]["fast"]
    result["speedup_per_step"] = round(plain["seconds_per_step"] / fast["seconds_per_step"], 2)
    write_atomic(args.out, json.dumps(result, indent=2) + "\n")
    print(
        json.dumps(
            {k: result[k] for k in ("gemm_gflops", "speedup_per_step")}
            | {k: (v["epoch_minutes"], v["floor_fraction"]) for k, v in result["paths"].items()},
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
