"""The NumPy ops of pii.engine.cpu_ops give MLX's values and gradients (to 1e-5)."""

import mlx.core as mx
import numpy as np

from pii.engine import cpu_ops


def test_softmax_matches_mlx_in_value_and_gradient_with_masked_entries():
    mx.random.seed(0)
    scores = mx.random.normal((2, 3, 5, 7))
    scores = mx.where(mx.arange(7) > 4, -mx.inf, scores)  # masked keys, as a causal mask gives
    assert cpu_ops.use_numpy()
    want = mx.softmax(scores, axis=-1, precise=True)
    np.testing.assert_allclose(cpu_ops.softmax(scores), want, atol=1e-6)
    weights = mx.random.normal(scores.shape)
    ours = mx.grad(lambda s: (cpu_ops.softmax(s) * weights).sum())(scores)
    plain = mx.grad(lambda s: (mx.softmax(s, axis=-1, precise=True) * weights).sum())(scores)
    np.testing.assert_allclose(ours, plain, atol=1e-5)


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
