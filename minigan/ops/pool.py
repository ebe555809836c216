"""max_pool2d and avg_pool2d with PyTorch's signatures and output sizes.

Both work on KH*KW strided slices of the (padded) input, one whole-array
elementwise op per kernel position, so they are fast for the small kernels
networks use (2x2, 3x3) and run unchanged on CuPy. Non-overlapping windows
(stride >= kernel, the usual 2x2/2) write their gradients with plain
assignments; overlapping ones accumulate with strided ``+=``, never ``np.add.at``.

Every backward is a linear map written as a Function whose own backward is its
adjoint (max-pool: scatter to the argmax <-> gather at the argmax; avg-pool:
spread <-> average), so second derivatives work through pooling.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import backend, layout
from ..autograd import Function, Tensor
from .conv import _pair
from .shape import squeeze, unsqueeze


class PoolParams(NamedTuple):
    kernel: tuple
    stride: tuple
    padding: tuple
    out_hw: tuple


def _window(a, params: PoolParams, i: int, j: int):
    """The (N, C, OH, OW) slice of padded `a` seen by kernel position (i, j)."""
    (sh, sw), (oh, ow) = params.stride, params.out_hw
    return a[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]


def _positions(params: PoolParams):
    kh, kw = params.kernel
    return [(i, j) for i in range(kh) for j in range(kw)]


def _overlapping(params: PoolParams) -> bool:
    return any(s < k for s, k in zip(params.stride, params.kernel))


def _alloc_like(xp, x, shape, fill):
    """A new (N, C, H, W) array filled with `fill` (None: uninitialised) in `x`'s memory layout
    (batch-last stays batch-last)."""
    return layout.empty_like_layout(xp, x, shape, fill)


def _padded(x, params: PoolParams, fill: float):
    ph, pw = params.padding
    if ph == 0 and pw == 0:
        return x
    xp = backend.get_array_module(x)
    n, c, h, w = x.shape
    out = _alloc_like(xp, x, (n, c, h + 2 * ph, w + 2 * pw), fill)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def _cropped(a, params: PoolParams, in_hw: tuple):
    (ph, pw), (h, w) = params.padding, in_hw
    return a[:, :, ph:ph + h, pw:pw + w] if ph or pw else a


def _spread(g, mask_of, params: PoolParams, x_like, in_hw: tuple):
    """Sum each kernel position's slab of `g` (masked by `mask_of(k)`, if given) into an input-shaped array."""
    xp = backend.get_array_module(g)
    n, c = g.shape[:2]
    (ph, pw), (h, w) = params.padding, in_hw
    accumulate = _overlapping(params)
    # windows that tile the input exactly (2x2/2 on even sizes) write every element once: no zeroing
    tiled = not accumulate and params.padding == (0, 0) and all(
        o * k == size for o, k, size in zip(params.out_hw, params.kernel, in_hw))
    out = _alloc_like(xp, x_like, (n, c, h + 2 * ph, w + 2 * pw), None if tiled else 0)
    zero = xp.zeros((), dtype=g.dtype)
    for k, (i, j) in enumerate(_positions(params)):
        slab = g if mask_of is None else xp.where(mask_of(k), g, zero)
        target = _window(out, params, i, j)
        if accumulate:
            target += slab
        else:
            target[...] = slab
    return _cropped(out, params, in_hw)


class MaxPool2d(Function):
    """y = max over each window; remembers which kernel position won (the first one at ties, as PyTorch)."""

    def __init__(self, params: PoolParams):
        self.params = params

    def forward(self, x):
        xp = backend.get_array_module(x)
        xpad = _padded(x, self.params, -np.inf)
        positions = _positions(self.params)
        y = _window(xpad, self.params, *positions[0]).copy(order="K")
        for i, j in positions[1:]:
            xp.maximum(y, _window(xpad, self.params, i, j), out=y)
        # argmax: walk positions backwards so the first maximum wins
        winner = xp.full(y.shape, len(positions) - 1, dtype=np.int16 if len(positions) > 127 else np.int8)
        for k in range(len(positions) - 2, -1, -1):
            xp.copyto(winner, k, where=_window(xpad, self.params, *positions[k]) == y)
        self.winner = winner
        return y

    def backward(self, gy):
        x, = self.inputs
        return MaxPool2dGrad(self.params, self.winner, x.shape[2:])(gy)


class MaxPool2dGrad(Function):
    """Scatter gy to each window's argmax (linear in gy); its adjoint is `MaxPool2dGather`."""

    def __init__(self, params: PoolParams, winner, in_hw: tuple):
        self.params, self.winner, self.in_hw = params, winner, tuple(in_hw)

    def forward(self, gy):
        return _spread(gy, lambda k: self.winner == k, self.params, gy, self.in_hw)

    def backward(self, ggx):
        return MaxPool2dGather(self.params, self.winner, self.in_hw)(ggx)


class MaxPool2dGather(Function):
    """Pick each window's argmax element of an input-shaped array; its adjoint is `MaxPool2dGrad`."""

    def __init__(self, params: PoolParams, winner, in_hw: tuple):
        self.params, self.winner, self.in_hw = params, winner, tuple(in_hw)

    def forward(self, a):
        xp = backend.get_array_module(a)
        apad = _padded(a, self.params, 0)
        positions = _positions(self.params)
        out = _window(apad, self.params, *positions[-1]).copy(order="K")
        for k in range(len(positions) - 1):
            xp.copyto(out, _window(apad, self.params, *positions[k]), where=self.winner == k)
        return out

    def backward(self, gy):
        return MaxPool2dGrad(self.params, self.winner, self.in_hw)(gy)


class AvgPool2d(Function):
    """Mean over each window, zero padding included in the count (PyTorch's count_include_pad=True)."""

    def __init__(self, params: PoolParams):
        self.params = params

    def forward(self, x):
        xpad = _padded(x, self.params, 0)
        positions = _positions(self.params)
        y = _window(xpad, self.params, *positions[0]).copy(order="K")
        for i, j in positions[1:]:
            y += _window(xpad, self.params, i, j)
        y *= 1.0 / len(positions)
        return y

    def backward(self, gy):
        x, = self.inputs
        return AvgPool2dGrad(self.params, x.shape[2:])(gy)


class AvgPool2dGrad(Function):
    """Spread gy / (KH*KW) over each window; its adjoint is `AvgPool2d`."""

    def __init__(self, params: PoolParams, in_hw: tuple):
        self.params, self.in_hw = params, tuple(in_hw)

    def forward(self, gy):
        scaled = gy * (1.0 / (self.params.kernel[0] * self.params.kernel[1]))
        return _spread(scaled.astype(gy.dtype, copy=False), None, self.params, gy, self.in_hw)

    def backward(self, ggx):
        return AvgPool2d(self.params)(ggx)


# ---- public API ----------------------------------------------------------------------------


def _params(op: str, x: Tensor, kernel_size, stride, padding) -> PoolParams:
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {x.shape}")
    kernel = _pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) \
        else _pair(stride, "stride", op)
    padding = _pair(padding, "padding", op)
    if any(k < 1 for k in kernel):
        raise ValueError(f"{op}: kernel_size must be positive, got {kernel}")
    if any(s < 1 for s in stride):
        raise ValueError(f"{op}: stride must be positive, got {stride}")
    if any(p < 0 or 2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding must be non-negative and at most half the kernel size, "
                         f"got padding {padding} for kernel {kernel}")
    out_hw = tuple((n + 2 * p - k) // s + 1 for n, k, s, p in zip(x.shape[2:], kernel, stride, padding))
    if any(n + 2 * p < k for n, k, p in zip(x.shape[2:], kernel, padding)) or any(o <= 0 for o in out_hw):
        raise ValueError(f"{op}: kernel {kernel} is larger than the padded input "
                         f"{tuple(n + 2 * p for n, p in zip(x.shape[2:], padding))} (input shape {x.shape})")
    return PoolParams(kernel, stride, padding, out_hw)


def _pool(fn_class, op: str, x, kernel_size, stride, padding) -> Tensor:
    x = x if isinstance(x, Tensor) else Tensor(x)
    unbatched = x.ndim == 3
    if unbatched:
        x = unsqueeze(x, 0)
    y = fn_class(_params(op, x, kernel_size, stride, padding))(x)
    return squeeze(y, 0) if unbatched else y


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    """Max over KH x KW windows, as ``torch.nn.functional.max_pool2d`` (dilation 1, floor mode).

    input (N, C, H, W) or (C, H, W); stride defaults to kernel_size; padding (at most
    half the kernel) is -inf. Output (N, C, (H + 2*padding - kH)//stride + 1, ...). At ties
    the gradient goes to the first maximum in the window, as in PyTorch.
    """
    return _pool(MaxPool2d, "max_pool2d", input, kernel_size, stride, padding)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    """Mean over KH x KW windows, as ``torch.nn.functional.avg_pool2d`` (floor mode).

    Zero padding counts in the mean (PyTorch's default count_include_pad=True), so each
    output is the window sum / (kH*kW).
    """
    return _pool(AvgPool2d, "avg_pool2d", input, kernel_size, stride, padding)
