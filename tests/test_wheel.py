"""The API from an installed wheel (issue 16 item 1): the wheel carries the shipped adapter
and the baselines' artifacts (setup.py), and `pii.load` finds them with no checkout and
from any working directory."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import pii
assert pii.__file__.startswith({site!r}), pii.__file__
for name in ("rules", "tfidf", "adapter"):
    clf = pii.load(name)
    (r,) = clf.classify(["Call me on +44 20 7946 0958 tonight."])
    print(name, clf.name, r.has_pii)
"""


def test_the_wheel_carries_the_shipped_files_and_load_finds_them(tmp_path):
    wheels = tmp_path / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
             "-q", "-w", str(wheels)]  # fmt: skip
    subprocess.run(build, check=True, capture_output=True, timeout=300)
    (wheel,) = wheels.glob("pii-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for rel in ("adapters/smollm2-135m/adapters.safetensors", "adapters/smollm2-135m/manifest.json",
                "bench/baselines/smollm2-135m.json", "bench/baselines/tfidf.json"):  # fmt: skip
        assert f"pii/_shipped/{rel}" in names, rel
    assert not any(n.startswith("pii/_shipped/adapters/sweep") for n in names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    env |= {k: v for k, v in os.environ.items() if k in ("LD_PRELOAD", "PII_CACHE")}
    run = [sys.executable, "-c", SCRIPT.format(site=str(site))]
    done = subprocess.run(run, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.split("\n")
    assert any(line.startswith("adapter adapter-smollm2-135m") for line in lines), done.stdout
