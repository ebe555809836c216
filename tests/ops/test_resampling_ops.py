"""interpolate, adaptive_avg_pool2d, pad (all modes), unfold/fold and pixel_shuffle: check_op on random
shapes (float64 gradcheck and gradgradcheck, every device) against NumPy references, and bad input."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigan import tensor
from minigan.ops.fold import fold, unfold
from minigan.ops.interpolate import adaptive_avg_pool2d, interpolate
from minigan.ops.padding import pad
from minigan.ops.pixel_shuffle import pixel_shuffle, pixel_unshuffle
from minigan.testing import check_op


def _x(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def _bilinear_ref(a, out_hw, align):
    """A direct loop over output pixels with PyTorch's source-index formula."""
    n, c, h, w = a.shape
    oh, ow = out_hw

    def src(o, size_in, size_out):
        if align:
            return o * (size_in - 1) / (size_out - 1) if size_out > 1 else 0.0
        return max((o + 0.5) * size_in / size_out - 0.5, 0.0)

    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            y, x = (src(i, h, oh), src(j, w, ow)) if (h != oh or align) and (w != ow or align) else (
                src(i, h, oh) if h != oh else i, src(j, w, ow) if w != ow else j)
            y0, x0 = min(int(y), h - 1), min(int(x), w - 1)
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            ly, lx = y - y0, x - x0
            out[:, :, i, j] = ((1 - ly) * ((1 - lx) * a[:, :, y0, x0] + lx * a[:, :, y0, x1])
                               + ly * ((1 - lx) * a[:, :, y1, x0] + lx * a[:, :, y1, x1]))
    return out


@settings(max_examples=12, deadline=None)
@given(hw=st.tuples(st.integers(1, 4), st.integers(1, 4)), out=st.tuples(st.integers(1, 6), st.integers(1, 6)),
       align=st.booleans(), seed=st.integers(0, 999))
def test_bilinear_check_op(device, hw, out, align, seed):
    x = _x((2, 2) + hw, seed)
    check_op(lambda t: interpolate(t, size=out, mode="bilinear", align_corners=align), [x],
             lambda a: _bilinear_ref(a, out, align), device)


@settings(max_examples=12, deadline=None)
@given(hw=st.tuples(st.integers(1, 4), st.integers(1, 4)), factor=st.integers(1, 3), seed=st.integers(0, 999))
def test_nearest_integer_upsampling_check_op(device, hw, factor, seed):
    x = _x((1, 2) + hw, seed)
    check_op(lambda t: interpolate(t, scale_factor=factor), [x],
             lambda a: a.repeat(factor, axis=2).repeat(factor, axis=3), device)


@settings(max_examples=10, deadline=None)
@given(length=st.integers(1, 6), size=st.integers(1, 9), seed=st.integers(0, 999))
def test_nearest_1d_check_op(device, length, size, seed):
    x = _x((2, 1, length), seed)
    index = np.minimum(np.floor(np.arange(size, dtype=np.float32) * np.float32(length / size)), length - 1)
    check_op(lambda t: interpolate(t, size=size), [x], lambda a: a[:, :, index.astype(int)], device)


@settings(max_examples=12, deadline=None)
@given(hw=st.tuples(st.integers(1, 6), st.integers(1, 6)), out=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       seed=st.integers(0, 999))
def test_adaptive_avg_pool2d_check_op(device, hw, out, seed):
    def ref(a):
        h, w = a.shape[2:]
        y = np.zeros(a.shape[:2] + out)
        for i in range(out[0]):
            for j in range(out[1]):
                r0, r1 = i * h // out[0], -(-(i + 1) * h // out[0])
                c0, c1 = j * w // out[1], -(-(j + 1) * w // out[1])
                y[:, :, i, j] = a[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
        return y
    check_op(lambda t: adaptive_avg_pool2d(t, out), [_x((2, 2) + hw, seed)], ref, device)


@settings(max_examples=20, deadline=None)
@given(mode=st.sampled_from(["constant", "reflect", "replicate", "circular"]),
       hw=st.tuples(st.integers(2, 5), st.integers(2, 5)), spec=st.lists(st.integers(0, 2), min_size=4, max_size=4),
       seed=st.integers(0, 999))
def test_pad_check_op(device, mode, hw, spec, seed):
    numpy_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    widths = [(0, 0), (0, 0), (spec[2], spec[3]), (spec[0], spec[1])]
    if mode == "reflect" and any(p >= n for p, n in zip(spec, (hw[1], hw[1], hw[0], hw[0]))):
        return
    check_op(lambda t: pad(t, tuple(spec), mode), [_x((1, 2) + hw, seed)],
             lambda a: np.pad(a, widths, mode=numpy_mode), device)


def test_pad_negative_entries_crop(device):
    x = _x((1, 1, 3, 5), 0)
    check_op(lambda t: pad(t, (-1, 2, 1, -1), "replicate"), [x],
             lambda a: np.pad(a[:, :, :-1, 1:], [(0, 0), (0, 0), (1, 0), (0, 2)], mode="edge"), device)
    check_op(lambda t: pad(t, (-1, -2)), [x], lambda a: a[..., 1:-2], device)


@settings(max_examples=12, deadline=None)
@given(hw=st.tuples(st.integers(2, 5), st.integers(2, 5)), k=st.tuples(st.integers(1, 2), st.integers(1, 3)),
       stride=st.integers(1, 2), padding=st.integers(0, 1), seed=st.integers(0, 999))
def test_unfold_and_fold_check_op(device, hw, k, stride, padding, seed):
    def unfold_ref(a):
        ap = np.pad(a, [(0, 0), (0, 0), (padding, padding), (padding, padding)])
        oh, ow = [(n + 2 * padding - kk) // stride + 1 for n, kk in zip(hw, k)]
        cols = [ap[:, c, i + stride * np.arange(oh)[:, None], j + stride * np.arange(ow)[None, :]].reshape(
            a.shape[0], -1) for c in range(a.shape[1]) for i in range(k[0]) for j in range(k[1])]
        return np.stack(cols, axis=1)
    if any(n + 2 * padding < kk for n, kk in zip(hw, k)):
        return
    x = _x((2, 2) + hw, seed)
    check_op(lambda t: unfold(t, k, padding=padding, stride=stride), [x], unfold_ref, device)
    cols = unfold_ref(x)
    check_op(lambda t: fold(t, hw, k, padding=padding, stride=stride), [cols], None, device)


def test_fold_is_the_adjoint_of_unfold():
    rng = np.random.default_rng(3)
    x, c = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((2, 3 * 6, 4 * 2))
    lhs = (unfold(tensor(x), (2, 3), stride=(1, 1)).numpy() * c).sum()
    rhs = (x * fold(tensor(c), (5, 4), (2, 3)).numpy()).sum()
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)


@settings(max_examples=10, deadline=None)
@given(r=st.integers(1, 3), c=st.integers(1, 2), hw=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       seed=st.integers(0, 999))
def test_pixel_shuffle_check_op(device, r, c, hw, seed):
    def ref(a):
        n, crr, h, w = a.shape
        return a.reshape(n, crr // (r * r), r, r, h, w).transpose(0, 1, 4, 2, 5, 3).reshape(n, -1, h * r, w * r)
    x = _x((2, c * r * r) + hw, seed)
    check_op(lambda t: pixel_shuffle(t, r), [x], ref, device)
    check_op(lambda t: pixel_unshuffle(pixel_shuffle(t, r), r), [x], lambda a: a, device)


def test_bad_input_errors():
    from minigan import zeros
    x = zeros(1, 2, 3, 4)
    with pytest.raises(ValueError, match="align_corners"):
        interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        interpolate(x)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        interpolate(x, size=4, scale_factor=2)
    with pytest.raises(NotImplementedError, match=r"bilinear.*4-D.*\(1, 2, 3\)"):
        interpolate(zeros(1, 2, 3), size=4, mode="bilinear")
    with pytest.raises(NotImplementedError, match="mode must be one of"):
        interpolate(x, size=4, mode="cubic")
    with pytest.raises(RuntimeError, match="greater than 0"):
        interpolate(x, scale_factor=0.1)
    with pytest.raises(ValueError, match=r"reflect padding \(4, 1\).*size 4"):
        pad(x, (4, 1, 0, 0), "reflect")
    with pytest.raises(NotImplementedError, match="padding of size 2 is not supported for a 4-D input"):
        pad(x, (1, 1), "reflect")
    with pytest.raises(ValueError, match="divisible by 2"):
        pad(x, (1,))
    with pytest.raises(ValueError, match="doesn't take a value"):
        pad(x, (1, 1, 1, 1), "reflect", value=1.0)
    with pytest.raises(NotImplementedError, match="unrecognised padding mode 'foo'"):
        pad(x, (1, 1), "foo")
    with pytest.raises(ValueError, match="adaptive_avg_pool2d: expected a 3-D"):
        adaptive_avg_pool2d(zeros(3, 4), 2)
    with pytest.raises(RuntimeError, match=r"channel dimension 2 .* upscale_factor \*\* 2 = 4"):
        pixel_shuffle(x, 2)
    with pytest.raises(RuntimeError, match="divisible by downscale_factor 3"):
        pixel_unshuffle(x, 3)
    with pytest.raises(ValueError, match="fold: .* blocks"):
        fold(zeros(1, 8, 5), (4, 4), 2)
    with pytest.raises(ValueError, match="unfold: expected a 3-D"):
        unfold(zeros(4, 4), 2)
