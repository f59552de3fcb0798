"""scripts/rehearse_3b.py on a 2-block model of the 3B's other dimensions (vocab, heads' ratio,
rope scaling, 4-bit groups of 64): every stage runs pii's real commands and the fuse check tells
a fused adapter from a dropped one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_rehearsal_runs_every_stage_on_a_tiny_shape(tmp_path):
    out = tmp_path / "rehearsal.json"
    cmd = [sys.executable, "scripts/rehearse_3b.py", "--shape", "tiny", "--work",
           str(tmp_path / "work"), "--json", str(out)]  # fmt: skip
    done = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, env=os.environ
    )
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-1500:]
    report = json.loads(out.read_text())
    stages = {row["stage"]: row for row in report["stages"]}
    assert list(stages) == ["build", "load", "train", "score", "fuse", "bench", "export"]
    assert all(row["status"] == "ok" and row["peak_rss_gb"] > 0 for row in stages.values())
    assert report["config"]["vocab_size"] == 128256 and report["quantization"]["bits"] == 4
    assert report["train"]["steps"] == 2 and report["train"]["tflop_per_step"] > 0
    gap = report["fuse_check"]["max_abs_logit_gap_from_adapter"]
    assert gap["fused_float32"] < 1e-3  # pii's fuse keeps the adapter's scores
    assert gap["base_q"] > 100 * gap["fused_float32"]  # a dropped adapter would be caught
    assert (tmp_path / "work" / "bench" / "report.json").is_file()
    assert (tmp_path / "work" / "PiiClassifier3B.mlpackage").is_dir()


def test_unknown_stages_are_refused_with_the_names(tmp_path):
    cmd = [
        sys.executable,
        "scripts/rehearse_3b.py",
        "--stages",
        "build,fly",
        "--work",
        str(tmp_path),
    ]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "unknown fly" in done.stderr and "Traceback" not in done.stderr
