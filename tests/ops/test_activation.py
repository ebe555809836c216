"""minigan/ops/activation.py: activations against NumPy, gradcheck, gradgradcheck and linearity on
random shapes; stability for large inputs."""
import numpy as np
import pytest
from conftest import arrays, make_tensor, separated_arrays, shapes
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan.testing import check_op


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _softplus(a):
    return np.log1p(np.exp(a))


def _softmax(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


ELEMENTWISE = [
    # relu and leaky_relu are checked on values at least 0.05 away from their kink at 0
    ("relu", mg.relu, lambda a: np.maximum(a, 0), separated_arrays),
    ("relu-method", mg.Tensor.relu, lambda a: np.maximum(a, 0), separated_arrays),
    ("leaky_relu", lambda t: mg.leaky_relu(t, 0.2), lambda a: np.where(a > 0, a, 0.2 * a), separated_arrays),
    ("leaky_relu-default", mg.leaky_relu, lambda a: np.where(a > 0, a, 0.01 * a), separated_arrays),
    ("sigmoid", mg.sigmoid, _sigmoid, lambda s: arrays(s, -4, 4)),
    ("tanh", mg.tanh, np.tanh, lambda s: arrays(s, -3, 3)),
    ("softplus", mg.softplus, _softplus, lambda s: arrays(s, -4, 4)),
    ("log_sigmoid", mg.log_sigmoid, lambda a: -_softplus(-a), lambda s: arrays(s, -4, 4)),
]


@pytest.mark.parametrize("name, fn, ref, domain", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
@given(data=st.data())
def test_elementwise_activation(device, name, fn, ref, domain, data):
    x = data.draw(shapes().flatmap(domain))
    check_op(fn, [x], ref, device)


@pytest.mark.parametrize("name, fn, ref", [
    ("softmax", mg.softmax, _softmax),
    ("log_softmax", mg.log_softmax, lambda a, axis: np.log(_softmax(a, axis))),
], ids=["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax_family(device, name, fn, ref, data):
    x = data.draw(shapes(min_dims=1).flatmap(lambda s: arrays(s, -3, 3)))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    check_op(lambda t: fn(t, axis), [x], lambda a: ref(a, axis), device)


def test_softmax_of_0d_and_default_axis(make):
    np.testing.assert_allclose(mg.softmax(make(2.0)).numpy(), 1.0)
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(mg.softmax(make(x)).numpy(), _softmax(x, -1))
    np.testing.assert_allclose(make(x).log_softmax().numpy(), np.log(_softmax(x, -1)))


def test_stable_for_large_inputs(device):
    big = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=np.float32)
    x = make_tensor(big, device, dtype=np.float32, requires_grad=True)
    outputs = [mg.sigmoid(x), mg.tanh(x), mg.softplus(x), mg.log_sigmoid(x), mg.softmax(x), mg.log_softmax(x)]
    for y in outputs:
        assert y.dtype == np.float32
        assert np.isfinite(y.numpy()).all(), y
    np.testing.assert_allclose(mg.softplus(x).numpy(), [0, 0, np.log(2), 50, 1000], atol=1e-6)
    np.testing.assert_allclose(mg.log_sigmoid(x).numpy(), [-1000, -50, -np.log(2), 0, 0], atol=1e-6)
    sum(y.sum() for y in outputs[:4]).backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_relu_second_derivative_is_zero(make):
    x = make([-1.0, 2.0], requires_grad=True)
    (g,) = mg.grad(mg.relu(x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.numpy(), [0.0, 1.0])
    (h,) = mg.grad((g * x).sum(), x, allow_unused=True)
    np.testing.assert_array_equal(h.numpy(), [0.0, 1.0])  # d/dx (relu'(x) * x) = relu'(x)
