"""Latency and throughput of the prompted classifier, beside the compute floor.

Measures, for k=0 and k=8 exemplars, with the prefix KV cache on and off: per-text latency
at batch 1 (warm, median and p95 over the texts) and throughput at batch 16, on real golden
texts. The floor is 2 x non-embedding parameters x tokens processed / the GEMM rate measured
in the same run: the time the matrix multiplies alone would take at that rate.

    python bench/latency.py [--model smollm2-135m] [--n 32] [--out bench/results/latency.json]

Run it through the project's venv with the fast BLAS preloaded (`make` does both).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pii import netguard  # noqa: E402
from pii.classifiers.fewshot import FewShotClassifier, FewShotConfig  # noqa: E402
from pii.engine import blas
from pii.engine.mlx_engine import load_engine  # noqa: E402
from pii.golden.schema import read_records  # noqa: E402
from pii.jsonl import write_atomic  # noqa: E402


def measure(clf: FewShotClassifier, texts: list[str], batch: int) -> dict[str, float]:
    clf.batch_size = batch
    clf.engine._prefixes.clear()
    clf.logits(texts[:2])  # warm-up: fills the prefix cache, as in steady use
    tokens = []
    if batch == 1:
        times = []
        for t in texts:
            t0 = time.perf_counter()
            clf.logits([t])
            times.append(time.perf_counter() - t0)
            tokens.append(clf.processed_tokens)
        return {
            "p50_s": float(np.median(times)),
            "p95_s": float(np.percentile(times, 95)),
            "tokens_processed_per_text": float(np.mean(tokens)),
            "prompt_tokens_per_text": float(np.mean(clf.prompt_tokens)),
        }
    t0 = time.perf_counter()
    clf.logits(texts)
    seconds = time.perf_counter() - t0
    return {
        "texts_per_s": len(texts) / seconds,
        "seconds": seconds,
        "tokens_processed_per_text": clf.processed_tokens / len(texts),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--data", default="golden/valid.jsonl")
    ap.add_argument("--train", default="golden/train.jsonl")
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--out", default="bench/results/latency.json")
    args = ap.parse_args()
    netguard.install()

    records = read_records(args.data)
    rng = np.random.default_rng(0)
    texts = [records[i]["text"] for i in rng.choice(len(records), size=args.n, replace=False)]
    pool = [r for r in read_records(args.train)]
    from pii.classifiers.fewshot import pool_from_records

    pool = pool_from_records(pool)
    engine = load_engine(args.model)
    gflops = blas.gemm_gflops()
    params = engine.non_embedding_params()
    rows = []
    for k in (0, 8):
        for cache in (True, False):
            clf = FewShotClassifier(
                engine, FewShotConfig(model=args.model, k=k), pool, prefix_cache=cache
            )
            b1 = measure(clf, texts, 1)
            b16 = measure(clf, texts, 16)
            floor = 2 * params * b1["tokens_processed_per_text"] / (gflops * 1e9)
            row = {
                "k": k,
                "prefix_cache": cache,
                "batch1": b1,
                "batch16": b16,
                "floor_s_per_text": floor,
            }
            rows.append(row)
            print(
                f"k={k:<2d} cache={'on ' if cache else 'off'} "
                f"batch1 p50 {b1['p50_s'] * 1000:7.0f} ms (p95 {b1['p95_s'] * 1000:6.0f})  "
                f"batch16 {b16['texts_per_s']:5.2f} texts/s  "
                f"tokens/text {b1['tokens_processed_per_text']:6.0f} of {b1['prompt_tokens_per_text']:4.0f}  "
                f"floor {floor * 1000:6.0f} ms",
                flush=True,
            )
    result = {
        "model": args.model,
        "n_texts": args.n,
        "data": args.data,
        "gemm_gflops": gflops,
        "non_embedding_params": params,
        "blas": blas.loaded_blas(),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "python": platform.python_version(),
        },
        "rows": rows,
    }
    write_atomic(args.out, json.dumps(result, indent=2) + "\n")
    print(
        f"GEMM {gflops:.0f} GFLOP/s, non-embedding parameters {params / 1e6:.1f}M; wrote {args.out}"
    )


if __name__ == "__main__":
    main()
