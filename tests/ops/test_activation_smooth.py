"""elu, gelu, silu, mish, hardtanh, prelu, dropout2d and normalize / cosine_similarity / pairwise_distance:
check_op on random shapes against NumPy formulas, and bad input."""
import math

import numpy as np
import pytest
from conftest import make_tensor, separated_arrays, shapes
from hypothesis import given, settings

import minigan as mg
from minigan.ops.activation_smooth import elu, gelu, hardtanh, mish, prelu, silu
from minigan.ops.channel_dropout import dropout2d
from minigan.ops.distance import cosine_similarity, normalize, pairwise_distance
from minigan.testing import check_op

_erf = np.vectorize(math.erf)
_softplus = lambda a: np.logaddexp(0, a)  # noqa: E731
CASES = {
    "elu": (lambda t: elu(t, 0.7), lambda a: np.where(a > 0, a, 0.7 * np.expm1(a))),
    "gelu": (gelu, lambda a: 0.5 * a * (1 + _erf(a / math.sqrt(2)))),
    "gelu_tanh": (lambda t: gelu(t, "tanh"),
                  lambda a: 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)))),
    "silu": (silu, lambda a: a / (1 + np.exp(-a))),
    "mish": (mish, lambda a: a * np.tanh(_softplus(a))),
    "hardtanh": (lambda t: hardtanh(t, -0.52, 0.73), lambda a: np.clip(a, -0.52, 0.73)),  # bounds off the grid
}


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=10, deadline=None)
@given(x=shapes(max_dims=3).flatmap(lambda s: separated_arrays(s)))
def test_activation_check_op(device, name, x):
    fn, ref = CASES[name]
    check_op(fn, [x], ref, device)


@settings(max_examples=10, deadline=None)
@given(x=shapes(min_dims=2, max_dims=4).flatmap(lambda s: separated_arrays(s)))
def test_prelu_check_op_per_channel(device, x):
    w = np.linspace(0.1, 0.4, x.shape[1])
    ref = lambda a, b: np.where(a > 0, a, a * b.reshape((-1,) + (1,) * (a.ndim - 2)))  # noqa: E731
    check_op(prelu, [x, w], ref, device)


def test_hardtanh_gradient_is_zero_on_the_bounds(device):
    x = make_tensor([-1.0, -0.5, 0.0, 1.0, 2.0], device, requires_grad=True)
    hardtanh(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 1, 0, 0])


def test_gelu_bad_approximate():
    with pytest.raises(ValueError, match="approximate"):
        gelu(mg.zeros(2), "fast")


def test_prelu_bad_weight_size():
    with pytest.raises(ValueError, match=r"prelu: weight of shape \(3,\) has 3 parameters.*\(2, 4\) has 4"):
        prelu(mg.zeros(2, 4), mg.zeros(3))


def test_dropout2d_zeros_whole_channels_and_is_seeded(device):
    x = make_tensor(np.ones((4, 8, 3, 3)), device, requires_grad=True)
    mg.manual_seed(0)
    y = dropout2d(x, 0.5)
    mg.manual_seed(0)
    np.testing.assert_array_equal(dropout2d(x, 0.5).numpy(), y.numpy())
    per_channel = y.numpy().reshape(4, 8, 9)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())
    assert dropout2d(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        dropout2d(x, 1.5)


@settings(max_examples=10, deadline=None)
@given(x=shapes(min_dims=2, max_dims=3).flatmap(lambda s: separated_arrays(s)))
def test_normalize_check_op(device, x):
    check_op(lambda t: normalize(t, dim=1), [x],
             lambda a: a / np.maximum(np.sqrt((a * a).sum(axis=1, keepdims=True)), 1e-12), device)


@settings(max_examples=10, deadline=None)
@given(x=shapes(min_dims=2, max_dims=3).flatmap(lambda s: separated_arrays(s)))
def test_cosine_similarity_and_pairwise_distance_check_op(device, x):
    y = x[::-1].copy() + 0.3
    cos = lambda a, b: (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)  # noqa: E731
    check_op(cosine_similarity, [x, y], cos, device)
    check_op(pairwise_distance, [x, y], lambda a, b: np.linalg.norm(a - b + 1e-6, axis=-1), device)
