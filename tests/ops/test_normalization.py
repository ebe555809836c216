"""Fused batch norm: values and running statistics against NumPy, first and second derivatives in float64."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigan as mg
from minigan.nn import functional as F
from minigan.ops.normalization import BatchNormGrad, BatchNormTrain


def _t(a, requires_grad=True):
    return mg.tensor(np.asarray(a), requires_grad=requires_grad)


def _axes(ndim):
    return (0,) + tuple(range(2, ndim))


def _ref_train(x, gamma, beta, eps=1e-5):
    axes = _axes(x.ndim)
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    xhat = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    return xhat * gamma.reshape(shape) + beta.reshape(shape), mean, var


SHAPES = [(5, 3), (4, 3, 2), (3, 2, 2, 3)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("affine", [True, False])
def test_train_gradcheck_and_gradgradcheck(shape, affine):
    rng = np.random.default_rng(1)
    x = _t(rng.standard_normal(shape) * 2 + 0.5)
    c = shape[1]
    if affine:
        g = _t(rng.standard_normal(c))
        b = _t(rng.standard_normal(c))
        fn = lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True)  # noqa: E731
        inputs = (x, g, b)
    else:
        fn = lambda x: F.batch_norm(x, None, None, training=True)  # noqa: E731
        inputs = (x,)
    assert mg.gradcheck(fn, inputs)
    assert mg.gradgradcheck(fn, inputs)


@pytest.mark.parametrize("shape", [(5, 3), (3, 2, 2, 3)])
def test_eval_gradcheck_and_gradgradcheck(shape):
    rng = np.random.default_rng(2)
    c = shape[1]
    x = _t(rng.standard_normal(shape))
    g, b = _t(rng.standard_normal(c)), _t(rng.standard_normal(c))
    rm, rv = _t(rng.standard_normal(c), False), _t(rng.random(c) + 0.5, False)
    fn = lambda x, g, b: F.batch_norm(x, rm, rv, g, b, training=False)  # noqa: E731
    assert mg.gradcheck(fn, (x, g, b))
    assert mg.gradgradcheck(fn, (x, g, b))


def test_double_backward_through_gradient_penalty():
    """d/dgamma of ||d(loss)/dx||^2: exercises BatchNormGrad.backward with every input."""
    rng = np.random.default_rng(3)
    x = _t(rng.standard_normal((4, 2, 3)))
    g, b = _t(rng.standard_normal(2)), _t(rng.standard_normal(2))

    def penalty(x, g, b):
        y = F.batch_norm(x, None, None, g, b, training=True)
        (gx,) = mg.grad((y * y * y).sum(), x, create_graph=True)
        return (gx * gx).sum()

    assert mg.gradcheck(penalty, (x, g, b))


def test_grad_function_is_double_differentiable():
    """gradcheck BatchNormGrad as a function of (x, gamma, gy) directly."""
    rng = np.random.default_rng(4)
    x = _t(rng.standard_normal((3, 2, 2)))
    g = _t(rng.standard_normal(2))
    gy = _t(rng.standard_normal((3, 2, 2)))

    def grads(x, g, gy):
        fn = BatchNormTrain(1e-5)
        fn.forward(x.array, g.array, np.zeros(2))
        return BatchNormGrad(fn.xhat.reshape(x.shape), fn.inv_std, 1e-5)(x, g, gy)

    assert mg.gradcheck(grads, (x, g, gy))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 5), c=st.integers(1, 4), spatial=st.sampled_from([(), (3,), (2, 3)]),
       scale=st.floats(0.1, 100.0), shift=st.floats(-50, 50))
def test_train_forward_matches_numpy(n, c, spatial, scale, shift):
    rng = np.random.default_rng(n * 100 + c)
    x = rng.standard_normal((n, c) + spatial) * scale + shift
    gamma, beta = rng.standard_normal(c), rng.standard_normal(c)
    y = F.batch_norm(_t(x, False), None, None, _t(gamma, False), _t(beta, False), training=True)
    ref, _, _ = _ref_train(x, gamma, beta)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("shape", SHAPES)
def test_running_stats_update_like_pytorch(shape):
    rng = np.random.default_rng(5)
    c = shape[1]
    rm_ref, rv_ref = np.zeros(c), np.ones(c)
    rm, rv = _t(rm_ref.copy(), False), _t(rv_ref.copy(), False)
    momentum = 0.3
    m = int(np.prod(shape)) // c
    for _ in range(3):
        x = rng.standard_normal(shape) * 3 + 1
        F.batch_norm(_t(x), rm, rv, None, None, training=True, momentum=momentum)
        mean, var = x.mean(axis=_axes(x.ndim)), x.var(axis=_axes(x.ndim))
        rm_ref = (1 - momentum) * rm_ref + momentum * mean
        rv_ref = (1 - momentum) * rv_ref + momentum * var * m / (m - 1)
    np.testing.assert_allclose(rm.numpy(), rm_ref, rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), rv_ref, rtol=1e-12)


def test_cumulative_average_with_momentum_none():
    rng = np.random.default_rng(6)
    rm, rv = _t(np.zeros(2), False), _t(np.ones(2), False)
    xs = [rng.standard_normal((4, 2)) for _ in range(3)]
    for k, x in enumerate(xs, start=1):
        F.batch_norm(_t(x), rm, rv, training=True, momentum=None, num_batches_tracked=k)
    np.testing.assert_allclose(rm.numpy(), np.mean([x.mean(0) for x in xs], axis=0), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), np.mean([x.var(0, ddof=1) for x in xs], axis=0), rtol=1e-12)
    with pytest.raises(ValueError, match="num_batches_tracked"):
        F.batch_norm(_t(xs[0]), rm, rv, training=True, momentum=None)


def test_eval_uses_running_stats():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 2, 4, 4))
    rm, rv = np.array([0.5, -1.0]), np.array([2.0, 0.25])
    gamma, beta = np.array([1.5, -0.5]), np.array([0.1, 0.2])
    y = F.batch_norm(_t(x, False), _t(rm, False), _t(rv, False), _t(gamma, False), _t(beta, False), training=False)
    shape = (1, 2, 1, 1)
    ref = (x - rm.reshape(shape)) / np.sqrt(rv.reshape(shape) + 1e-5) * gamma.reshape(shape) + beta.reshape(shape)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12)
    # eval mode never touches the running statistics
    rmt = _t(rm, False)
    F.batch_norm(_t(x, False), rmt, _t(rv, False), training=False)
    np.testing.assert_array_equal(rmt.numpy(), rm)


def test_float32_stays_float32():
    rng = np.random.default_rng(8)
    x = mg.tensor(rng.standard_normal((8, 4, 5, 5)).astype(np.float32), requires_grad=True)
    g = mg.tensor(np.ones(4, np.float32), requires_grad=True)
    b = mg.tensor(np.zeros(4, np.float32), requires_grad=True)
    rm, rv = mg.zeros(4), mg.ones(4)
    y = F.batch_norm(x, rm, rv, g, b, training=True)
    (y * y * y).sum().backward()
    for t in (y, x.grad, g.grad, b.grad, rm, rv):
        assert t.dtype == np.float32
    # and the float32 result agrees with a float64 reference
    ref, _, _ = _ref_train(x.numpy().astype(np.float64), np.ones(4), np.zeros(4))
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-4, atol=1e-4)


def test_gradients_match_closed_form():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((6, 3, 2, 2))
    gy = rng.standard_normal(x.shape)
    gamma = rng.standard_normal(3)
    xt, gt, bt = _t(x), _t(gamma), _t(np.zeros(3))
    y = F.batch_norm(xt, None, None, gt, bt, training=True)
    y.backward(mg.tensor(gy))
    axes, shape = (0, 2, 3), (1, 3, 1, 1)
    xhat = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + 1e-5)
    inv_std = 1 / np.sqrt(x.var(axes, keepdims=True) + 1e-5)
    gx = gamma.reshape(shape) * inv_std * (gy - gy.mean(axes, keepdims=True)
                                           - xhat * (gy * xhat).mean(axes, keepdims=True))
    np.testing.assert_allclose(xt.grad.numpy(), gx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gt.grad.numpy(), (gy * xhat).sum(axes), rtol=1e-10)
    np.testing.assert_allclose(bt.grad.numpy(), gy.sum(axes), rtol=1e-10)


def test_errors():
    x = _t(np.ones((1, 3)))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(x, None, None, training=True)
    with pytest.raises(ValueError, match="eval mode"):
        F.batch_norm(_t(np.ones((2, 3))), None, None, training=False)
    with pytest.raises(ValueError, match=r"\(4,\).*3 channels"):
        F.batch_norm(_t(np.ones((2, 3))), None, None, _t(np.ones(4)), training=True)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        F.batch_norm(_t(np.ones(3)), None, None, training=True)


def test_backward_twice_with_retain_graph():
    rng = np.random.default_rng(10)
    x = _t(rng.standard_normal((4, 2)))
    y = F.batch_norm(x, None, None, training=True)
    loss = (y * _t(rng.standard_normal((4, 2)), False)).sum()
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_train_and_eval_on_device(device):
    """Same numbers on every device (the cuda run is skipped without a GPU)."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((4, 3, 5, 5)).astype(np.float32)
    gy = rng.standard_normal(x.shape).astype(np.float32)
    results = {}
    for dev in ("cpu", device):
        xt = mg.tensor(x, device=dev, requires_grad=True)
        g = mg.tensor(np.full(3, 1.5, np.float32), device=dev, requires_grad=True)
        b = mg.tensor(np.full(3, 0.5, np.float32), device=dev, requires_grad=True)
        rm, rv = mg.zeros(3, device=dev), mg.ones(3, device=dev)
        y = F.batch_norm(xt, rm, rv, g, b, training=True)
        y.backward(mg.tensor(gy, device=dev))
        ye = F.batch_norm(xt, rm, rv, g, b, training=False)
        assert y.device == mg.Device(dev) and rm.device == mg.Device(dev)
        results[dev] = [t.numpy() for t in (y, xt.grad, g.grad, b.grad, rm, rv, ye)]
    for a, b in zip(results["cpu"], results[device]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def _batch_last(a):
    """The same values as `a` (N, C, H, W), stored the way the convolutions return them: (C, H, W, N)."""
    return np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


def _leaf(a):
    """A leaf that keeps `a`'s memory layout (mg.tensor would copy it into C order)."""
    return mg.Tensor(a, requires_grad=True)


def _same_as_contiguous(rng, shape, layout):
    """Training-mode batch norm on `layout(x)` gives the values and gradients it gives on a
    C-contiguous x; returns the output array of the `layout` run."""
    c = shape[1]
    x, gy = rng.standard_normal(shape), rng.standard_normal(shape)
    gamma, beta = rng.standard_normal(c), rng.standard_normal(c)
    results = []
    for lay in (np.ascontiguousarray, layout):
        xt, g, b = _leaf(lay(x)), _t(gamma), _t(beta)
        y = F.batch_norm(xt, None, None, g, b, training=True)
        y.backward(mg.Tensor(lay(gy)))
        results.append((y.numpy(), xt.grad.numpy(), g.grad.numpy(), b.grad.numpy(), y.array))
    for a, b in zip(results[0][:4], results[1][:4]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    return results[1][4]


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 4), c=st.integers(1, 3), h=st.integers(1, 3), w=st.integers(1, 3), seed=st.integers(0, 99))
def test_channel_major_layout_matches_contiguous(n, c, h, w, seed):
    # Conv outputs are batch-last views: batch norm reads them in place, so check that path gives
    # the same values and gradients as a contiguous input, and keeps the layout for the next conv.
    y = _same_as_contiguous(np.random.default_rng(seed), (n, c, h, w), _batch_last)
    assert y.transpose(1, 2, 3, 0).flags.c_contiguous


def test_channel_major_layout_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(3)
    x = _leaf(_batch_last(rng.standard_normal((3, 2, 2, 3))))
    gamma, beta = _t(rng.standard_normal(2)), _t(rng.standard_normal(2))
    fn = lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True)  # noqa: E731
    assert mg.gradcheck(fn, (x, gamma, beta))
    assert mg.gradgradcheck(fn, (x, gamma, beta))


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 5), c=st.integers(1, 6), seed=st.integers(0, 99))
def test_feature_major_2d_matches_contiguous(n, c, seed):
    # Linear layers may return (N, C) as a transposed view of a (C, N) block (feature-major):
    # batch norm 1-d reads that in place (per-feature sums as a matrix-vector product) and keeps it.
    rng = np.random.default_rng(seed)
    y = _same_as_contiguous(rng, (n, c), np.asfortranarray)
    if n > 1 and c > 1:
        assert y.flags.f_contiguous and not y.flags.c_contiguous
    xf = _leaf(np.asfortranarray(rng.standard_normal((n, c))))
    fn = lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True)  # noqa: E731
    assert mg.gradcheck(fn, (xf, _t(rng.standard_normal(c)), _t(rng.standard_normal(c))))
