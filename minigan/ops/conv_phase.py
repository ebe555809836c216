"""conv2d's data gradient (= conv_transpose2d forward) at kernel 4, stride 2, padding 1, by output phase.

The DCGAN's up-sampling layers and the data gradients of its stride-2 convolutions
all have this geometry. The general path (`conv.conv2d_data_grad_array`) computes
all 16 kernel taps' products in one GEMM, a (16*C, IH*IW*N) block, and `col2im`
then sums them into the output. Here the output is split by phase instead: output
pixel (2m + rh, 2k + rw) only sees kernel rows i with i = 1 - rh (mod 2) and
columns j with j = 1 - rw (mod 2), four taps per phase (sub-pixel convolution):

    rows:    rh = 0: i = 1 (input row m), i = 3 (row m - 1);   rh = 1: i = 2 (row m), i = 0 (row m + 1)
    columns: rw = 0: j = 1 (column k), j = 3 (column k - 1);  rw = 1: j = 2 (column k), j = 0 (column k + 1)

The column taps go into the GEMM's contraction: the input is stacked with copies of
itself shifted by one column either way (zeros shifted in), so for each rw one GEMM
(4*C, 2*O) @ (2*O, IH*IW*N) gives every row tap of both row phases, each already
summed over its two column taps. The row taps are then added with a shift of whole
image rows, a long contiguous slab, and each phase is written to its strided place
in the (C, 2*IH, 2*IW, N) output once. Same multiply-adds as the general path, but
half its GEMM output, no col2im, and no scratch over ~4*C*IH*IW*N elements.

It pays when the output has at least a quarter of the input's channels (the shifted
copies cost 2*O*IH*IW*N element moves, the saved GEMM output 8*C*IH*IW*N); other
shapes (the single-channel image layers) and geometries use the general path::

    if conv_phase.applies(w.shape, params, in_hw, gy.shape[2:]):
        dx = conv_phase.data_grad(gy, w)   # (C, 2*IH, 2*IW, N), C-contiguous

Exact: the same products, summed in another order (float rounding only). Double
backward is unaffected: the Functions in `conv.py` call this for their array maths only.
"""
from __future__ import annotations

from .. import backend, layout
from ..parallel import for_channel_blocks

__all__ = ["applies", "data_grad"]

# (phase block, kernel row): y4 blocks 0, 1 feed rh = 0 (same row, row above), blocks 2, 3 feed rh = 1
_ROW_TAPS = (1, 3, 2, 0)
# kernel columns for stacked shifts (rw, rw + 1), per rw; shift s holds input column k + s - 1
_COL_TAPS = ((3, 1), (2, 0))


def applies(w_shape: tuple, params, in_hw: tuple, gy_hw: tuple) -> bool:
    """Whether `data_grad` serves this convolution's data gradient (else the general path)."""
    o, c = w_shape[0], w_shape[1]
    return (tuple(w_shape[2:]) == (4, 4) and tuple(params.stride) == (2, 2) and tuple(params.padding) == (1, 1)
            and tuple(params.dilation) == (1, 1) and params.groups == 1
            and tuple(in_hw) == (2 * gy_hw[0], 2 * gy_hw[1]) and 4 * c >= o)


def _packed_weight(w, xp):
    """(O, C, 4, 4) -> (2, 4*C, 2*O): for each column phase rw, rows (row tap, c), columns (shift, o)."""
    o, c = w.shape[:2]
    wt = w.transpose(2, 3, 1, 0)  # (KH, KW, C, O)
    a = xp.empty((2, 4, c, 2, o), dtype=w.dtype)
    for rw in range(2):
        for blk, i in enumerate(_ROW_TAPS):
            for s, j in enumerate(_COL_TAPS[rw]):
                a[rw, blk, :, s] = wt[i, j]
    return a.reshape(2, 4 * c, 2 * o)


def data_grad(gy, w, gy_cn=None):
    """conv2d's data gradient at k4 s2 p1: gy (N, O, IH, IW), w (O, C, 4, 4) -> C-contiguous (C, 2IH, 2IW, N).

    `gy_cn` may carry ``batch_last(gy)`` when the caller already made it."""
    xp = backend.get_array_module(gy, w)
    n, o, ih, iw = gy.shape
    c = w.shape[1]
    src = layout.to_batch_last(gy) if gy_cn is None else gy_cn  # (O, IH, IW, N), any strides
    q, row = ih * iw * n, iw * n
    stack = xp.empty((3, o, ih, iw, n), dtype=gy.dtype)  # shift s: column k holds input column k + s - 1

    def shifted(o0, o1):
        stack[0, o0:o1, :, 0] = 0
        stack[0, o0:o1, :, 1:] = src[o0:o1, :, :iw - 1]
        stack[1, o0:o1] = src[o0:o1]
        stack[2, o0:o1, :, iw - 1] = 0
        stack[2, o0:o1, :, :iw - 1] = src[o0:o1, :, 1:]

    for_channel_blocks(shifted, o, 3 * o * q, xp)
    flat = stack.reshape(3 * o, q)
    a = _packed_weight(w, xp)
    out = xp.empty((c, 2 * ih, 2 * iw, n), dtype=gy.dtype)
    y = xp.empty((4 * c, q), dtype=gy.dtype)
    y4 = y.reshape(4, c, q)
    for rw in range(2):
        xp.matmul(a[rw], flat[rw * o:(rw + 2) * o], out=y)

        def place(c0, c1, rw=rw):
            y4[0, c0:c1, row:] += y4[1, c0:c1, :q - row]  # kernel row 3 reads input row m - 1
            y4[2, c0:c1, :q - row] += y4[3, c0:c1, row:]  # kernel row 0 reads input row m + 1
            out[c0:c1, 0::2, rw::2] = y4[0, c0:c1].reshape(c1 - c0, ih, iw, n)
            out[c0:c1, 1::2, rw::2] = y4[2, c0:c1].reshape(c1 - c0, ih, iw, n)

        for_channel_blocks(place, c, 2 * c * q, xp)
    return out
