"""Convert a llama-architecture GGUF file into an ordinary mlx-lm model directory.

MLX reads GGUF natively (`mx.load`), quantized weights included (Q4_0/Q4_1/Q8_0 come back
as MLX affine weights, scales and biases). What it does not do is give the result in the
Hugging Face layout that mlx-lm's `llama` model expects, nor a tokenizer. This module:

- renames tensors (`blk.N.attn_q` -> `model.layers.N.self_attn.q_proj`, ...);
- undoes llama.cpp's rotary permutation of the Q and K rows (on weights, scales and biases
  alike), so the model runs with mlx-lm's default, non-traditional RoPE;
- writes `config.json` with each quantized tensor's bits and group size;
- rebuilds the byte-level BPE tokenizer from the GGUF vocabulary and merges and saves it
  with the GGUF's chat template (`tokenizer.json`, `tokenizer_config.json`).

Left out: architectures other than llama, and sentencepiece (`llama`-model) vocabularies.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pii.errors import ModelError

FORMAT_VERSION = 1  # bump when the converted layout changes: caches are then rebuilt

_NAMES = {
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
}
_TOP = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}
_CONTROL = 3  # GGUF token_type of special (control) tokens


def _hf_name(gguf_module: str) -> str:
    if gguf_module in _TOP:
        return _TOP[gguf_module]
    m = re.fullmatch(r"blk\.(\d+)\.(\w+)", gguf_module)
    if not m or m.group(2) not in _NAMES:
        raise ModelError(f"unsupported tensor '{gguf_module}' in GGUF: only llama models convert")
    return f"model.layers.{m.group(1)}.{_NAMES[m.group(2)]}"


def unpermute_rows(x: Any, n_head: int) -> Any:
    """Undo llama.cpp's Q/K row permutation: interleaved rotary pairs back to HF halves."""
    rows = x.shape[0]
    return x.reshape(n_head, rows // n_head // 2, 2, *x.shape[1:]).swapaxes(1, 2).reshape(x.shape)


def permute_rows(x: Any, n_head: int) -> Any:
    """llama.cpp's permutation (the inverse of `unpermute_rows`), for building test files."""
    rows = x.shape[0]
    return x.reshape(n_head, 2, rows // n_head // 2, *x.shape[1:]).swapaxes(1, 2).reshape(x.shape)


def _scalar(meta: dict, key: str, default: Any = None) -> Any:
    if key not in meta:
        if default is None:
            raise ModelError(f"GGUF metadata lacks '{key}': not a llama model file")
        return default
    v = meta[key]
    return v.item() if hasattr(v, "item") else v


def _config(meta: dict, quant: dict[str, dict[str, int]], tied: bool) -> dict[str, Any]:
    n_head = int(_scalar(meta, "llama.attention.head_count"))
    hidden = int(_scalar(meta, "llama.embedding_length"))
    config: dict[str, Any] = {
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": hidden,
        "num_hidden_layers": int(_scalar(meta, "llama.block_count")),
        "intermediate_size": int(_scalar(meta, "llama.feed_forward_length")),
        "num_attention_heads": n_head,
        "num_key_value_heads": int(_scalar(meta, "llama.attention.head_count_kv", n_head)),
        "head_dim": int(_scalar(meta, "llama.rope.dimension_count", hidden // n_head)),
        "rms_norm_eps": float(_scalar(meta, "llama.attention.layer_norm_rms_epsilon", 1e-5)),
        "rope_theta": float(_scalar(meta, "llama.rope.freq_base", 10000.0)),
        "max_position_embeddings": int(_scalar(meta, "llama.context_length", 2048)),
        "vocab_size": len(meta["tokenizer.ggml.tokens"]),
        "tie_word_embeddings": tied,
        "bos_token_id": int(_scalar(meta, "tokenizer.ggml.bos_token_id", 1)),
        "eos_token_id": int(_scalar(meta, "tokenizer.ggml.eos_token_id", 2)),
    }
    if quant:
        # The most common setting is the default; the others are named per module.
        settings = [json.dumps(q, sort_keys=True) for q in quant.values()]
        default = json.loads(max(set(settings), key=settings.count))
        config["quantization"] = dict(default)
        for module, q in sorted(quant.items()):
            if q != default:
                config["quantization"][module] = q
        config["quantization_config"] = config["quantization"]
    return config


def _tokenizer(meta: dict) -> Any:
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    if _scalar(meta, "tokenizer.ggml.model", "gpt2") != "gpt2":
        raise ModelError("GGUF tokenizer is not byte-level BPE ('gpt2'): not supported")
    tokens = list(meta["tokenizer.ggml.tokens"])
    merges = [tuple(m.split(" ", 1)) for m in meta["tokenizer.ggml.merges"]]
    types = [int(t) for t in meta["tokenizer.ggml.token_type"].tolist()]
    vocab = {t: i for i, t in enumerate(tokens)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False))
    # SmolLM/StarCoder-style pre-tokenisation: digits one by one, then GPT-2 byte level.
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    specials = [t for t, ty in zip(tokens, types, strict=True) if ty == _CONTROL]
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])

    def name(key: str) -> str | None:
        i = meta.get(key)
        return tokens[int(i.item())] if i is not None else None

    bos, eos = name("tokenizer.ggml.bos_token_id"), name("tokenizer.ggml.eos_token_id")
    # Chat models end a turn with the end-of-turn token; the GGUF's eos id names it.
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        unk_token=name("tokenizer.ggml.unknown_token_id"),
        pad_token=name("tokenizer.ggml.padding_token_id") or eos,
        chat_template=meta.get("tokenizer.chat_template"),
        clean_up_tokenization_spaces=False,
        add_bos_token=bool(_scalar(meta, "tokenizer.ggml.add_bos_token", False)),
    )


def convert(gguf_path: Path, out_dir: Path, extra: dict[str, Any] | None = None) -> Path:
    """Convert `gguf_path` into an mlx-lm model directory at `out_dir` (atomically)."""
    import mlx.core as mx

    try:
        tensors, meta = mx.load(str(gguf_path), return_metadata=True)
    except Exception as e:  # mlx raises plain RuntimeError/ValueError on bad files
        raise ModelError(
            f"{gguf_path}: cannot read GGUF ({e}); the file may be corrupted"
        ) from None
    if _scalar(meta, "general.architecture", "llama") != "llama":
        raise ModelError(f"{gguf_path}: architecture '{meta['general.architecture']}' unsupported")
    n_head = int(_scalar(meta, "llama.attention.head_count"))
    n_kv = int(_scalar(meta, "llama.attention.head_count_kv", n_head))

    weights: dict[str, Any] = {}
    quant: dict[str, dict[str, int]] = {}
    for key, value in tensors.items():
        module, _, part = key.rpartition(".")
        hf = _hf_name(module)
        if module.endswith(("attn_q", "attn_k")):
            value = unpermute_rows(value, n_head if module.endswith("attn_q") else n_kv)
        weights[f"{hf}.{part}"] = value
        if part == "scales":
            w = tensors[f"{module}.weight"]
            quant[hf] = {"group_size": 32, "bits": _bits(w, value)}
    tied = "output.weight" not in tensors
    config = _config(meta, quant, tied)
    config.update(extra or {})

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}."))
    try:
        mx.save_safetensors(str(tmp / "model.safetensors"), weights, metadata={"format": "mlx"})
        (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        _tokenizer(meta).save_pretrained(str(tmp))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _bits(packed: Any, scales: Any) -> int:
    """Bits per weight from a packed uint32 matrix and its per-group scales.

    GGUF blocks are 32 weights wide, so every type MLX decodes has group size 32 and
    in_features = groups * 32 = packed_cols * 32 / bits.
    """
    return packed.shape[1] * 32 // (scales.shape[1] * 32)
