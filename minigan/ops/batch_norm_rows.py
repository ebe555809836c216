"""Batch norm's array passes on channel rows, in cache-sized row blocks on the CPU threads (NumPy).

When batch norm's input is channel-major (a batch-last convolution output or a
feature-major Linear output, see `normalization._Channels`), each channel is one
contiguous row of a (C, M) matrix and every pass of the forward and of the gradient
is per row. So the rows are cut into blocks that stay in cache (about `BLOCK_ELEMENTS`
each) and shared out over the threads in contiguous ranges
(`minigan.parallel.for_channel_blocks`): all passes of a block run back to back while
it is in cache, and both cores work on the memory-bound part of the step.

Every row is computed by the same NumPy calls on its own data whatever the blocking
(sums are `einsum` over the row, never BLAS), so the result is the same to the bit
with one thread or several: a resumed training run stays exact. Forward and gradient
side by side::

    y, mean, var, inv_std = forward_rows(x2, gamma, beta, eps)   # x2: (C, M)
    gx, ggamma, gbeta = grad_rows(g2, x2, mean, gamma, inv_std)
"""
from __future__ import annotations

import numpy as np

from ..parallel import for_channel_blocks

__all__ = ["forward_rows", "grad_rows", "BLOCK_ELEMENTS"]

BLOCK_ELEMENTS = 1 << 16  # 256 KB of float32 per array: a block and its result stay in L2


def _in_blocks(work, rows: int, row_len: int) -> None:
    """work(r0, r1) over [0, rows): thread ranges, each walked in cache-sized row blocks."""
    step = max(1, BLOCK_ELEMENTS // max(row_len, 1))

    def thread_range(c0, c1):
        for r0 in range(c0, c1, step):
            work(r0, min(r0 + step, c1))

    for_channel_blocks(thread_range, rows, rows * row_len, np)


def forward_rows(x2, gamma, beta, eps: float):
    """Training-mode batch norm of the rows of x2 (C, M): (y, mean, biased var, inv_std).

    xhat = (x - mean) * inv_std is not kept: `grad_rows` recomputes it from x block by block (the
    same operations on the same numbers, so the same bits), which saves a full-size array and its
    write here for a read of x there."""
    c, m = x2.shape
    dtype = x2.dtype
    y = np.empty_like(x2)
    mean, var = np.empty(c, dtype), np.empty(c, dtype)
    inv_std = np.empty(c, dtype)
    one = dtype.type(1)

    def rows(r0, r1):
        xb, yb = x2[r0:r1], y[r0:r1]
        mu = np.einsum("ck->c", xb) / dtype.type(m)
        np.subtract(xb, mu[:, None], out=yb)
        v = np.einsum("ck,ck->c", yb, yb) / dtype.type(m)
        s = one / np.sqrt(v + dtype.type(eps))
        yb *= s[:, None]  # xhat, then scaled and shifted in place
        yb *= gamma[r0:r1, None]
        yb += beta[r0:r1, None]
        mean[r0:r1], var[r0:r1], inv_std[r0:r1] = mu, v, s

    _in_blocks(rows, c, m)
    return y, mean, var, inv_std


def grad_rows(g2, x2, mean, gamma, inv_std):
    """Batch norm's input gradient on rows: gx = gamma*inv_std*(g - mean(g) - xhat*mean(g*xhat)),
    with ggamma = sum(g*xhat) and gbeta = sum(g) per row; xhat recomputed from x2, mean and inv_std."""
    c, m = g2.shape
    dtype = g2.dtype
    gx = np.empty_like(g2)
    ggamma, gbeta = np.empty(c, dtype), np.empty(c, dtype)
    inv_m = dtype.type(1.0 / m)

    def rows(r0, r1):
        gb, ob = g2[r0:r1], gx[r0:r1]
        hb = np.subtract(x2[r0:r1], mean[r0:r1, None])  # xhat of this block, as the forward made it
        hb *= inv_std[r0:r1, None]
        sb = np.einsum("ck->c", gb)
        sg = np.einsum("ck,ck->c", gb, hb)
        np.multiply(hb, (sg * inv_m)[:, None], out=ob)
        ob += (sb * inv_m)[:, None]
        np.subtract(gb, ob, out=ob)
        ob *= (gamma[r0:r1] * inv_std[r0:r1])[:, None]
        ggamma[r0:r1], gbeta[r0:r1] = sg, sb

    _in_blocks(rows, c, m)
    return gx, ggamma, gbeta
