"""LoRA adapters on disk: mlx-lm's layout plus a `training.json`, loaded with checks.

An adapter directory holds `adapter_config.json` and `adapters.safetensors` exactly as
mlx-lm writes them (so `mlx_lm.generate --adapter-path` can use it too), plus
`training.json`: the base model and its weights hash, the data hash, the config, the
metrics history and the decision threshold chosen on the validation split.

This module owns the format both ways: `write_config` and `write_training` when training,
`read_training`/`read_record` and `apply_adapter` when loading.

Left out: training (pii.training.loop) and scoring (an adapted model is scored by the same
label-scoring classifier as the few-shot baseline, with no exemplars).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pii import publish
from pii.errors import ModelError
from pii.formats import check_fields, read_object, read_versioned
from pii.hashing import sha256_files
from pii.jsonl import write_atomic

FORMAT_VERSION = 1
WHAT = "training record"
RETRAIN = "re-train the adapter, or pass the training.json of an adapter this pii wrote"
# what scoring and the study read from training.json (and its `config`)
FIELDS = {"config": dict, "base_model": str, "threshold": (int, float)}
OPTIONAL = {"aggregate": str, "base_model_sha256": str}
CONFIG_FIELDS = {"instruction": str, "max_tokens": int}
FILES = ("adapter_config.json", "adapters.safetensors", "training.json")


def model_hash(model_dir: Path) -> str:
    """sha256 over a model directory's weight files (names and bytes, sorted)."""
    source = model_dir / "pii_source.json"
    if source.exists():  # converted from a verified GGUF: its hash names the weights
        return json.loads(source.read_text())["sha256"]
    return sha256_files(sorted(model_dir.glob("*.safetensors")))


def read_training(path: Path) -> dict[str, Any]:
    """The adapter's training.json, checked to be present and readable."""
    path = Path(path)
    if not path.is_dir():
        raise ModelError(
            f"{path}: adapter directory not found; train one with `pii train --out {path}`"
        )
    missing = [f for f in FILES if not (path / f).exists()]
    if missing:
        raise ModelError(
            f"{path}: incomplete adapter, missing {', '.join(missing)}; re-train it or copy the whole directory"
        )
    changed = publish.check(path)  # [] when every file matches, or there is no manifest
    if changed:
        raise ModelError(
            f"{path}: {', '.join(changed)} changed since training wrote the adapter "
            "(manifest.json does not match); re-copy the whole folder or re-train"
        )
    info = read_record(path / "training.json")
    read_object(path / "adapter_config.json", "adapter config", RETRAIN, ModelError)
    return info


def read_record(path: Path) -> dict[str, Any]:
    """A training.json given by its own path (e.g. `pii decide --training`), version- and
    type-checked."""
    info = read_versioned(path, WHAT, FORMAT_VERSION, RETRAIN, FIELDS, ModelError, OPTIONAL)
    check_fields(info["config"], CONFIG_FIELDS, path, WHAT, "config.", ModelError)
    return info


def write_config(
    out: Path, *, num_layers: int, lora: dict[str, Any], model: str, prompt: dict[str, Any]
) -> None:
    """adapter_config.json in mlx-lm's layout (so mlx-lm can load the adapter too), plus the
    prompt settings pii scores with under a "pii" key mlx-lm ignores."""
    config = {
        "fine_tune_type": "lora",
        "num_layers": num_layers,
        "lora_parameters": lora,
        "model": model,
        "pii": prompt,
    }
    write_atomic(out / "adapter_config.json", json.dumps(config, indent=2) + "\n")


def write_training(out: Path, info: dict[str, Any]) -> None:
    """training.json: the run's record, stamped with this format's version."""
    record = {"format_version": FORMAT_VERSION, **info}
    write_atomic(out / "training.json", json.dumps(record, indent=2) + "\n")
    publish.write_manifest(out, list(FILES))  # last: a complete adapter, hashes of its files


def _check_config(path: Path, info: dict[str, Any], depth: int) -> None:
    """adapter_config.json must agree with training.json and fit the model's depth."""
    try:
        config = json.loads((path / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(
            f"{path}: unreadable adapter_config.json ({e}); re-train the adapter"
        ) from None
    layers = config.get("num_layers") if isinstance(config, dict) else None
    if not isinstance(layers, int) or isinstance(layers, bool) or layers < 1:
        raise ModelError(f"{path}: adapter_config.json num_layers={layers!r}; re-train the adapter")
    if depth and layers > depth:
        raise ModelError(
            f"{path}: adapter_config.json puts LoRA on {layers} blocks but the model has {depth}; "
            "the adapter belongs to another model"
        )
    named = config.get("model")
    if named is not None and named != info.get("base_model"):
        raise ModelError(
            f"{path}: adapter_config.json names base model {named!r} but training.json "
            f"{info.get('base_model')!r}; the folder mixes two adapters: re-train or re-copy it"
        )


def check_base(path: Path, info: dict[str, Any], model: str, model_dir: Path) -> None:
    """Refuse an adapter trained on other base weights."""
    expected = info.get("base_model_sha256")
    actual = model_hash(model_dir)
    if expected != actual:
        raise ModelError(
            f"{path}: adapter was trained on base model '{info.get('base_model')}' "
            f"(weights {str(expected)[:12]}...), not on '{model}' (weights {actual[:12]}...); "
            f"use --model {info.get('base_model')} or train an adapter for this model"
        )


def apply_adapter(
    net: Any, path: Path, model: str, model_dir: Path | None = None, light: bool = False
) -> Any:
    """Add the adapter's LoRA layers to `net` and load its weights, after the checks;
    `light`: with pii.engine.light's LoRA layers (no transformers import), else mlx-lm's."""
    from pii.engine import models

    if light:
        from pii.engine.light import attach_lora as load_adapters
    else:
        from mlx_lm.tuner.utils import load_adapters

    info = read_training(path)
    check_base(path, info, model, model_dir or models.resolve(model))
    _check_config(path, info, len(getattr(getattr(net, "model", net), "layers", [])))
    try:
        return load_adapters(net, str(path))
    except ValueError as e:
        raise ModelError(
            f"{path}: adapter does not fit this model: {str(e).splitlines()[0]}"
        ) from None
    except (KeyError, TypeError, AttributeError) as e:
        raise ModelError(
            f"{path}: adapter_config.json is incompatible ({e}); re-train the adapter"
        ) from None
    except Exception as e:  # mlx raises RuntimeError on a truncated or garbled safetensors file
        raise ModelError(
            f"{path}: cannot read adapters.safetensors ({e}); the file is corrupted: re-train or re-copy it"
        ) from None
