"""The exponentials of a transformer block (and attention whole), computed by NumPy on CPU.

MLX's CPU back end evaluates `exp` one element at a time: on this project's build machine
(2 cores) `mx.exp` over 2.4M floats takes ~31 ms where NumPy's vectorised `np.exp` takes
~1.3 ms. In a SmolLM2 block at training shapes (8 x 194 tokens) the SiLU of the MLP and the
softmax of attention then cost more than all seven matrix products together
(bench/results/fast-training-smollm2-135m.json). So the SiLU and the whole attention
(scores, softmax, weighted values) run in NumPy, and MLX's autodiff goes through custom
VJPs written in NumPy too (attention recomputes its probabilities rather than keeping them).

On Metal they fall back to MLX's own ops (a NumPy round trip would stall the GPU).
Left out: the block that uses them (pii.engine.blocks).
"""

from __future__ import annotations

import mlx.core as mx
import numpy as np


def _np(x: mx.array) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    s = np.negative(a)
    np.exp(s, out=s)
    s += 1.0
    return np.reciprocal(s, out=s)


@mx.custom_function
def _silu_mul_np(gate: mx.array, up: mx.array) -> mx.array:
    g = _np(gate)
    out = _sigmoid(g)
    out *= g
    out *= _np(up)
    return mx.array(out)


@_silu_mul_np.vjp
def _silu_mul_vjp(primals, cotangent, output):  # type: ignore[no-untyped-def]
    g, u, c = _np(primals[0]), _np(primals[1]), _np(cotangent)
    s = _sigmoid(g)
    silu = g * s
    d_up = c * silu
    # d silu / d gate = s + silu * (1 - s)
    d_gate = 1.0 - s
    d_gate *= silu
    d_gate += s
    d_gate *= c
    d_gate *= u
    return mx.array(d_gate), mx.array(d_up)


def _attend(q: np.ndarray, k: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """softmax(q k^T + mask) over the last axis, in place on the scores."""
    s = q @ k.swapaxes(-1, -2)
    s += mask
    s -= s.max(axis=-1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=-1, keepdims=True)
    return s


@mx.custom_function
def _attention_np(q: mx.array, k: mx.array, v: mx.array, mask: mx.array) -> mx.array:
    return mx.array(_attend(_np(q), _np(k), _np(mask)) @ _np(v))


@_attention_np.vjp
def _attention_vjp(primals, cotangent, output):  # type: ignore[no-untyped-def]
    q, k, v, mask = (_np(a) for a in primals)
    c = _np(cotangent)
    p = _attend(q, k, mask)  # recomputed, not kept from the forward pass
    d_v = p.swapaxes(-1, -2) @ c
    d_s = c @ v.swapaxes(-1, -2)
    d_s -= (d_s * p).sum(axis=-1, keepdims=True)
    d_s *= p
    d_q, d_k = d_s @ k, d_s.swapaxes(-1, -2) @ q
    return mx.array(d_q), mx.array(d_k), mx.array(d_v), mx.zeros_like(primals[3])


def use_numpy() -> bool:
    """True where the NumPy path is the faster one: MLX on CPU, float32."""
    return mx.default_device() == mx.cpu or not mx.metal.is_available()


def silu_mul(gate: mx.array, up: mx.array) -> mx.array:
    """silu(gate) * up, the SwiGLU of a llama MLP."""
    if use_numpy() and gate.dtype == mx.float32:
        return _silu_mul_np(gate, up)
    return gate * mx.sigmoid(gate) * up


def attention(q: mx.array, k: mx.array, v: mx.array, mask: mx.array) -> mx.array:
    """softmax(q k^T + mask) v over the last two axes (q: (..., n, d), k and v: (..., m, d),
    mask: (n, m) additive). On CPU NumPy runs it whole: its stacked matrix products and
    exponentials take about half the time of MLX's (bench/results/speed-smollm2-135m.json)."""
    if use_numpy() and q.dtype == mx.float32:
        return _attention_np(q, k, v, mask)
    return mx.softmax(q @ k.swapaxes(-1, -2) + mask, axis=-1, precise=True) @ v
