"""What a long text costs: the adapter's milliseconds per 1,000 characters, beside the floor.

Texts of growing length are built by repeating docs/examples/long-mail.txt (synthetic, its
PII in the signature); each is scored at batch 1 (one text per call, as an app would) and
all together in bulk (one call, every window of every text batched). The floor is
2 x non-embedding parameters x tokens run / the GEMM rate measured in the same run.

    python bench/long_text.py --out bench/results/long-text-smollm2-135m.json

Run through the project's venv with the fast BLAS preloaded (`make` does both).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pii.engine import blas  # noqa: E402
from pii.jsonl import write_atomic  # noqa: E402
from pii.provenance import now, versions  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LENGTHS = (3_000, 30_000, 300_000)
BULK_MAX_CHARS = 30_000  # the bulk pass skips the longest text (its time is batch 1's again)


def texts_of(lengths: tuple[int, ...]) -> list[str]:
    mail = (ROOT / "docs/examples/long-mail.txt").read_text(encoding="utf-8")
    return [(mail * (n // len(mail) + 1))[:n] for n in lengths]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--adapter", default="adapters/smollm2-135m")
    parser.add_argument("--batch", type=int, default=16, help="windows per forward in bulk")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    from pii.classifiers.adapter import load_adapter_classifier

    clf = load_adapter_classifier(ROOT / args.adapter)
    gflops = blas.gemm_gflops()
    params = clf.engine.non_embedding_params()
    texts = texts_of(LENGTHS)
    clf.batch_size = args.batch
    clf.predict_proba(["warm-up text"])
    rows = []
    for text in texts:
        t0 = time.perf_counter()
        p = float(clf.predict_proba([text])[0, 1])
        seconds = time.perf_counter() - t0
        tokens = clf.processed_tokens
        floor = 2 * params * tokens / (gflops * 1e9)
        rows.append(
            {
                "chars": len(text),
                "windows": clf.windows[0],
                "tokens_run": tokens,
                "seconds": round(seconds, 3),
                "ms_per_1k_chars": round(1e6 * seconds / len(text), 2),
                "floor_ms_per_1k_chars": round(1e6 * floor / len(text), 2),
                "floor_fraction": round(floor / seconds, 3),
                "p_pii": round(p, 4),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    bulk_texts = [t for t in texts if len(t) <= BULK_MAX_CHARS]
    t0 = time.perf_counter()
    clf.predict_proba(bulk_texts)
    seconds = time.perf_counter() - t0
    chars, tokens = sum(map(len, bulk_texts)), clf.processed_tokens
    floor = 2 * params * tokens / (gflops * 1e9)
    bulk = {
        "texts": len(bulk_texts),
        "chars": chars,
        "windows": sum(clf.windows),
        "seconds": round(seconds, 2),
        "ms_per_1k_chars": round(1e6 * seconds / chars, 2),
        "floor_ms_per_1k_chars": round(1e6 * floor / chars, 2),
        "floor_fraction": round(floor / seconds, 3),
    }
    print(json.dumps(bulk), flush=True)
    result = {
        "what": "adapter P(PII) of long texts read as windows, batch 1 and bulk",
        "adapter": args.adapter,
        "window_tokens": clf.config.max_text_tokens,
        "window_overlap": clf.config.window_overlap,
        "aggregate": clf.config.aggregate,
        "batch": args.batch,
        "gemm_gflops": round(gflops, 1),
        "non_embedding_params": params,
        "batch_1": rows,
        "bulk": bulk,
        "machine": f"{platform.machine()}, {platform.system()}",
        "versions": versions(("pii", "mlx", "mlx-lm")),
        "date": now(),
    }
    write_atomic(args.out, json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
