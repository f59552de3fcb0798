"""A warm `pii serve` request against a cold `pii classify` call (issue 16), in one run.

Starts `pii serve --classifier CLASSIFIER --port 0` (127.0.0.1), waits for /health, sends
--n one-text requests (the fixed texts of bench/speed.py, one each, in turn) and records the
p50/p95 wall time per request as the client sees it; then times --cold-repeats cold
`pii classify --classifier CLASSIFIER TEXT` calls. Writes JSON (atomically) to --out.
Run it on an idle machine: `python bench/serve_latency.py --out bench/results/serve-smollm2-135m.json`.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pii.jsonl import write_atomic  # noqa: E402
from pii.provenance import now, versions  # noqa: E402

PII = [sys.executable, "-m", "pii"]


def start_server(classifier: str) -> tuple[subprocess.Popen, str]:
    cmd = [*PII, "serve", "--classifier", classifier, "--port", "0"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    deadline = time.time() + 300
    while time.time() < deadline:
        line = proc.stderr.readline()
        found = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
        if found:
            url = found.group(1)
            while time.time() < deadline:  # the address is named before the socket listens
                try:
                    with urllib.request.urlopen(url + "/health", timeout=10):
                        return proc, url
                except OSError:
                    time.sleep(0.2)
            break
        if proc.poll() is not None:
            raise SystemExit(f"pii serve exited with {proc.returncode}")
    proc.kill()
    raise SystemExit("pii serve did not start within 300 s")


def post(url: str, texts: list[str], classifier: str) -> dict:
    body = json.dumps({"texts": texts, "classifier": classifier}).encode()
    request = urllib.request.Request(
        url + "/v1/classify", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classifier", default="adapter")
    parser.add_argument("--n", type=int, default=32, help="one-text requests")
    parser.add_argument("--cold-repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from speed import fixed_texts, process_wall

    texts = [t for _, t in fixed_texts(Path("golden/valid.jsonl"), 32)]
    proc, url = start_server(args.classifier)
    try:
        post(url, texts[:1], args.classifier)  # the first request pays one-off set-up
        seconds = []
        for i in range(args.n):
            t0 = time.perf_counter()
            post(url, [texts[i % len(texts)]], args.classifier)
            seconds.append(time.perf_counter() - t0)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    cold = [
        process_wall([*PII, "classify", "--classifier", args.classifier, texts[i]], "classify")
        for i in range(args.cold_repeats)
    ]
    ms = sorted(1000 * s for s in seconds)
    result = {
        "format_version": 1,
        "date": now(),
        "classifier": args.classifier,
        "texts": "the 32 fixed validation texts of bench/speed.py, one per request",
        "serve_warm_ms": {
            "n": len(ms),
            "p50": round(statistics.median(ms), 1),
            "p95": round(float(np.percentile(ms, 95)), 1),
        },
        "classify_cold_s": {
            "n": len(cold),
            "median": round(statistics.median(cold), 3),
            "runs": [round(s, 3) for s in cold],
        },
        "versions": versions(["pii", "mlx", "mlx-lm", "fastapi", "uvicorn"]),
    }
    write_atomic(args.out, json.dumps(result, indent=1) + "\n")
    print(
        f"serve p50 {result['serve_warm_ms']['p50']} ms (p95 {result['serve_warm_ms']['p95']}, "
        f"n={len(ms)}); cold classify median {result['classify_cold_s']['median']} s"
    )


if __name__ == "__main__":
    main()
