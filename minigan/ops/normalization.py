"""Batch normalisation as fused Functions: few array passes, any order of derivative.

Training mode normalises each channel with the batch's own statistics::

    xhat = (x - mean) / sqrt(var + eps)        # mean, var over every axis but 1
    y    = gamma * xhat + beta

`BatchNormTrain` computes that in a handful of array passes and saves ``xhat``
and ``inv_std``. Its backward calls `BatchNormGrad`, a second fused Function
that evaluates the closed-form input gradient

    gx = gamma * inv_std * (gy - mean(gy) - xhat * mean(gy * xhat))

together with ``ggamma = sum(gy * xhat)`` and ``gbeta = sum(gy)``. Because
`BatchNormGrad` is itself a Function, whose backward is written in Tensor ops
(recomputing the normalisation from ``x``), double backward (gradient
penalties, ``gradgradcheck``) is exact, and so is every higher order.

Speed notes (NumPy): per-channel broadcasting over an NCHW array runs NumPy's
inner loop once per (n, c) pair with only H*W elements each, which is 3-4x
slower than a flat pass for small feature maps. So every per-channel array is
expanded once to a (C*H*W,) row (small: 1/N of the data) and the data is seen
as (N, C*H*W): every pass is then long and contiguous. Per-channel sums are
`sum(axis=0)` followed by a short sum over H*W, and sums of products use
`einsum` so no full-size temporary is made. float32 input stays float32
throughout: no float64 intermediates.

Eval mode is a per-channel affine map with the running statistics, written in
Tensor ops (`batch_norm_eval`).
"""
from __future__ import annotations

import numpy as np

from .. import backend, layout
from . import batch_norm_rows
from ..autograd import Function, Tensor
from .dtypes import check_same_dtype
from .reduce import mean as _mean, sum as _sum
from .shape import reshape

__all__ = ["BatchNormTrain", "BatchNormGrad", "batch_norm", "batch_norm_train", "batch_norm_eval"]


# ---- array helpers ---------------------------------------------------------------------------


def _layout(shape: tuple) -> tuple[int, int, int]:
    """(N, C, S): batch, channels and the number of elements per (n, c) pair."""
    n, c = shape[0], shape[1]
    s = 1
    for d in shape[2:]:
        s *= d
    return n, c, s


def _channel_sum(a2, c: int, s: int):
    """Per-channel sum of an (N, C*S) array -> (C,)."""
    r = a2.sum(axis=0)
    return r.reshape(c, s).sum(axis=1) if s > 1 else r


def _channel_dot(a2, b2, c: int, s: int):
    """Per-channel sum of a2 * b2 for (N, C*S) arrays -> (C,), without a full-size temporary on the CPU."""
    if isinstance(a2, np.ndarray):
        r = np.einsum("nk,nk->k", a2, b2)
    else:
        r = (a2 * b2).sum(axis=0)
    return r.reshape(c, s).sum(axis=1) if s > 1 else r


def _row(v, s: int):
    """Expand a per-channel (C,) vector to the (C*S,) row that multiplies an (N, C*S) array."""
    if s == 1:
        return v
    return backend.get_array_module(v).repeat(v, s)


_SHORT_ROW = 1024


class _Channels:
    """How one batch-norm call sees its data as a 2-D matrix, with per-channel helpers.

    "rows" (channel-major): the input is a batch-last view, as the convolutions
    and feature-major Linear layers return it (a C-contiguous (C, *S, N) block): each channel is one contiguous
    row of the (C, S*N) matrix, so no copy is made and the output keeps the layout
    the next convolution reads for free. "cols": any other input, seen as
    (N, C*S) with per-channel vectors expanded to a row (see `_row`).
    """

    def __init__(self, x):
        self.shape = x.shape
        self.n, self.c, self.s = _layout(x.shape)
        self.channel_major = layout.is_feature_major(x)

    def matrix(self, a):
        """`a` (shaped like the input) as this layout's 2-D matrix; copies only if `a` is laid out otherwise."""
        if self.channel_major:
            return backend.get_array_module(a).ascontiguousarray(layout.to_batch_last(a)).reshape(self.c, -1)
        return a.reshape(self.n, self.c * self.s)

    def unmatrix(self, m):
        if self.channel_major:
            return layout.from_batch_last(m.reshape(self.shape[1:] + (self.shape[0],)))
        return m.reshape(self.shape)

    def sum(self, m):
        if not self.channel_major:
            return _channel_sum(m, self.c, self.s)
        if m.shape[1] < _SHORT_ROW and isinstance(m, np.ndarray):
            # short rows (a feature-major Linear output: one row of N per feature): NumPy's
            # per-row reduction loop costs ~5x a matrix-vector product here
            return m @ np.ones(m.shape[1], dtype=m.dtype)
        return m.sum(axis=1)

    def dot(self, a, b):
        if self.channel_major:
            if isinstance(a, np.ndarray):
                return np.einsum("ck,ck->c", a, b)
            return (a * b).sum(axis=1)
        return _channel_dot(a, b, self.c, self.s)

    def expand(self, v):
        """A per-channel (C,) vector shaped to broadcast against the matrix."""
        return v[:, None] if self.channel_major else _row(v, self.s)


# ---- training mode ---------------------------------------------------------------------------


class BatchNormTrain(Function):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta with batch statistics.

    Inputs: x of shape (N, C, *), gamma and beta of shape (C,). After the call,
    ``batch_mean`` and ``batch_var`` (biased) hold the statistics, for the running
    averages.
    """

    def __init__(self, eps: float):
        self.eps = float(eps)

    def forward(self, x, gamma, beta):
        lay = _Channels(x)
        m = lay.n * lay.s
        xp = backend.get_array_module(x)
        x2 = lay.matrix(x)
        if lay.channel_major and xp is np:  # per-channel rows: cache blocks on the CPU threads, no saved xhat
            y, mean, var, inv_std = batch_norm_rows.forward_rows(x2, gamma, beta, self.eps)
            self.batch_mean, self.batch_var = mean, var
            self.xhat, self.inv_std, self.layout = None, inv_std, lay
            return lay.unmatrix(y)
        mean = lay.sum(x2) / m
        xhat = x2 - lay.expand(mean)                       # x - mean, normalised in place below
        var = lay.dot(xhat, xhat) / m
        inv_std = 1.0 / xp.sqrt(var + self.eps)
        xhat *= lay.expand(inv_std.astype(x.dtype, copy=False))
        y = xhat * lay.expand(gamma)
        y += lay.expand(beta)
        self.batch_mean, self.batch_var = mean, var
        self.xhat, self.inv_std, self.layout = xhat, inv_std, lay
        return lay.unmatrix(y)

    def backward(self, gy):
        x, gamma, _ = self.inputs
        gx, ggamma, gbeta = BatchNormGrad(self.xhat, self.inv_std, self.eps, self.layout,
                                          self.batch_mean)(x, gamma, gy)
        return gx, ggamma, gbeta


class BatchNormGrad(Function):
    """(x, gamma, gy) -> (gx, ggamma, gbeta): the first-order gradient of training-mode batch norm.

    Forward uses the ``xhat`` and ``inv_std`` saved by `BatchNormTrain` (they are
    functions of ``x``); backward recomputes them from ``x`` with Tensor ops so
    that the second derivative is exact, including its dependence on ``x``.

    Backward, per channel with M elements, s = inv_std, xh = xhat and the
    projection P(v) = v - mean(v) - xh * mean(v * xh) (so gx = gamma * s * P(g)).
    For upstream gradients a (of gx), b (of ggamma) and cc (of gbeta)::

        K       = sum(a * P(g))
        d g     = gamma * s * P(a) + b * xh + cc          (P is self-adjoint)
        d gamma = s * K
        d x     = s * P(G) - s^2 * gamma * K * xh / M,
                  G = b * g - gamma * s * (g * mean(a * xh) + a * mean(g * xh))

    where G and gamma*K are the partial derivatives of the loss with respect to
    xh and s, pushed through xh = (x - mean) * s and s = (var + eps)^(-1/2).
    """

    def __init__(self, xhat, inv_std, eps: float, layout: "_Channels | None" = None, mean=None):
        # xhat None: the channel-row path, which recomputes it from x, `mean` and `inv_std`
        self.xhat, self.inv_std, self.eps, self.layout, self.mean = xhat, inv_std, eps, layout, mean

    def forward(self, x, gamma, gy):
        lay = self.layout or _Channels(x)
        m = lay.n * lay.s
        g2 = lay.matrix(gy)
        if self.xhat is None:
            gx, ggamma, gbeta = batch_norm_rows.grad_rows(g2, lay.matrix(x), self.mean, gamma, self.inv_std)
            self.layout = self.mean = None
            return lay.unmatrix(gx), ggamma, gbeta
        # from BatchNormTrain (layout given) xhat is already in matrix form; else it is shaped like x
        xhat = self.xhat if self.layout is not None else lay.matrix(self.xhat)
        gbeta = lay.sum(g2)
        ggamma = lay.dot(g2, xhat)
        scale = gamma * self.inv_std.astype(gamma.dtype, copy=False)
        # gx = scale * (g - gbeta/m - xhat * ggamma/m), in four passes
        gx = xhat * lay.expand(ggamma * (1.0 / m))
        gx += lay.expand(gbeta * (1.0 / m))
        backend.get_array_module(gx).subtract(g2, gx, out=gx)
        gx *= lay.expand(scale)
        self.xhat = self.layout = None  # not needed again: backward recomputes from x
        return lay.unmatrix(gx), ggamma.astype(gamma.dtype, copy=False), gbeta.astype(gamma.dtype, copy=False)

    def backward(self, a, b, cc):
        # L = <a, gx> + <b, ggamma> + <cc, gbeta>; formulas in the class docstring
        x, gamma, g = self.inputs
        axes = (0,) + tuple(range(2, x.ndim))
        m = x.numel() // x.shape[1]
        bshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        mu = _mean(x, axes, keepdims=True)
        xc = x - mu
        var = _mean(xc * xc, axes, keepdims=True)
        s = (var + self.eps) ** -0.5
        xh = xc * s
        gam = reshape(gamma, bshape)

        def proj(v):  # P(v) = v - mean(v) - xh * mean(v * xh), a symmetric projection
            return v - _mean(v, axes, keepdims=True) - xh * _mean(v * xh, axes, keepdims=True)

        need_x, need_gamma, need_g = self.needs_input_grad
        gam_s = gam * s
        dx = dgamma = dg = None
        k = None
        if need_x or need_gamma:
            k = _sum(a * proj(g), axes, keepdims=True)          # sum(a * P(g)) per channel
        if need_g:
            dg = gam_s * proj(a) + reshape(b, bshape) * xh + reshape(cc, bshape)
        if need_gamma:
            dgamma = reshape(s * k, (x.shape[1],))
        if need_x:
            a_xh = _mean(a * xh, axes, keepdims=True)
            g_xh = _mean(g * xh, axes, keepdims=True)
            big_g = reshape(b, bshape) * g - gam_s * (g * a_xh + a * g_xh)
            dx = s * proj(big_g) - (s * s * gam * k) * xh * (1.0 / m)
        return dx, dgamma, dg


def batch_norm_train(x: Tensor, gamma: Tensor, beta: Tensor, eps: float) -> tuple[Tensor, object, object]:
    """Training-mode batch norm: (y, batch_mean, biased batch_var) with the statistics as arrays."""
    fn = BatchNormTrain(eps)
    y = fn(x, gamma, beta)
    return y, fn.batch_mean, fn.batch_var


# ---- eval mode ---------------------------------------------------------------------------


def batch_norm_eval(x: Tensor, running_mean, running_var, gamma: Tensor | None, beta: Tensor | None,
                    eps: float) -> Tensor:
    """Per-channel affine map with fixed statistics: gamma * (x - rm) / sqrt(rv + eps) + beta."""
    xp = x.xp
    c = x.shape[1]
    bshape = (1, c) + (1,) * (x.ndim - 2)
    rm = running_mean.array if isinstance(running_mean, Tensor) else running_mean
    rv = running_var.array if isinstance(running_var, Tensor) else running_var
    inv_std = (1.0 / xp.sqrt(rv + eps)).astype(x.dtype, copy=False)
    if gamma is None:
        scale = Tensor(inv_std)
    else:
        scale = gamma * Tensor(inv_std)
    shift = Tensor((-rm * inv_std).astype(x.dtype, copy=False)) if gamma is None else \
        Tensor(rm.astype(x.dtype, copy=False)) * (-scale)
    if beta is not None:
        shift = shift + beta
    return x * reshape(scale, bshape) + reshape(shift, bshape)


# ---- functional entry point --------------------------------------------------------------


def _check_channel_tensor(t, c: int, what: str, xshape: tuple) -> None:
    if t is not None and tuple(t.shape) != (c,):
        raise ValueError(f"batch_norm: {what} has shape {tuple(t.shape)} but the input {xshape} has {c} channels; "
                         f"expected shape ({c},)")


def batch_norm(input: Tensor, running_mean, running_var, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float | None = 0.1,
               eps: float = 1e-5, *, num_batches_tracked=None) -> Tensor:
    """Batch normalisation over dimension 1 of an (N, C), (N, C, L) or (N, C, H, W) input, as PyTorch's.

    In training mode the batch statistics normalise the input and, when given,
    ``running_mean`` / ``running_var`` are updated in place:
    ``r = (1 - momentum) * r + momentum * batch_stat`` with the unbiased batch
    variance for ``running_var``. ``momentum=None`` means a cumulative moving
    average (PyTorch's BatchNorm with momentum=None): pass the already
    incremented ``num_batches_tracked`` count (an int or a one-element tensor)
    and the factor is ``1 / num_batches_tracked``; the BatchNorm modules do this.
    In eval mode the running statistics are used and must be given.
    """
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C, *) with at least 2 dimensions, "
                         f"got shape {input.shape}")
    c = input.shape[1]
    for t, what in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"),
                    (bias, "bias")):
        _check_channel_tensor(t, c, what, input.shape)
    check_same_dtype("batch_norm", input=input, weight=weight, bias=bias)
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var must be given in eval mode (training=False)")
        return batch_norm_eval(input, running_mean, running_var, weight, bias, eps)

    n, _, s = _layout(input.shape)
    m = n * s
    if m <= 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                         f"got input of shape {input.shape}")
    xp = input.xp
    dtype = input.dtype
    with input.device.scope():
        gamma = weight if weight is not None else Tensor(xp.ones(c, dtype=dtype))
        beta = bias if bias is not None else Tensor(xp.zeros(c, dtype=dtype))
    y, batch_mean, batch_var = batch_norm_train(input, gamma, beta, eps)
    if running_mean is not None or running_var is not None:
        if momentum is None:
            if num_batches_tracked is None:
                raise ValueError("batch_norm: momentum=None (cumulative average) needs num_batches_tracked")
            count = float(num_batches_tracked.item() if isinstance(num_batches_tracked, Tensor)
                          else num_batches_tracked)
            factor = 1.0 / count if count > 0 else 0.0
        else:
            factor = float(momentum)
        if running_mean is not None:
            rm = running_mean.array if isinstance(running_mean, Tensor) else running_mean
            rm *= 1.0 - factor
            rm += (batch_mean * factor).astype(rm.dtype, copy=False)
        if running_var is not None:
            rv = running_var.array if isinstance(running_var, Tensor) else running_var
            rv *= 1.0 - factor
            rv += (batch_var * (factor * m / (m - 1))).astype(rv.dtype, copy=False)
    return y
