"""minigan/ops/pool.py: max_pool2d and avg_pool2d against naive loops, PyTorch's output sizes,
gradcheck and gradgradcheck, ties (first maximum wins), layouts, PyTorch parity, errors."""
import numpy as np
import pytest
from conftest import make_tensor
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan.testing import check_op
from minigan.ops.conv import conv2d
from minigan.ops.pool import avg_pool2d, max_pool2d


def pool_naive(x, kernel, stride, padding, reduce):
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    n, c, h, w = x.shape
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    out = np.zeros((n, c, oh, ow))
    for b in range(n):
        for ch in range(c):
            for y in range(oh):
                for z in range(ow):
                    window = [x[b, ch, r, s] if 0 <= r < h and 0 <= s < w else None
                              for r in range(y * sh - ph, y * sh - ph + kh)
                              for s in range(z * sw - pw, z * sw - pw + kw)]
                    if reduce == "max":
                        out[b, ch, y, z] = max(v for v in window if v is not None)
                    else:  # zero padding counts (count_include_pad=True)
                        out[b, ch, y, z] = sum(v for v in window if v is not None) / (kh * kw)
    return out


@st.composite
def pool_configs(draw):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    cfg = dict(shape=(draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(2, 6)),
                      draw(st.integers(2, 6))),
               kernel=kernel,
               stride=draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3)))),
               padding=(draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2))))
    assume(all(n + 2 * p >= k for n, k, p in zip(cfg["shape"][2:], kernel, cfg["padding"])))
    return cfg


def _stride(cfg):
    return cfg["kernel"] if cfg["stride"] is None else cfg["stride"]


def distinct_values(shape, seed):
    """Values 0.1 apart in random order: no ties and no near-ties, so finite differences see no kinks."""
    size = int(np.prod(shape))
    return ((np.random.default_rng(seed).permutation(size) - size / 2) * 0.1 + 0.05).reshape(shape)


@settings(max_examples=20, deadline=None)
@given(cfg=pool_configs(), seed=st.integers(0, 2**16))
def test_max_pool2d_forward_gradcheck_gradgradcheck(device, cfg, seed):
    x = distinct_values(cfg["shape"], seed)
    check_op(lambda t: max_pool2d(t, cfg["kernel"], cfg["stride"], cfg["padding"]), [x],
             lambda a: pool_naive(a, cfg["kernel"], _stride(cfg), cfg["padding"], "max"), device)


@settings(max_examples=20, deadline=None)
@given(cfg=pool_configs(), seed=st.integers(0, 2**16))
def test_avg_pool2d_forward_gradcheck_gradgradcheck(device, cfg, seed):
    x = np.random.default_rng(seed).standard_normal(cfg["shape"])
    check_op(lambda t: avg_pool2d(t, cfg["kernel"], cfg["stride"], cfg["padding"]), [x],
             lambda a: pool_naive(a, cfg["kernel"], _stride(cfg), cfg["padding"], "avg"), device)


def test_max_pool_ties_send_the_gradient_to_the_first_maximum(device):
    x = make_tensor(np.array([[[[1.0, 3.0, 3.0, 0.0],
                                [3.0, 2.0, 0.0, 0.0]]]]), device, requires_grad=True)
    y = max_pool2d(x, 2)
    np.testing.assert_array_equal(y.numpy(), [[[[3.0, 3.0]]]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 1, 1, 0], [0, 0, 0, 0]]]])
    # overlapping windows: one element that wins two windows collects both gradients
    x = make_tensor(np.array([[[[0.0, 5.0, 1.0]]]]), device, requires_grad=True)
    max_pool2d(x, (1, 2), stride=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 2, 0]]]])


def test_lenet_pooling_2x2_on_batch_last_input(device):
    """2x2/2 pooling after a convolution (whose output is a batch-last view), as the LeNet classifier does."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 1, 28, 28))
    w = rng.standard_normal((3, 1, 5, 5))
    h = conv2d(make_tensor(x, device), make_tensor(w, device, requires_grad=True), padding=2)
    for pool, reduce in ((max_pool2d, np.max), (avg_pool2d, np.mean)):
        y = pool(h, 2)
        expected = reduce(h.numpy().reshape(4, 3, 14, 2, 14, 2), axis=(3, 5))
        assert y.shape == (4, 3, 14, 14)
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12)
        gy = rng.standard_normal(y.shape)
        g, = mg.grad(y, h, make_tensor(gy, device))
        assert g.shape == h.shape
        np.testing.assert_allclose(g.numpy().sum(), gy.sum(), rtol=1e-10)


def test_odd_sizes_drop_the_last_row_and_padding_is_minus_infinity(device):
    x = make_tensor(-np.arange(1.0, 26.0).reshape(1, 1, 5, 5), device, requires_grad=True)
    y = max_pool2d(x, 2)
    assert y.shape == (1, 1, 2, 2)
    np.testing.assert_array_equal(y.numpy(), [[[[-1.0, -3.0], [-11.0, -13.0]]]])
    y.sum().backward()
    assert x.grad.numpy()[0, 0, 4].sum() == 0 and x.grad.numpy()[0, 0, :, 4].sum() == 0
    y = max_pool2d(x, 3, stride=2, padding=1)  # all-negative input: the -inf padding never wins
    assert y.shape == (1, 1, 3, 3) and np.all(np.isfinite(y.numpy()))
    np.testing.assert_array_equal(y.numpy(), pool_naive(x.numpy(), (3, 3), (2, 2), (1, 1), "max"))


def test_unbatched_input_and_float32(device):
    x = np.random.default_rng(2).standard_normal((3, 6, 4)).astype(np.float32)
    y = max_pool2d(make_tensor(x, device, np.float32), (2, 1))
    assert y.shape == (3, 3, 4) and y.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), x.reshape(3, 3, 2, 4).max(axis=2))
    z = avg_pool2d(make_tensor(x, device, np.float32), 2, stride=1)
    assert z.shape == (3, 5, 3) and z.dtype == np.float32


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 2, 1), ((2, 3), (1, 2), (1, 0))])
def test_pools_match_torch(kernel, stride, padding):
    torch = pytest.importorskip("torch")
    x = np.round(np.random.default_rng(3).standard_normal((3, 2, 9, 8)) * 2)  # rounded: many ties
    for mfn, tfn in ((max_pool2d, torch.nn.functional.max_pool2d), (avg_pool2d, torch.nn.functional.avg_pool2d)):
        mx, tx = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        my, ty = mfn(mx, kernel, stride, padding), tfn(tx, kernel, stride, padding)
        np.testing.assert_allclose(my.numpy(), ty.detach().numpy())
        gy = np.random.default_rng(4).standard_normal(my.shape)
        my.backward(mg.tensor(gy))
        ty.backward(torch.tensor(gy))
        np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
@pytest.mark.parametrize("args, match", [
    (((1, 1, 4, 4), 3, 1, 2), r"padding must be non-negative and at most half the kernel size"),
    (((1, 1, 4, 4), 5), r"kernel \(5, 5\) is larger than the padded input \(4, 4\)"),
    (((4, 4), 2), r"expected a 3-D .* got shape \(4, 4\)"),
    (((1, 1, 4, 4), 2, 0), r"stride must be positive"),
    (((1, 1, 4, 4), 0), r"kernel_size must be positive"),
    (((1, 1, 4, 4), (2, 2, 2)), r"kernel_size must be an int or a pair"),
])
def test_errors(pool, args, match):
    shape, *rest = args
    with pytest.raises((ValueError, TypeError), match=pool.__name__ + ": " + match):
        pool(mg.tensor(np.zeros(shape, np.float32)), *rest)
