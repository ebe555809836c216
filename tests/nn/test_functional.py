"""minigan.nn.functional: linear, dropout, activations, softmax, embedding, layer_norm; float64 gradchecks."""
import importlib
import importlib.util
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigan as mg
import minigan.nn.functional as F


def _t(a, requires_grad=True):
    return mg.tensor(np.asarray(a), requires_grad=requires_grad)


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ---- linear ---------------------------------------------------------------------------------


@pytest.mark.parametrize("in_shape", [(4, 3), (3,), (2, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradchecks(in_shape, bias):
    x, w = _t(_rand(*in_shape, seed=1)), _t(_rand(5, 3, seed=2))
    inputs = (x, w, _t(_rand(5, seed=3))) if bias else (x, w)
    fn = lambda *a: F.linear(*a)  # noqa: E731
    assert mg.gradcheck(fn, inputs)
    assert mg.gradgradcheck(fn, inputs)


def test_linear_values_and_dtype():
    x = _rand(6, 4, seed=4).astype(np.float32)
    w = _rand(3, 4, seed=5).astype(np.float32)
    b = _rand(3, seed=6).astype(np.float32)
    y = F.linear(_t(x), _t(w), _t(b))
    assert y.dtype == np.float32 and y.shape == (6, 3)
    np.testing.assert_allclose(y.numpy(), x @ w.T + b, rtol=1e-5, atol=1e-5)
    y3 = F.linear(_t(x.reshape(2, 3, 4)), _t(w))
    np.testing.assert_allclose(y3.numpy(), (x @ w.T).reshape(2, 3, 3), rtol=1e-5, atol=1e-5)


def test_linear_shape_errors():
    with pytest.raises(ValueError, match=r"\(2, 5\).*\(3, 4\)"):
        F.linear(_t(np.ones((2, 5))), _t(np.ones((3, 4))))
    with pytest.raises(ValueError, match="bias"):
        F.linear(_t(np.ones((2, 4))), _t(np.ones((3, 4))), _t(np.ones(4)))


def test_linear_does_not_touch_grad_of_constants():
    x = _t(_rand(2, 3), requires_grad=False)
    w = _t(_rand(4, 3))
    F.linear(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (4, 3)


# ---- dropout ----------------------------------------------------------------------------


def test_dropout_gradcheck_with_fixed_mask():
    x = _t(_rand(4, 5, seed=7))

    def fn(x):
        mg.manual_seed(123)
        return F.dropout(x, 0.4, training=True)

    assert mg.gradcheck(fn, (x,))
    assert mg.gradgradcheck(fn, (x,))


def test_dropout_is_inverted_and_reproducible():
    x = mg.ones(200, 100)
    mg.manual_seed(0)
    a = F.dropout(x, 0.3)
    mg.manual_seed(0)
    b = F.dropout(x, 0.3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    vals = np.unique(a.numpy())
    np.testing.assert_allclose(vals, [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((a.numpy() == 0).mean() - 0.3) < 0.02
    assert a.dtype == np.float32


def test_dropout_edge_cases():
    x = _t(_rand(3, 4))
    assert F.dropout(x, 0.0) is x
    assert F.dropout(x, 0.7, training=False) is x
    z = F.dropout(x, 1.0)
    np.testing.assert_array_equal(z.numpy(), 0)
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0)
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(x, bad)


def test_dropout_gradient_is_the_mask():
    x = _t(_rand(50, 20, seed=8))
    y = F.dropout(x, 0.5)
    y.sum().backward()
    mask = y.numpy() / x.numpy()
    np.testing.assert_allclose(x.grad.numpy(), mask, rtol=1e-12)


# ---- activations and softmax ---------------------------------------------------------------

ACTIVATIONS = {
    "relu": lambda x: F.relu(x),
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "softplus": F.softplus,
    "softplus_beta": lambda x: F.softplus(x, beta=2.0, threshold=3.0),
    "log_sigmoid": F.log_sigmoid,
    "softmax": lambda x: F.softmax(x, dim=1),
    "log_softmax": lambda x: F.log_softmax(x, dim=1),
    "softmax0": lambda x: F.softmax(x, dim=0),
    "log_softmax_last": lambda x: F.log_softmax(x, dim=-1),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_gradchecks(name):
    x = _rand(3, 4, seed=9) * 2
    x[np.abs(x) < 0.05] += 0.2  # keep away from the kinks of relu / leaky_relu
    x[np.abs(x * 2 - 3.0) < 0.05] += 0.2  # and from the softplus threshold
    t = _t(x)
    assert mg.gradcheck(ACTIVATIONS[name], (t,))
    assert mg.gradgradcheck(ACTIVATIONS[name], (t,))


def test_activation_values():
    x = np.array([[-30.0, -1.0, 0.5, 40.0]])
    t = _t(x, False)
    np.testing.assert_allclose(F.leaky_relu(t).numpy(), np.where(x > 0, x, 0.01 * x))
    np.testing.assert_allclose(F.softplus(t).numpy(), np.where(x > 20, x, np.log1p(np.exp(x))), rtol=1e-12)
    np.testing.assert_allclose(F.softplus(t, beta=2).numpy(), np.where(2 * x > 20, x, np.log1p(np.exp(2 * x)) / 2),
                               rtol=1e-12)
    np.testing.assert_allclose(F.log_sigmoid(t).numpy(), -np.logaddexp(0, -x), rtol=1e-12)
    e = np.exp(x - x.max(1, keepdims=True))
    np.testing.assert_allclose(F.softmax(t, dim=1).numpy(), e / e.sum(1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(t, dim=1).numpy(), np.log(e / e.sum(1, keepdims=True)), rtol=1e-12)


def test_softmax_implicit_dim_warns_like_pytorch():
    t = _t(_rand(2, 3), False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = F.softmax(t)
    assert any("Implicit dimension" in str(w.message) for w in caught)
    np.testing.assert_allclose(y.numpy().sum(1), 1.0)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=8))
def test_log_softmax_is_finite_and_normalised(values):
    x = np.asarray(values, dtype=np.float64)[None]
    y = F.log_softmax(_t(x, False), dim=1).numpy()
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(np.exp(y).sum(), 1.0, rtol=1e-9)


# ---- embedding, one_hot, layer_norm, pad -----------------------------------------------------


def test_embedding_gradcheck_with_repeated_indices():
    w = _t(_rand(5, 3, seed=10))
    idx = np.array([[0, 2, 2], [4, 0, 2]])
    fn = lambda w: F.embedding(mg.tensor(idx), w)  # noqa: E731
    assert mg.gradcheck(fn, (w,))
    assert mg.gradgradcheck(fn, (w,))
    y = fn(w)
    np.testing.assert_array_equal(y.numpy(), w.numpy()[idx])
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], [2, 0, 3, 0, 1])


def test_embedding_padding_idx_gets_no_gradient():
    w = _t(_rand(4, 2, seed=11))
    idx = mg.tensor(np.array([1, 3, 1, 0]))
    y = F.embedding(idx, w, padding_idx=1)
    np.testing.assert_array_equal(y.numpy()[0], w.numpy()[1])
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], [1, 0, 0, 1])
    assert mg.gradgradcheck(lambda w: F.embedding(idx, w, padding_idx=1), (w,))
    with pytest.raises(IndexError):
        F.embedding(mg.tensor(np.array([4])), w)
    with pytest.raises(TypeError):
        F.embedding(mg.tensor(np.array([0.5])), w)


def test_one_hot():
    y = F.one_hot(mg.tensor(np.array([0, 2, 1])), 4)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y.numpy(), np.eye(4, dtype=np.int64)[[0, 2, 1]])
    assert F.one_hot(mg.tensor(np.array([[3]]))).shape == (1, 1, 4)


def test_layer_norm_gradchecks():
    x = _t(_rand(3, 2, 4, seed=12))
    g, b = _t(_rand(2, 4, seed=13)), _t(_rand(2, 4, seed=14))
    fn = lambda x, g, b: F.layer_norm(x, (2, 4), g, b)  # noqa: E731
    assert mg.gradcheck(fn, (x, g, b))
    assert mg.gradgradcheck(fn, (x, g, b))
    y = F.layer_norm(_t(x.numpy(), False), 4).numpy()
    xn = x.numpy()
    ref = (xn - xn.mean(-1, keepdims=True)) / np.sqrt(xn.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, ref, rtol=1e-10)


def test_pad_uses_pytorch_order():
    y = F.pad(_t(np.ones((1, 2, 3)), False), (1, 2), value=5.0)
    assert y.shape == (1, 2, 6)
    assert y.numpy()[0, 0, 0] == 5.0 and y.numpy()[0, 0, -1] == 5.0


# ---- re-exports ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, module", [("conv2d", "minigan.ops.conv"), ("conv_transpose2d", "minigan.ops.conv"),
                                          ("max_pool2d", "minigan.ops.pool"), ("avg_pool2d", "minigan.ops.pool")])
def test_conv_and_pool_are_reexported(name, module):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} not written yet")
    mod = importlib.import_module(module)
    assert getattr(F, name) is getattr(mod, name)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError):
        F.no_such_function  # noqa: B018




def test_linear_and_dropout_on_device(device):
    x = _rand(8, 5, seed=20).astype(np.float32)
    w = _rand(3, 5, seed=21).astype(np.float32)
    xt = mg.tensor(x, device=device, requires_grad=True)
    wt = mg.tensor(w, device=device, requires_grad=True)
    y = F.dropout(F.linear(xt, wt), 0.5)
    assert y.device == mg.Device(device) and y.dtype == np.float32
    y.sum().backward()
    kept = y.numpy() != 0
    np.testing.assert_allclose(y.numpy()[kept], 2 * (x @ w.T)[kept], rtol=1e-5)
    assert xt.grad.device == mg.Device(device)
