"""The hub path end to end (issue 18 item 2): `pii models pull ORG/NAME` downloads a tiny
model from a fake hub on 127.0.0.1 (tests/fake_hub.py, via HF_ENDPOINT), then `pii bench
--model ORG/NAME` runs on it from the local hub cache with the network guard on and sends
the hub nothing. Only the real download is left untested."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from pii.classifiers.fewshot import FewShotConfig
from tests.fake_hub import COMMIT, serve
from tests.golden_fixtures import write_split

REPO = "pii-test/tiny-llama"


def _pii(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pii", *args]
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_pull_from_a_fake_hub_then_bench_offline(tiny_model, tmp_path):
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "PII_CACHE": str(tmp_path / "cache"),
           "PYTHONPATH": str(root)}  # fmt: skip
    with serve({REPO: tiny_model}) as (endpoint, requests):
        pulled = _pii("models", "pull", REPO, env={**env, "HF_ENDPOINT": endpoint}, cwd=tmp_path)
        assert pulled.returncode == 0, pulled.stderr[-2000:]
        snapshot = Path(pulled.stdout.split(": ", 1)[1].replace("\n", "").strip())
        assert snapshot.name == COMMIT and (snapshot / "model.safetensors").is_file()
        got = {r.rsplit("/", 1)[-1] for r in requests if r.startswith("GET /" + REPO + "/resolve/")}
        assert got == {p.name for p in tiny_model.iterdir()}  # every file, fetched once
        assert any(r.startswith(f"GET /api/models/{REPO}/revision/") for r in requests)

        before = len(requests)
        config = tmp_path / "k0.json"
        FewShotConfig(model=REPO, k=0, threshold=0.5).save(config)
        data = write_split(tmp_path / "test.jsonl", "test", 8)
        args = ["bench", "--model", REPO, "--classifiers", "fewshot", "--config", str(config),
                "--data", str(data), "--no-ood", "--out", str(tmp_path / "report"),
                "--latency-n", "2", "--sweep-n", "0"]  # fmt: skip
        bench = _pii(*args, env={**env, "HF_ENDPOINT": endpoint}, cwd=tmp_path)
        assert bench.returncode == 0, bench.stderr[-2000:]
        assert len(requests) == before  # the bench read the local cache: nothing sent to the hub
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["environment"]["model"] == REPO and report["n"] == 8
    assert report["network_attempts"] == 0

    dead = f"http://127.0.0.1:{_closed_port()}"
    missing = _pii(
        "models", "pull", "pii-test/other", env={**env, "HF_ENDPOINT": dead}, cwd=tmp_path
    )
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().startswith("error: cannot download 'pii-test/other'")
    assert missing.stderr.strip().count("\n") == 0
