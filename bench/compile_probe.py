"""Does `mx.compile` speed up a llama block's elementwise work on CPU? (issue 17's lever list)

A block's matrix products run in the BLAS whether or not the graph is compiled; what a
compiled graph could change is the elementwise work between them, which on MLX's CPU back end
costs more than the products (pii.engine.cpu_ops). This times, at the fast training path's
shapes (8 windows of 194 tokens; SmolLM2-135M's MLP width 1,536 and 9 query heads over 3 KV
heads), the SwiGLU product and the attention softmax four ways: MLX eager, `mx.compile`,
`mx.compile(shapeless=True)` and the NumPy kernels pii uses (pii.engine.cpu_ops).

    python bench/compile_probe.py --out bench/results/speed-levers/compile-probe.json

Run on an otherwise idle machine through the project's venv with the fast BLAS preloaded.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pii.jsonl import write_atomic  # noqa: E402
from pii.provenance import now, versions  # noqa: E402

TOKENS = 8 * 194  # a fast-path training batch: 8 windows of ~194 prompt tokens
MLP_WIDTH = 1536
HEADS, KV_HEADS = 9, 3


def _ms(fn: Callable[..., object], args: tuple, repeats: int) -> float:
    import mlx.core as mx

    mx.eval(fn(*args))  # warm: a compiled function is built on its first call
    t0 = time.perf_counter()
    for _ in range(repeats):
        mx.eval(fn(*args))
    return round((time.perf_counter() - t0) / repeats * 1e3, 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="write the timings here (JSON)")
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()

    import mlx.core as mx

    from pii.engine import cpu_ops

    mx.random.seed(0)
    gate, up = mx.random.normal((TOKENS, MLP_WIDTH)), mx.random.normal((TOKENS, MLP_WIDTH))
    per_group = TOKENS // 8 * (HEADS // KV_HEADS)
    scores = mx.random.normal((8, KV_HEADS, per_group, TOKENS // 8 + 40))  # + a shared prefix
    mx.eval(gate, up, scores)

    def swiglu(g: mx.array, u: mx.array) -> mx.array:
        return g * mx.sigmoid(g) * u

    def softmax(s: mx.array) -> mx.array:
        return mx.softmax(s, axis=-1, precise=True)

    ops = {
        "swiglu": (swiglu, cpu_ops.silu_mul, (gate, up)),
        "softmax": (softmax, cpu_ops.softmax, (scores,)),
    }
    rows = {}
    for name, (eager, numpy_kernel, inputs) in ops.items():
        rows[name] = {
            "shape": [list(a.shape) for a in inputs],
            "mlx_eager_ms": _ms(eager, inputs, args.repeats),
            "mx_compile_ms": _ms(mx.compile(eager), inputs, args.repeats),
            "mx_compile_shapeless_ms": _ms(mx.compile(eager, shapeless=True), inputs, args.repeats),
            "numpy_kernel_ms": _ms(numpy_kernel, inputs, args.repeats),
        }
        print(name, json.dumps(rows[name]))
    if args.out:
        result = {"what": __doc__.splitlines()[0], "ops": rows, "repeats": args.repeats}
        result |= {"versions": versions(("pii", "mlx")), "date": now()}
        write_atomic(args.out, json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
