"""The two exponentials of a transformer block, computed by NumPy on CPU.

MLX's CPU back end evaluates `exp` one element at a time: on this project's build machine
(2 cores) `mx.exp` over 2.4M floats takes ~31 ms where NumPy's vectorised `np.exp` takes
~1.3 ms. In a SmolLM2 block at training shapes (8 x 194 tokens) the SiLU of the MLP and the
softmax of attention then cost more than all seven matrix products together
(bench/results/fast-training-smollm2-135m.json). These two ops run their exponentials in
NumPy, and MLX's autodiff goes through custom VJPs written in NumPy too (elementwise).

Only elementwise work belongs here, never a matrix product: NumPy's products run on NumPy's
own OpenBLAS thread pool beside the one MLX uses, and on 2 cores the two pools' threads take
the cores from each other (attention whole in NumPy, faster alone, made scoring 2-3x slower
in the pipeline: docs/speed.md).

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


@mx.custom_function
def _softmax_np(scores: mx.array) -> mx.array:
    e = _np(scores) - _np(scores).max(axis=-1, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=-1, keepdims=True)
    return mx.array(e)


@_softmax_np.vjp
def _softmax_vjp(primals, cotangent, output):  # type: ignore[no-untyped-def]
    p, c = _np(output), _np(cotangent)
    d = c - (c * p).sum(axis=-1, keepdims=True)
    d *= p
    return (mx.array(d),)


def use_numpy() -> bool:
    """True where the NumPy path is the faster one: MLX on CPU, float32."""
    return mx.default_device() == mx.cpu or not mx.metal.is_available()


def silu_mul(gate: mx.array, up: mx.array) -> mx.array:
    """silu(gate) * up, the SwiGLU of a llama MLP."""
    if use_numpy() and gate.dtype == mx.float32:
        return _silu_mul_np(gate, up)
    return gate * mx.sigmoid(gate) * up


def softmax(scores: mx.array) -> mx.array:
    """Softmax over the last axis (masked entries hold -inf)."""
    if use_numpy() and scores.dtype == mx.float32:
        return _softmax_np(scores)
    return mx.softmax(scores, axis=-1, precise=True)
