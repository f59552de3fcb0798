"""The NumPy ops of pii.engine.cpu_ops give MLX's values and gradients (to 1e-5)."""

import mlx.core as mx
import numpy as np
import pytest

from pii.engine import cpu_ops
from pii.engine.blocks import causal_mask


def _plain_attention(q, k, v, mask):
    return mx.softmax(q @ k.swapaxes(-1, -2) + mask, axis=-1, precise=True) @ v


@pytest.mark.parametrize("past", [0, 5])
def test_attention_matches_mlx_in_value_and_gradient(past):
    mx.random.seed(0)
    b, g, rep, n, d = 2, 3, 2, 7, 8
    q = mx.random.normal((b, g, rep * n, d))
    k = mx.random.normal((b, g, past + n, d))
    v = mx.random.normal((b, g, past + n, d))
    mask = causal_mask(n, past, rep)
    assert cpu_ops.use_numpy()
    np.testing.assert_allclose(cpu_ops.attention(q, k, v, mask), _plain_attention(q, k, v, mask),
                               atol=1e-5)  # fmt: skip
    weights = mx.random.normal((b, g, rep * n, d))

    def loss(fn):
        return lambda q, k, v: (fn(q, k, v, mask) * weights).sum()

    ours = mx.grad(loss(cpu_ops.attention), argnums=(0, 1, 2))(q, k, v)
    plain = mx.grad(loss(_plain_attention), argnums=(0, 1, 2))(q, k, v)
    for a, e in zip(ours, plain, strict=True):
        np.testing.assert_allclose(a, e, atol=1e-5)


def test_attention_gradient_reaches_a_broadcast_prefix():
    mx.random.seed(1)
    q = mx.random.normal((3, 1, 4, 8))
    own = mx.random.normal((3, 1, 4, 8))
    prefix = mx.random.normal((1, 1, 2, 8))
    mask = causal_mask(4, 2)

    def loss(fn):
        def f(prefix):
            kv = mx.concatenate([mx.broadcast_to(prefix, (3, 1, 2, 8)), own], axis=2)
            return fn(q, kv, kv, mask).sum()

        return f

    np.testing.assert_allclose(mx.grad(loss(cpu_ops.attention))(prefix),
                               mx.grad(loss(_plain_attention))(prefix), atol=1e-5)  # fmt: skip


def test_silu_mul_matches_mlx_in_value_and_gradient():
    mx.random.seed(2)
    gate, up = mx.random.normal((4, 9)), mx.random.normal((4, 9))

    def plain(g, u):
        return g * mx.sigmoid(g) * u

    np.testing.assert_allclose(cpu_ops.silu_mul(gate, up), plain(gate, up), atol=1e-6)
    ours = mx.grad(lambda g, u: cpu_ops.silu_mul(g, u).sum(), argnums=(0, 1))(gate, up)
    want = mx.grad(lambda g, u: plain(g, u).sum(), argnums=(0, 1))(gate, up)
    for a, e in zip(ours, want, strict=True):
        np.testing.assert_allclose(a, e, atol=1e-5)
