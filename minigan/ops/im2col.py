"""im2col / col2im on raw arrays (NumPy or CuPy), in a batch-last layout.

Convolutions here turn into one large GEMM. The columns matrix is laid out
``(C*KH*KW, OH*OW*N)``: rows are (channel, kernel row, kernel column), columns
are (output row, output column, sample), with the batch index innermost. Why
batch-last: at GAN sizes (7x7 to 28x28 images) an (..., OW) innermost run is
only 7-28 elements and NumPy pays a fixed cost per run in every copy and add;
with the batch innermost each run is N elements (64-256), contiguous on both
sides, and im2col (the one copy the GEMM needs) runs 2-3x faster than in
(N, C, H, W) order.

Activations keep PyTorch's logical (N, C, H, W) shape everywhere; the
convolution ops return a transposed *view* of a (C, H, W, N) array, which
NumPy's elementwise ops and reductions handle at full speed (they iterate in
memory order), so the next convolution reads it back without a transpose.

col2im never uses ``np.add.at``: it sums the KH*KW shifted slabs per output
phase in a small buffer (see `col2im`). On NumPy the larger copies are split
over channel blocks on a few threads (`minigan.parallel.for_channel_blocks`).
"""
from __future__ import annotations

from .. import backend, layout, parallel, workspace
from ..parallel import for_channel_blocks


def batch_last(x, pad_h: int = 0, pad_w: int = 0):
    """(N, C, H, W) array of any strides -> C-contiguous (C, H + 2*pad_h, W + 2*pad_w, N), zero padded.

    Free when `x` is already a batch-last view and no padding is asked for.
    """
    xp = backend.get_array_module(x)
    n, c, h, w = x.shape
    src = layout.to_batch_last(x)
    if pad_h == 0 and pad_w == 0:
        if layout.is_c_order(src):
            return src
        out = xp.empty(src.shape, dtype=x.dtype)

        def transpose(c0, c1):
            out[c0:c1] = src[c0:c1]

        for_channel_blocks(transpose, c, x.size, xp)
        return out
    out = xp.empty((c, h + 2 * pad_h, w + 2 * pad_w, n), dtype=x.dtype)
    # zero only the border: the interior is overwritten right after
    out[:, :pad_h] = 0
    out[:, h + pad_h:] = 0
    out[:, pad_h:h + pad_h, :pad_w] = 0
    out[:, pad_h:h + pad_h, w + pad_w:] = 0

    def copy(c0, c1):
        out[c0:c1, pad_h:h + pad_h, pad_w:w + pad_w] = src[c0:c1]

    if layout.is_c_order(src) or x.size < parallel.PARALLEL_MIN_ELEMENTS:
        copy(0, c)  # already batch-last: one fast contiguous copy
    else:
        for_channel_blocks(copy, c, x.size, xp)
    return out


def im2col(x_cn, kernel: tuple, stride: tuple, dilation: tuple, out_hw: tuple):
    """Columns of a padded batch-last input: (C, Hp, Wp, N) -> contiguous (C*KH*KW, OH*OW*N).

    Entry [(c, i, j), (oh, ow, n)] is x[c, oh*sh + i*dh, ow*sw + j*dw, n]. The windows
    are an `as_strided` view of `x_cn`; copying it is the only data movement.
    """
    xp = backend.get_array_module(x_cn)
    c, hp, wp, n = x_cn.shape
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    if (oh - 1) * sh + (kh - 1) * dh >= hp or (ow - 1) * sw + (kw - 1) * dw >= wp:
        # a guard for internal callers (as_strided would read out of bounds); public ops validate first
        raise ValueError(f"im2col: {out_hw} windows of kernel {kernel} (stride {stride}, dilation {dilation}) "
                         f"do not fit an input of {(hp, wp)}")
    bc, bh, bw, bn = x_cn.strides
    view = xp.lib.stride_tricks.as_strided(
        x_cn, shape=(c, kh, kw, oh, ow, n), strides=(bc, dh * bh, dw * bw, sh * bh, sw * bw, bn))
    cols = workspace.empty(view.shape, x_cn.dtype, xp)

    def copy(c0, c1):
        cols[c0:c1] = view[c0:c1]

    # a gather of N-element runs: on NumPy two threads copy it 1.5-1.7x faster than one (DCGAN D2)
    for_channel_blocks(copy, c, view.size, xp)
    return cols.reshape(c * kh * kw, oh * ow * n)


def _taps(kernel: int, dilation: int, stride: int, padding: int) -> dict:
    """Kernel offsets grouped by output phase: {r: [(i, q), ...]}.

    Kernel offset i sends input row oh to output row oh*stride + i*dilation - padding
    = (oh + q)*stride + r with 0 <= r < stride: phase r, row oh + q of that phase.
    """
    taps: dict = {}
    for i in range(kernel):
        r = (i * dilation - padding) % stride
        taps.setdefault(r, []).append((i, (i * dilation - padding - r) // stride))
    return taps


def col2im(cols, channels: int, out_hw: tuple, padding: tuple, kernel: tuple, stride: tuple, dilation: tuple,
           in_hw: tuple):
    """The adjoint of `im2col` (with the padding cropped away): (C*KH*KW, IH*IW*N) -> contiguous (C, H, W, N).

    Entry [(c, i, j), (ih, iw, n)] is added to out[c, ih*sh + i*dh - ph, iw*sw + j*dw - pw, n]
    when that lies inside the (H, W) output. No atomics and no ``np.add.at``: the output
    splits into stride_h*stride_w phases (rows r, r + sh, ...; likewise columns); every
    kernel offset feeds exactly one phase, shifted by whole phase rows, so each phase is
    summed in a small zeroed buffer with contiguous slab adds (runs of IW*N elements,
    cache-resident) and written to its strided place once. At DCGAN sizes this moves
    about half the bytes of KH*KW strided ``+=`` on a padded array.
    """
    xp = backend.get_array_module(cols)
    (kh, kw), (sh, sw), (dh, dw), (ph, pw) = kernel, stride, dilation, padding
    (h, w), (ih, iw) = out_hw, in_hw
    n = cols.shape[1] // (ih * iw)
    cols6 = cols.reshape(channels, kh, kw, ih, iw, n)
    taps_h, taps_w = _taps(kh, dh, sh, ph), _taps(kw, dw, sw, pw)
    out = xp.empty((channels, h, w, n), dtype=cols.dtype)

    def block(c0, c1):
        for rh in range(min(sh, h)):
            mh = -(-(h - rh) // sh)  # rows in this phase
            for rw in range(min(sw, w)):
                mw = -(-(w - rw) // sw)
                slabs = []  # (phase region, source slab) for every tap that lands in this phase
                for i, qi in taps_h.get(rh, ()):
                    top, bottom = max(0, qi), min(mh, ih + qi)
                    for j, qj in taps_w.get(rw, ()):
                        left, right = max(0, qj), min(mw, iw + qj)
                        if top < bottom and left < right:
                            slabs.append(((slice(top, bottom), slice(left, right)),
                                          cols6[c0:c1, i, j, top - qi:bottom - qi, left - qj:right - qj]))
                # stride 1: one phase, summed in place; else a small buffer, written out strided once
                phase = out[c0:c1] if sh == sw == 1 else xp.empty((c1 - c0, mh, mw, n), dtype=cols.dtype)
                # start from a slab that covers the whole phase (saves zeroing it), else from zeros
                whole = next((k for k, (region, _) in enumerate(slabs)
                              if region == (slice(0, mh), slice(0, mw))), None)
                if whole is None:
                    phase[...] = 0
                else:
                    phase[...] = slabs.pop(whole)[1]
                for (rows, columns), slab in slabs:
                    phase[:, rows, columns] += slab
                if not sh == sw == 1:
                    out[c0:c1, rh::sh, rw::sw] = phase

    for_channel_blocks(block, channels, out.size, xp)
    return out
