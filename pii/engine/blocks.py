"""A llama block's forward pass written out, so its exponentials run where they are fast.

`run_blocks(layers, h)` gives the same result as calling mlx-lm's blocks with a causal mask
(a test holds it to 1e-5), with the SiLU and the attention softmax from pii.engine.cpu_ops.
It calls the block's own modules (norms, projections, LoRA wrappers, rotary embedding), so an
adapter's weights are the ones trained and saved as usual. A shared prompt prefix can be
run once (batch 1) and its keys and values reused by a batch, with gradients flowing through
both. Only plain llama blocks are written out (`supported` says which); for others the
caller runs mlx-lm's own layers.

Used by the engine's scoring (pii.engine.mlx_engine) and the fast training path
(pii.training.fast). Left out: generation (mlx-lm's KV cache and sampler).
"""

from __future__ import annotations

from collections.abc import Sequence

import mlx.core as mx
import mlx.nn as nn

from pii.engine import cpu_ops

_ATTN = ("q_proj", "k_proj", "v_proj", "o_proj", "rope", "n_heads", "n_kv_heads", "scale")
_MLP = ("gate_proj", "up_proj", "down_proj")
_PLAIN = {"llama", "mistral"}  # mlx-lm modules whose blocks are exactly the llama block


def supported(layer: nn.Module) -> bool:
    """True when `layer` is a plain llama block this module can run."""
    module = type(layer).__module__.rsplit(".", 1)[-1]
    attn, mlp = getattr(layer, "self_attn", None), getattr(layer, "mlp", None)
    return (
        module in _PLAIN
        and attn is not None
        and mlp is not None
        and all(hasattr(attn, a) for a in _ATTN)
        and all(hasattr(mlp, a) for a in _MLP)
        and hasattr(layer, "input_layernorm")
        and hasattr(layer, "post_attention_layernorm")
    )


def causal_mask(n: int, past: int = 0, rep: int = 1) -> mx.array:
    """Additive (rep * n, past + n) mask: every query sees the `past` positions and the
    positions up to its own; -inf elsewhere. Stacked `rep` times for grouped queries."""
    i, j = mx.arange(n)[:, None], mx.arange(past + n)[None, :]
    mask = mx.where(j <= i + past, 0.0, -mx.inf).astype(mx.float32)
    return mx.tile(mask, (rep, 1)) if rep > 1 else mask


KV = tuple[mx.array, mx.array]


def _attention(
    attn: nn.Module, x: mx.array, mask: mx.array, past: KV | None
) -> tuple[mx.array, KV]:
    """Grouped-query attention without repeating K and V: the query heads that share a KV
    head are stacked along the sequence axis, so one matrix product serves them all."""
    b, n, _ = x.shape
    groups, rep = attn.n_kv_heads, attn.n_heads // attn.n_kv_heads
    offset = 0 if past is None else past[0].shape[2]
    q = attn.q_proj(x).reshape(b, n, attn.n_heads, -1).transpose(0, 2, 1, 3)
    k = attn.k_proj(x).reshape(b, n, groups, -1).transpose(0, 2, 1, 3)
    v = attn.v_proj(x).reshape(b, n, groups, -1).transpose(0, 2, 1, 3)
    q, k = attn.rope(q, offset=offset) * attn.scale, attn.rope(k, offset=offset)
    own = (k, v)
    if past is not None:  # a shared prefix (batch 1) before every row
        pk, pv = (mx.broadcast_to(a, (b, *a.shape[1:])) for a in past)
        k, v = mx.concatenate([pk, k], axis=2), mx.concatenate([pv, v], axis=2)
    q = q.reshape(b, groups, rep * n, -1)
    p = cpu_ops.softmax(q @ k.transpose(0, 1, 3, 2) + mask)
    out = (p @ v).reshape(b, attn.n_heads, n, -1)
    return attn.o_proj(out.transpose(0, 2, 1, 3).reshape(b, n, -1)), own


def run_blocks(
    layers: Sequence[nn.Module], h: mx.array, past: Sequence[KV] | None = None
) -> tuple[mx.array, list[KV]]:
    """Hidden states after `layers` (causal attention over `h`, shape (B, n, d)), and each
    layer's keys and values of `h`. `past` holds a shared prefix's keys and values per layer
    (batch 1, as this function returned them): `h` then continues that prefix."""
    if not all(supported(layer) for layer in layers):
        raise ValueError("run_blocks: not a plain llama block; run the model's own layers")
    kvs: list[KV] = []
    if not layers:
        return h, kvs
    attn0 = layers[0].self_attn
    offset = 0 if past is None else past[0][0].shape[2]
    mask = causal_mask(h.shape[1], offset, attn0.n_heads // attn0.n_kv_heads)
    for i, layer in enumerate(layers):
        a, kv = _attention(
            layer.self_attn, layer.input_layernorm(h), mask, None if past is None else past[i]
        )
        kvs.append(kv)
        h = h + a
        mlp, z = layer.mlp, layer.post_attention_layernorm(h)
        h = h + mlp.down_proj(cpu_ops.silu_mul(mlp.gate_proj(z), mlp.up_proj(z)))
    return h, kvs
