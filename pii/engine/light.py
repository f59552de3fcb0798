"""Loading a plain llama model, its tokenizer and a LoRA adapter without transformers.

mlx-lm's package `__init__` imports its converter, which imports transformers and, through
it, torch: about 2-4 s before any weight is read, most of the cold start of
`pii classify --classifier adapter` (7.6 s in bench/results/speed-smollm2-135m.json). The
model code itself (`mlx_lm.models.llama`) needs only MLX. So for a model directory this
module can read whole (model type llama or mistral, safetensors unquantized or quantized
the way mlx-lm writes them, a `tokenizer.json` and a chat template) it

- registers `mlx_lm` as a bare package, its `__init__` not run, so that importing
  `mlx_lm.models.llama` runs that module alone (`import mlx_lm.<submodule>` still works
  after it; only the names the package `__init__` re-exports, such as `mlx_lm.load`, do not);
- builds the model from `config.json` and loads its weights as mlx-lm's loader does;
- tokenizes with the `tokenizers` library and renders the chat template with jinja2 under
  the settings transformers uses (sandboxed, trim_blocks, lstrip_blocks);
- adds an adapter's LoRA layers (`LoRALinear`, the same parameters and arithmetic as mlx-lm's,
  so mlx-lm's adapter files load unchanged).

Anything else (other quantization schemes or architectures, DoRA adapters, custom LoRA keys) goes
through mlx-lm's own loader (pii.engine.mlx_engine decides). tests/test_light_load.py holds
both paths to the same token ids and scores.
Left out: generation (mlx-lm's, imported when asked for).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import mlx.core as mx
import mlx.nn as nn

from pii.engine.models import cache_root

ARCHITECTURES = {"llama": "llama", "mistral": "llama"}  # config model_type -> mlx-lm module


def _bare_mlx_lm() -> None:
    """Make `import mlx_lm.x` run module x alone (see the module docstring)."""
    if "mlx_lm" in sys.modules:
        return
    spec = importlib.util.find_spec("mlx_lm")
    if spec is None:
        raise ImportError("mlx-lm is not installed")
    sys.modules["mlx_lm"] = importlib.util.module_from_spec(spec)


def _config(model_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _chat_template(model_dir: Path) -> str | None:
    try:
        cfg = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    template = cfg.get("chat_template") if isinstance(cfg, dict) else None
    jinja = model_dir / "chat_template.jinja"
    if template is None and jinja.is_file():
        template = jinja.read_text(encoding="utf-8")
    return template if isinstance(template, str) else None


def can_load(model_dir: Path) -> bool:
    """True when this module can load `model_dir` (else use mlx-lm's loader)."""
    config = _config(model_dir)
    return (
        config.get("model_type") in ARCHITECTURES
        and "model_file" not in config
        and _affine(config)
        and any(model_dir.glob("model*.safetensors"))
        and (model_dir / "tokenizer.json").is_file()
        and _chat_template(model_dir) is not None
    )


def _affine(config: dict[str, Any]) -> bool:
    """Unquantized, or quantized the way mlx-lm's converter writes it (affine, per-layer
    overrides allowed); other schemes go through mlx-lm's loader."""
    q = config.get("quantization")
    if q is None:
        return "quantization_config" not in config
    return isinstance(q, dict) and q.get("mode", "affine") == "affine"


def can_attach(adapter_dir: Path) -> bool:
    """True for a plain LoRA adapter on every linear of its blocks (mlx-lm's default)."""
    try:
        config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    lora = config.get("lora_parameters") if isinstance(config, dict) else None
    return (
        config.get("fine_tune_type", "lora") == "lora"
        and isinstance(lora, dict)
        and "keys" not in lora
        and isinstance(config.get("num_layers"), int)
    )


def _dequantized_path(model_dir: Path, files: list[Path]) -> Path:
    """Where the dequantized weights of `model_dir` are kept: named by the directory, the
    config and each weight file's size and modification time, so a changed model misses."""
    key = hashlib.sha256()
    key.update(str(model_dir.resolve()).encode())
    key.update((model_dir / "config.json").read_bytes())
    for f in files:
        st = f.stat()
        key.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return cache_root().parent / "dequantized" / f"{key.hexdigest()[:24]}.safetensors"


def load_model(model_dir: Path, dequantized: bool = False) -> nn.Module:
    """The model of `model_dir` with its weights (strict: every weight present and used);
    `dequantized`: quantized layers replaced by float ones. Dequantizing on CPU takes ~2 s
    for SmolLM2-135M, so the result is kept in $PII_CACHE/dequantized/ (in the weights' own
    dtype: the same values) and later loads read it (~0.4 s)."""
    _bare_mlx_lm()
    config = _config(model_dir)
    arch = importlib.import_module(f"mlx_lm.models.{ARCHITECTURES[config['model_type']]}")
    net = arch.Model(arch.ModelArgs.from_dict(config))
    files = sorted(model_dir.glob("model*.safetensors"))
    quant = config.get("quantization")
    kept = _dequantized_path(model_dir, files) if quant is not None and dequantized else None
    if kept is not None and kept.is_file():
        try:
            net.load_weights(str(kept))
            mx.eval(net.parameters())
            return net
        except (ValueError, RuntimeError):  # damaged or stale: rebuild it below
            net = arch.Model(arch.ModelArgs.from_dict(config))
    weights: dict[str, mx.array] = {}
    for path in files:
        weights.update(mx.load(str(path)))
    if hasattr(net, "sanitize"):
        weights = net.sanitize(weights)
    if (q := quant) is not None:

        def quantized(path: str, module: nn.Module) -> bool | dict[str, Any]:
            if isinstance(q.get(path), dict):
                return q[path]
            return hasattr(module, "to_quantized") and f"{path}.scales" in weights

        nn.quantize(net, group_size=q["group_size"], bits=q["bits"], class_predicate=quantized)
    net.load_weights(list(weights.items()))
    if kept is not None:
        net = dequantize(net)
        mx.eval(net.parameters())
        _save(kept, net)
    mx.eval(net.parameters())
    return net


def _save(path: Path, net: nn.Module) -> None:
    """Write `net`'s weights to `path` atomically; a cache, so a failure only costs time."""
    from mlx.utils import tree_flatten

    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.safetensors")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mx.save_safetensors(str(tmp), dict(tree_flatten(net.parameters())))
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


def dequantize(net: nn.Module) -> nn.Module:
    """Quantized linears and embeddings replaced by float ones of the same values."""
    from mlx.utils import tree_unflatten

    plain = []
    for name, m in net.named_modules():
        if isinstance(m, (nn.QuantizedLinear, nn.QuantizedEmbedding)):
            w = mx.dequantize(m.weight, m.scales, m.biases, m.group_size, m.bits)
            if isinstance(m, nn.QuantizedEmbedding):
                new = nn.Embedding(*w.shape)
            else:
                new = nn.Linear(w.shape[1], w.shape[0], bias="bias" in m)
                if "bias" in m:
                    new.bias = m.bias
            new.weight = w
            plain.append((name, new))
    if plain:
        net.update_modules(tree_unflatten(plain))
    return net


def _special(value: Any) -> str | None:
    """A special token as tokenizer_config.json writes it: a string or {"content": ...}."""
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) else None


class Tokenizer:
    """The calls the engine makes of a tokenizer, on `tokenizers` and jinja2 alone."""

    def __init__(self, model_dir: Path) -> None:
        import jinja2.sandbox
        from tokenizers import Tokenizer as Fast

        self._fast = Fast.from_file(str(model_dir / "tokenizer.json"))
        cfg = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
        self._specials = {
            k: s for k in ("bos_token", "eos_token", "pad_token", "unk_token")
            if (s := _special(cfg.get(k))) is not None
        }  # fmt: skip
        env = jinja2.sandbox.ImmutableSandboxedEnvironment(
            trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
        )
        env.globals["raise_exception"] = _raise
        self._template = env.from_string(_chat_template(model_dir) or "")
        self.eos_token_id = self._id("eos_token")
        self.pad_token_id = self._id("pad_token")
        self.eos_token_ids = [] if self.eos_token_id is None else [self.eos_token_id]

    def _id(self, name: str) -> int | None:
        token = self._specials.get(name)
        return None if token is None else self._fast.token_to_id(token)

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        return self._fast.encode(text, add_special_tokens=add_special_tokens).ids

    def offsets(self, text: str) -> list[tuple[int, int]]:
        return [tuple(o) for o in self._fast.encode(text, add_special_tokens=False).offsets]

    def decode(self, ids: list[int]) -> str:
        return self._fast.decode(ids, skip_special_tokens=False)

    def apply_chat_template(
        self, messages: list[dict[str, str]], tokenize: bool = False, add_generation_prompt=False
    ) -> str | list[int]:
        text = self._template.render(
            messages=messages, add_generation_prompt=add_generation_prompt, **self._specials
        )
        return self.encode(text) if tokenize else text


def _raise(message: str) -> None:
    raise ValueError(f"chat template: {message}")


class LoRALinear(nn.Module):
    """A linear layer (plain or 4/8-bit) plus a low-rank update: mlx-lm's LoRALinear, for
    inference."""

    def __init__(self, linear: nn.Linear | nn.QuantizedLinear, rank: int, scale: float) -> None:
        super().__init__()
        out_dims, in_dims = linear.weight.shape
        if isinstance(linear, nn.QuantizedLinear):  # packed: 32 // bits values a word
            in_dims = in_dims * 32 // linear.bits
        self.linear = linear
        self.scale = scale
        self.lora_a = mx.zeros((in_dims, rank))
        self.lora_b = mx.zeros((rank, out_dims))

    def __call__(self, x: mx.array) -> mx.array:
        z = (x @ self.lora_a) @ self.lora_b
        return self.linear(x) + (self.scale * z).astype(x.dtype)

    def fuse(self) -> nn.Linear:
        """A plain (float) linear with the update folded into its weight; a quantized base is
        dequantized first, never re-quantized (that would round a small update away)."""
        weight = self.linear.weight
        if isinstance(self.linear, nn.QuantizedLinear):
            q = self.linear
            weight = mx.dequantize(weight, q.scales, q.biases, q.group_size, q.bits)
        fused = nn.Linear(weight.shape[1], weight.shape[0], bias="bias" in self.linear)
        fused.weight = weight + ((self.scale * self.lora_b.T) @ self.lora_a.T).astype(weight.dtype)
        if "bias" in self.linear:
            fused.bias = self.linear.bias
        return fused


def attach_lora(net: nn.Module, adapter_dir: str | Path) -> nn.Module:
    """Wrap every linear of the last `num_layers` blocks and load the adapter's weights;
    ValueError (one line per tensor) when the file does not fit the model."""
    from mlx.utils import tree_flatten, tree_unflatten

    adapter_dir = Path(adapter_dir)
    config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    lora = config["lora_parameters"]
    layers = net.layers
    for layer in layers[len(layers) - max(int(config["num_layers"]), 0) :]:
        wrapped = [
            (name, LoRALinear(m, int(lora["rank"]), float(lora["scale"])))
            for name, m in layer.named_modules()
            if isinstance(m, (nn.Linear, nn.QuantizedLinear))
        ]
        if wrapped:
            layer.update_modules(tree_unflatten(wrapped))
    weights = mx.load(str(adapter_dir / "adapters.safetensors"))
    params = {
        n: p for n, p in tree_flatten(net.parameters()) if n.rsplit(".", 1)[-1] in ("lora_a", "lora_b")
    }  # fmt: skip
    errors = [
        f"{name}: not an adapter parameter in the model" if name not in params
        else f"{name}: adapter shape {tuple(w.shape)} does not match {tuple(params[name].shape)}"
        for name, w in weights.items()
        if name not in params or w.shape != params[name].shape
    ]  # fmt: skip
    if errors:
        raise ValueError(
            f"Adapter at {adapter_dir} contains incompatible tensors:\n" + "\n".join(errors)
        )
    net.load_weights(list(weights.items()), strict=False)
    mx.eval(net.parameters())
    return net
