"""bench/speed.py runs end to end on the tiny model and writes the fields issue 17 asks for
(the real figures come from `make speed` on an idle machine, not from a test)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pii.classifiers.fewshot import FewShotConfig
from tests.golden_fixtures import write_split

ROOT = Path(__file__).resolve().parents[1]


def test_speed_script_writes_every_row_with_its_floor(tiny_model, tiny_adapter, tmp_path):
    config = tmp_path / "k0.json"
    FewShotConfig(model=str(tiny_model), k=0, threshold=0.5).save(config)
    data = write_split(tmp_path / "valid.jsonl", "valid", 12)
    out = tmp_path / "speed.json"
    cmd = [sys.executable, str(ROOT / "bench/speed.py"), "--model", str(tiny_model),
           "--adapter", str(tiny_adapter[0]), "--config", str(config), "--data", str(data),
           "--n", "6", "--bulk", "4", "--cold-repeats", "0", "--out", str(out)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=os.environ)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    modes = {(r["classifier"], r["mode"]) for r in result["rows"]}
    assert modes == {("fewshot", "batch1"), ("fewshot", "bulk4"), ("adapter", "batch1"),
                     ("adapter", "bulk4")}  # fmt: skip
    for r in result["rows"]:
        assert r["ms_per_text"] > 0 and r["floor_ms_per_text"] > 0
        ratio = r["floor_ms_per_text"] / r["ms_per_text"]  # each to 4 significant figures
        assert r["floor_fraction"] == pytest.approx(ratio, rel=2e-3)
    assert result["texts"]["n"] == 6 and result["gemm_gflops"] > 0
    assert "llama.cpp" in result["peers"] and result["peak_rss_mb"]["this_process"] > 0
