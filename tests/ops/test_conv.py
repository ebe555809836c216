"""minigan/ops/conv.py (and im2col.py): conv2d and conv_transpose2d against naive loop references,
PyTorch's output-size formulas, gradcheck and gradgradcheck over random geometry (stride, padding,
dilation, output_padding, groups, bias), the adjoint identity, PyTorch parity, errors."""
import numpy as np
import pytest
from conftest import make_tensor
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan.testing import check_op
from minigan.ops import conv as conv_module
from minigan.ops.conv import conv2d, conv_transpose2d
from minigan.ops.im2col import batch_last, col2im, im2col

# ---- naive references: one loop per output (or input) element, no cleverness -------------------


def conv2d_naive(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    og = o // groups
    out = np.zeros((n, o, oh, ow))
    for b_ in range(n):
        for oc in range(o):
            g = oc // og
            for y in range(oh):
                for z in range(ow):
                    total = 0.0
                    for ci in range(cg):
                        for i in range(kh):
                            for j in range(kw):
                                r, s = y * sh - ph + i * dh, z * sw - pw + j * dw
                                if 0 <= r < h and 0 <= s < wd:
                                    total += x[b_, g * cg + ci, r, s] * w[oc, ci, i, j]
                    out[b_, oc, y, z] = total + (b[oc] if b is not None else 0.0)
    return out


def conv_transpose2d_naive(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), groups=1,
                           dilation=(1, 1)):
    """Every input pixel scatters its kernel-weighted value into the output (the definition)."""
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = c // groups
    oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    ow = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    out = np.zeros((n, og * groups, oh, ow))
    for b_ in range(n):
        for ci in range(c):
            g = ci // cg
            for y in range(h):
                for z in range(wd):
                    for i in range(kh):
                        for j in range(kw):
                            r, s = y * sh - ph + i * dh, z * sw - pw + j * dw
                            if 0 <= r < oh and 0 <= s < ow:
                                out[b_, g * og:(g + 1) * og, r, s] += x[b_, ci, y, z] * w[ci, :, i, j]
    if b is not None:
        out += b[None, :, None, None]
    return out


# ---- random geometry -----------------------------------------------------------------------------


@st.composite
def conv_configs(draw, transpose: bool = False, max_side: int = 6):
    groups = draw(st.sampled_from([1, 1, 2]))
    cfg = dict(
        n=draw(st.integers(1, 2)), groups=groups,
        cin=groups * draw(st.integers(1, 3 if groups == 1 else 2)),
        cout=groups * draw(st.integers(1, 3 if groups == 1 else 2)),
        hw=(draw(st.integers(3, max_side)), draw(st.integers(3, max_side))),
        k=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        padding=(draw(st.integers(0, 2)), draw(st.integers(0, 2))),
        dilation=(draw(st.integers(1, 2)), draw(st.integers(1, 2))),
        bias=draw(st.booleans()))
    if transpose:
        cfg["output_padding"] = tuple(draw(st.integers(0, max(s, d) - 1))
                                      for s, d in zip(cfg["stride"], cfg["dilation"]))
        sizes = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, s, p, d, k, op in
                 zip(cfg["hw"], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["k"], cfg["output_padding"])]
        assume(min(sizes) >= 1)
    else:
        assume(all(d * (k - 1) + 1 <= n + 2 * p for n, k, p, d in
                   zip(cfg["hw"], cfg["k"], cfg["padding"], cfg["dilation"])))
    return cfg


def conv_arrays(cfg, transpose: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((cfg["n"], cfg["cin"]) + cfg["hw"])
    wshape = ((cfg["cin"], cfg["cout"] // cfg["groups"]) if transpose
              else (cfg["cout"], cfg["cin"] // cfg["groups"])) + cfg["k"]
    arrays = [x, rng.standard_normal(wshape)]
    if cfg["bias"]:
        arrays.append(rng.standard_normal(cfg["cout"]))
    return arrays


def conv_fn(cfg):
    def f(x, w, b=None):
        return conv2d(x, w, b, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"])
    return f


def conv_transpose_fn(cfg):
    def f(x, w, b=None):
        return conv_transpose2d(x, w, b, cfg["stride"], cfg["padding"], cfg["output_padding"], cfg["groups"],
                                cfg["dilation"])
    return f


def conv_out_hw(cfg):
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in
                 zip(cfg["hw"], cfg["k"], cfg["stride"], cfg["padding"], cfg["dilation"]))


# ---- forward, shapes, first and second derivatives -----------------------------------------------


@settings(max_examples=20, deadline=None)
@given(cfg=conv_configs())
def test_conv2d_forward_gradcheck_gradgradcheck(device, cfg):
    arrays = conv_arrays(cfg, transpose=False)
    f = conv_fn(cfg)

    def reference(x, w, b=None):
        out = conv2d_naive(x, w, b, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"])
        assert out.shape[2:] == conv_out_hw(cfg)  # PyTorch's formula
        return out

    check_op(f, arrays, reference, device)


@settings(max_examples=20, deadline=None)
@given(cfg=conv_configs(transpose=True, max_side=5))
def test_conv_transpose2d_forward_gradcheck_gradgradcheck(device, cfg):
    arrays = conv_arrays(cfg, transpose=True)
    f = conv_transpose_fn(cfg)

    def reference(x, w, b=None):
        out = conv_transpose2d_naive(x, w, b, cfg["stride"], cfg["padding"], cfg["output_padding"],
                                     cfg["groups"], cfg["dilation"])
        expected = tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, k, s, p, d, op in
                         zip(cfg["hw"], cfg["k"], cfg["stride"], cfg["padding"], cfg["dilation"],
                             cfg["output_padding"]))
        assert out.shape[2:] == expected  # PyTorch's formula
        return out

    check_op(f, arrays, reference, device)


@settings(max_examples=25, deadline=None)
@given(cfg=conv_configs(max_side=9), seed=st.integers(0, 2**16))
def test_adjoint_identity(device, cfg, seed):
    """<conv2d(x, W), y> == <x, conv_transpose2d(y, W)> with the output_padding that restores x's size."""
    cfg = dict(cfg, n=cfg["n"] + 1)
    x, w = conv_arrays(cfg, transpose=False, seed=seed)[:2]
    out_hw = conv_out_hw(cfg)
    y = np.random.default_rng(seed + 1).standard_normal((cfg["n"], cfg["cout"]) + out_hw)
    output_padding = tuple(n + 2 * p - d * (k - 1) - 1 - (o - 1) * s for n, k, s, p, d, o in
                           zip(cfg["hw"], cfg["k"], cfg["stride"], cfg["padding"], cfg["dilation"], out_hw))
    assert all(0 <= op < s for op, s in zip(output_padding, cfg["stride"]))
    tx, tw, ty = (make_tensor(a, device) for a in (x, w, y))
    lhs = (conv2d(tx, tw, None, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"]) * ty).sum()
    back = conv_transpose2d(ty, tw, None, cfg["stride"], cfg["padding"], output_padding, cfg["groups"],
                            cfg["dilation"])
    assert back.shape == x.shape
    rhs = (tx * back).sum()
    np.testing.assert_allclose(lhs.item(), rhs.item(), rtol=1e-10, atol=1e-10)


def test_dcgan_shapes_match_naive_reference_in_float32(device):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 14, 14))
    w = rng.standard_normal((5, 3, 4, 4)) * 0.1
    b = rng.standard_normal(5)
    y = conv2d(make_tensor(x, device, np.float32), make_tensor(w, device, np.float32),
               make_tensor(b, device, np.float32), stride=2, padding=1)
    assert y.shape == (2, 5, 7, 7) and y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), conv2d_naive(x, w, b, (2, 2), (1, 1)), rtol=1e-4, atol=1e-4)
    wt = rng.standard_normal((3, 5, 4, 4)) * 0.1
    xt = rng.standard_normal((2, 3, 7, 7))
    z = conv_transpose2d(make_tensor(xt, device, np.float32), make_tensor(wt, device, np.float32),
                         make_tensor(b, device, np.float32), stride=2, padding=1)
    assert z.shape == (2, 5, 14, 14) and z.dtype == np.float32
    np.testing.assert_allclose(z.numpy(), conv_transpose2d_naive(xt, wt, b, (2, 2), (1, 1)), rtol=1e-4, atol=1e-4)


def test_gradient_penalty_through_a_conv_stack(device):
    """Double backward through conv -> leaky_relu -> conv_transpose -> conv, as a WGAN-GP critic needs."""
    rng = np.random.default_rng(4)
    x = make_tensor(rng.standard_normal((2, 2, 6, 5)), device, requires_grad=True)
    w1 = make_tensor(rng.standard_normal((3, 2, 3, 3)), device, requires_grad=True)
    w2 = make_tensor(rng.standard_normal((3, 2, 2, 2)), device, requires_grad=True)
    w3 = make_tensor(rng.standard_normal((1, 2, 3, 3)), device, requires_grad=True)

    def critic(x, w1, w2, w3):
        h = mg.leaky_relu(conv2d(x, w1, stride=2, padding=1), 0.2)
        h = mg.tanh(conv_transpose2d(h, w2, stride=2, padding=(0, 1), output_padding=(0, 1)))
        return conv2d(h, w3, dilation=(1, 2))

    mg.gradgradcheck(critic, (x, w1, w2, w3))
    out = critic(x, w1, w2, w3).sum()
    gx, = mg.grad(out, x, create_graph=True)
    penalty = ((gx * gx).sum() - 1.0) ** 2
    penalty.backward()
    assert all(w.grad is not None and np.all(np.isfinite(w.grad.numpy())) for w in (w1, w2, w3))


# ---- gradients that are not needed are not computed ------------------------------------------


def test_input_gradient_skipped_when_not_needed(monkeypatch):
    """The first D layer on real images: x needs no gradient, so no conv-transpose runs in backward."""
    calls = []
    original = conv_module.conv2d_data_grad_array
    monkeypatch.setattr(conv_module, "conv2d_data_grad_array", lambda *a: calls.append(1) or original(*a))
    rng = np.random.default_rng(5)
    x = mg.tensor(rng.standard_normal((2, 1, 8, 8)).astype(np.float32))
    w = mg.tensor(rng.standard_normal((4, 1, 4, 4)).astype(np.float32), requires_grad=True)
    conv2d(x, w, stride=2, padding=1).sum().backward()
    assert calls == [] and w.grad.shape == w.shape
    x.requires_grad = True
    conv2d(x, w, stride=2, padding=1).sum().backward()
    assert calls == [1] and x.grad.shape == x.shape


def test_columns_are_not_kept_without_grad():
    x = mg.tensor(np.ones((1, 1, 5, 5), np.float32), requires_grad=True)
    w = mg.tensor(np.ones((1, 1, 3, 3), np.float32))
    y = conv2d(x, w)
    assert y.creator.cols is None  # the weight needs no gradient: no columns held
    with mg.no_grad():
        assert conv2d(x, w).creator is None


# ---- PyTorch conventions: layouts, unbatched input, padding strings, float32 ---------------------


def test_batch_last_output_feeds_other_ops(device):
    """The output is a (N, C, H, W) view of a batch-last array; ordinary ops and reshape handle it."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 2, 6, 6))
    w = rng.standard_normal((4, 2, 3, 3))
    y = conv2d(make_tensor(x, device), make_tensor(w, device), padding=1)
    ref = conv2d_naive(x, w, None, (1, 1), (1, 1))
    np.testing.assert_allclose(y.reshape(3, -1).numpy(), ref.reshape(3, -1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose((y[:, 1:3] * 2.0).numpy(), ref[:, 1:3] * 2.0, rtol=1e-10, atol=1e-12)
    z = conv2d(y, make_tensor(w.transpose(1, 0, 2, 3)[:4, :4].copy(), device))  # chained: 4 -> 4 channels
    np.testing.assert_allclose(z.numpy(), conv2d_naive(ref, w.transpose(1, 0, 2, 3)[:4, :4]), rtol=1e-9,
                               atol=1e-10)


def test_unbatched_input_and_string_padding(device):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 5, 6))
    w = rng.standard_normal((3, 2, 3, 2))
    y = conv2d(make_tensor(x, device), make_tensor(w, device), padding=(1, 0))
    assert y.shape == (3, 5, 5)
    np.testing.assert_allclose(y.numpy(), conv2d_naive(x[None], w, None, (1, 1), (1, 0))[0], rtol=1e-10)
    assert conv2d(make_tensor(x[None], device), make_tensor(w, device), padding="valid").shape == (1, 3, 3, 5)
    same = conv2d(make_tensor(x[None], device), make_tensor(w, device), padding="same", dilation=(2, 1))
    assert same.shape == (1, 3, 5, 6)  # odd total padding: the extra column goes at the end
    padded = np.pad(x[None], ((0, 0), (0, 0), (2, 2), (0, 1)))
    np.testing.assert_allclose(same.numpy(), conv2d_naive(padded, w, None, (1, 1), (0, 0), (2, 1)), rtol=1e-10)
    wt = rng.standard_normal((2, 4, 3, 3))
    z = conv_transpose2d(make_tensor(x, device), make_tensor(wt, device), stride=2)
    assert z.shape == (4, 11, 13)


def test_float32_stays_float32_and_matches_float64(device):
    rng = np.random.default_rng(8)
    x, w, b = rng.standard_normal((4, 3, 9, 9)), rng.standard_normal((6, 3, 4, 4)) * 0.1, rng.standard_normal(6)
    args = dict(stride=2, padding=1)
    y32 = conv2d(*(make_tensor(a, device, np.float32) for a in (x, w, b)), **args)
    y64 = conv2d(*(make_tensor(a, device) for a in (x, w, b)), **args)
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32.numpy(), y64.numpy(), rtol=1e-4, atol=1e-5)


def test_im2col_col2im_are_adjoint():
    """<im2col(pad(x)), y> == <x, col2im(y)>: col2im sums overlapping windows and crops the padding."""
    rng = np.random.default_rng(9)
    for kernel, stride, dilation, padding, hw in [((3, 2), (2, 3), (2, 1), (1, 0), (5, 8)),
                                                  ((4, 4), (2, 2), (1, 1), (1, 1), (6, 7)),
                                                  ((1, 2), (3, 1), (1, 3), (0, 2), (7, 4))]:
        x = rng.standard_normal((2, 3) + hw)  # (N, C, H, W)
        out_hw = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                       for n, k, s, p, d in zip(hw, kernel, stride, padding, dilation))
        cols = im2col(batch_last(x, *padding), kernel, stride, dilation, out_hw)
        assert cols.shape == (3 * kernel[0] * kernel[1], out_hw[0] * out_hw[1] * 2)
        y = rng.standard_normal(cols.shape)
        back = col2im(y, 3, hw, padding, kernel, stride, dilation, out_hw)  # (C, H, W, N)
        assert back.shape == (3,) + hw + (2,) and back.flags.c_contiguous
        np.testing.assert_allclose((cols * y).sum(), (x.transpose(1, 2, 3, 0) * back).sum(), rtol=1e-12)
    with pytest.raises(ValueError, match="im2col"):
        im2col(batch_last(x), (8, 2), (2, 3), (2, 1), (2, 3))


@pytest.mark.parametrize("stride, padding", [(1, 1), (2, 1), ((2, 3), (0, 2))])
def test_threaded_data_movement_matches_serial(monkeypatch, stride, padding):
    """im2col, col2im and the batch-last transposes split channels over threads for large arrays: same numbers."""
    from minigan import parallel
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 5, 9, 8))
    w = rng.standard_normal((7, 5, 3, 4))

    def run():
        tx, tw = mg.tensor(x, requires_grad=True), mg.tensor(w, requires_grad=True)
        y = conv2d(tx, tw, stride=stride, padding=padding)
        z = conv_transpose2d(y, tw, stride=stride, padding=padding)
        (z * z).sum().backward()
        return y.numpy(), z.numpy(), tx.grad.numpy(), tw.grad.numpy()

    monkeypatch.setenv("MINIGAN_NUM_THREADS", "1")
    serial = run()
    monkeypatch.setenv("MINIGAN_NUM_THREADS", "3")
    monkeypatch.setattr(parallel, "PARALLEL_MIN_ELEMENTS", 0)
    threaded = run()
    for a, b in zip(serial, threaded):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# ---- PyTorch parity (skipped where torch is not installed) --------------------------------------


@pytest.mark.parametrize("transpose, cin, cout, size", [(False, 1, 8, 28), (False, 8, 16, 14), (True, 16, 8, 7),
                                                        (True, 8, 1, 14)])
def test_dcgan_layers_match_torch(transpose, cin, cout, size):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    x = rng.standard_normal((5, cin, size, size)).astype(np.float32)
    w = (rng.standard_normal((cin, cout, 4, 4) if transpose else (cout, cin, 4, 4)) * 0.1).astype(np.float32)
    b = rng.standard_normal(cout).astype(np.float32)
    mfn, tfn = ((conv_transpose2d, torch.nn.functional.conv_transpose2d) if transpose
                else (conv2d, torch.nn.functional.conv2d))
    mx, mw, mb = (mg.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    my, ty = mfn(mx, mw, mb, 2, 1), tfn(tx, tw, tb, 2, 1)
    np.testing.assert_allclose(my.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-4)
    gy = rng.standard_normal(my.shape).astype(np.float32)
    my.backward(mg.tensor(gy))
    ty.backward(torch.tensor(gy))
    for m, t in ((mx, tx), (mw, tw), (mb, tb)):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-3, atol=1e-3)


# ---- errors that name the op and the shapes ----------------------------------------------------


def _t(*shape, dtype=np.float32):
    return mg.tensor(np.zeros(shape, dtype))


@pytest.mark.parametrize("call, match", [
    (lambda: conv2d(_t(1, 3, 8, 8), _t(4, 2, 3, 3)), r"conv2d: input of shape \(1, 3, 8, 8\) has 3 channels"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(4, 3, 3)), r"conv2d: weight must be 4-D .* got shape \(4, 3, 3\)"),
    (lambda: conv2d(_t(3, 8), _t(4, 3, 3, 3)), r"conv2d: expected a 3-D .* got shape \(3, 8\)"),
    (lambda: conv2d(_t(1, 3, 4, 4), _t(2, 3, 5, 5)), r"conv2d: kernel size \(5, 5\).*larger than the padded input"),
    (lambda: conv2d(_t(1, 3, 4, 4), _t(2, 3, 3, 3), dilation=2), r"conv2d: kernel size .*dilated extent 5"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(4, 3, 3, 3), stride=0), r"conv2d: stride must be positive"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(4, 3, 3, 3), padding=-1), r"conv2d: padding must be non-negative"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(4, 3, 3, 3), dilation=(1, 0)), r"conv2d: dilation must be positive"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(4, 3, 3, 3), stride=(1, 2, 3)), r"conv2d: stride must be an int or a pair"),
    (lambda: conv2d(_t(1, 4, 8, 8), _t(3, 2, 3, 3), groups=2), r"conv2d: out_channels=3 .* not divisible by groups"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(4, 3, 3, 3), _t(3)), r"conv2d: bias must have shape \(4,\)"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(4, 3, 3, 3, dtype=np.float64)), r"conv2d: input, weight and bias must share"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(4, 3, 3, 3), stride=2, padding="same"), r"padding='same' needs stride 1"),
    (lambda: conv_transpose2d(_t(1, 3, 4, 4), _t(2, 3, 3, 3)),
     r"conv_transpose2d: input of shape \(1, 3, 4, 4\) has 3 channels, but weight of shape \(2, 3, 3, 3\)"),
    (lambda: conv_transpose2d(_t(1, 3, 4, 4), _t(3, 2, 3)), r"conv_transpose2d: weight must be 4-D"),
    (lambda: conv_transpose2d(_t(1, 3, 4, 4), _t(3, 2, 3, 3), stride=2, output_padding=2),
     r"conv_transpose2d: output_padding must be .*smaller than either stride or dilation"),
    (lambda: conv_transpose2d(_t(1, 3, 1, 1), _t(3, 2, 1, 1), padding=1),
     r"conv_transpose2d: the output size \(-1, -1\) is not positive"),
    (lambda: conv_transpose2d(_t(1, 3, 4, 4), _t(3, 2, 3, 3), groups=2), r"in_channels=3 is not divisible by groups"),
    (lambda: conv_transpose2d(_t(1, 4, 4, 4), _t(4, 2, 3, 3), _t(2), groups=2), r"bias must have shape \(4,\)"),
])
def test_errors_name_the_op_and_shapes(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_integer_input_is_rejected():
    with pytest.raises(TypeError, match="floating-point"):
        conv2d(mg.tensor(np.zeros((1, 1, 3, 3), np.int64)), mg.tensor(np.zeros((1, 1, 2, 2), np.int64)))
