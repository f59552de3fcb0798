"""Scoring speed against the compute floor, in one run (issue 17): the GEMM rate; the few-shot
baseline and the adapter at batch 1 (p50/p95 ms a text, prefix cache on) and in bulk (texts/s,
tokens/s); the cold start of `pii classify` and of `import pii; pii.load(...)`; peak memory;
and llama.cpp on the same texts where llama-cpp-python is installed (else recorded as absent).

The texts are fixed: every k-th text of golden/valid.jsonl sorted by length (mixed lengths,
short chat lines to long documents read as windows), their ids in the output. The floor of a
text is 2 x the model's non-embedding parameters x the tokens run / the GEMM rate measured
in the same run; `floor_fraction` = floor / measured (1.0 = at the floor).

    python bench/speed.py --out bench/results/speed-smollm2-135m.json

Run through the project's venv with the fast BLAS preloaded (`make speed` does both) on an
otherwise idle machine: a figure taken while another job shares the cores is not one.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pii.jsonl import write_atomic  # noqa: E402
from pii.provenance import now, versions  # noqa: E402


def fixed_texts(path: Path, n: int) -> list[tuple[str, str]]:
    """(id, text) of n texts spread evenly over the file's length order."""
    from pii.golden.schema import read_records

    records = sorted(read_records(path), key=lambda r: (len(r["text"]), r["id"]))
    step = max(1, len(records) // n)
    return [(r["id"], r["text"]) for r in records[::step][:n]]


def _sig(x: float, digits: int = 4) -> float:
    """x to `digits` significant figures: a floor of 0.02 ms keeps its precision."""
    return float(f"{x:.{digits}g}")


def _row(name: str, mode: str, seconds: list[float], tokens: list[int], floor_s: list[float]):
    ms = [s * 1000 for s in seconds]
    per_text = float(np.mean(ms))
    floor_ms = float(np.mean(floor_s)) * 1000
    row = {
        "classifier": name,
        "mode": mode,
        "ms_per_text": _sig(per_text),
        "floor_ms_per_text": _sig(floor_ms),
        "floor_fraction": _sig(floor_ms / per_text) if per_text else None,
        "tokens_per_text": round(float(np.mean(tokens)), 1),
        "tokens_per_s": round(sum(tokens) / sum(seconds), 1) if sum(seconds) else None,
    }
    if mode == "batch1":
        row |= {"p50_ms": round(statistics.median(ms), 2),
                "p95_ms": round(float(np.percentile(ms, 95)), 2)}  # fmt: skip
    return row


def measure(clf: Any, name: str, texts: list[str], gflops: float, bulk: int) -> list[dict]:
    """Batch 1 over every text (warm), then all texts in one call at batch `bulk`."""
    params = clf.engine.non_embedding_params()
    floor = lambda tokens: 2 * params * tokens / (gflops * 1e9)  # noqa: E731
    clf.batch_size = 1
    clf.predict_proba(texts[:2])  # warm-up: the prefix cache filled, as in steady use
    seconds, tokens = [], []
    for text in texts:
        t0 = time.perf_counter()
        clf.predict_proba([text])
        seconds.append(time.perf_counter() - t0)
        tokens.append(clf.processed_tokens)
    rows = [_row(name, "batch1", seconds, tokens, [floor(t) for t in tokens])]
    clf.batch_size = bulk
    t0 = time.perf_counter()
    clf.predict_proba(texts)
    total = time.perf_counter() - t0
    run = clf.processed_tokens
    per = [total / len(texts)] * len(texts)
    rows.append(_row(name, f"bulk{bulk}", per, [run / len(texts)] * len(texts),
                     [floor(run) / len(texts)] * len(texts)))  # fmt: skip
    return rows


def process_wall(cmd: list[str], label: str) -> float:
    """Wall seconds of one fresh process running `cmd` in the project root."""
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{label}: exit {done.returncode}: {done.stderr[-300:]}")
    return wall


def cold_starts(model: str, repeats: int) -> dict[str, Any]:
    """Wall seconds (median of `repeats`) of fresh processes: the CLI and the API."""
    pii = [sys.executable, "-m", "pii"]
    commands = {
        "pii classify --classifier rules": [*pii, "classify", "--classifier", "rules", "Hello."],
        "pii classify --classifier adapter": [
            *pii,
            "classify",
            "--classifier",
            "adapter",
            "--model",
            model,
            "Hello.",
        ],  # fmt: skip
        "import pii; pii.load('adapter').predict": [
            sys.executable,
            "-c",
            "import pii; pii.load('adapter').predict(['Hello.'])",
        ],  # fmt: skip
    }
    out = {}
    for label, cmd in commands.items():
        walls = [process_wall(cmd, label) for _ in range(repeats)]
        out[label] = {
            "median_s": round(statistics.median(walls), 3),
            "runs": [round(w, 3) for w in walls],
        }
    return out


def peers() -> dict[str, Any]:
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return {"llama.cpp": "not installed (pip install llama-cpp-python: opt-in, ~30 min build)"}
    return {"llama.cpp": "installed but not wired into this script yet"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--adapter", default="adapters/smollm2-135m")
    parser.add_argument("--config", default=None, help="few-shot config (default: tuned one)")
    parser.add_argument("--data", type=Path, default=ROOT / "golden/valid.jsonl")
    parser.add_argument("--n", type=int, default=32, help="texts")
    parser.add_argument("--bulk", type=int, default=32, help="batch size of the bulk pass")
    parser.add_argument("--cold-repeats", type=int, default=3, help="0: skip cold starts")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from pii import netguard
    from pii.classifiers.registry import load_classifier
    from pii.engine import blas

    netguard.install()
    texts = fixed_texts(args.data, args.n)
    gflops = blas.gemm_gflops()
    rows = []
    for kind in ("fewshot", "adapter"):
        config = Path(args.config) if args.config and kind == "fewshot" else None
        adapter = ROOT / args.adapter if kind == "adapter" else None
        clf = load_classifier(kind, args.model, config=config, adapter=adapter)
        rows += measure(clf, kind, [t for _, t in texts], gflops, args.bulk)
        params = clf.engine.non_embedding_params()
        del clf
        print(f"{kind}: " + ", ".join(f"{r['mode']} {r['ms_per_text']} ms/text "
              f"(floor {r['floor_fraction']:.0%})" for r in rows[-2:]), file=sys.stderr)  # fmt: skip
    cold = cold_starts(args.model, args.cold_repeats) if args.cold_repeats else {}
    lengths = [len(t) for _, t in texts]
    result = {
        "format_version": 1,
        "date": now(),
        "model": args.model,
        "adapter": args.adapter,
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "python": platform.python_version(),
        },  # fmt: skip
        "versions": versions(("pii", "mlx", "mlx-lm")),
        "blas": blas.loaded_blas(),
        "gemm_gflops": round(gflops, 1),
        "non_embedding_params": params,
        "texts": {
            "source": str(args.data.relative_to(ROOT))
            if args.data.is_relative_to(ROOT)
            else str(args.data),
            "n": len(texts),
            "ids": [i for i, _ in texts],
            "chars_min_median_max": [min(lengths), int(statistics.median(lengths)), max(lengths)],
        },  # fmt: skip
        "rows": rows,
        "cold_start": cold,
        "peak_rss_mb": {
            "this_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "largest_child": round(
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
            ),
        },
        "peers": peers(),
    }
    write_atomic(args.out, json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
