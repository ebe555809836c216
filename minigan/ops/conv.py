"""conv2d and conv_transpose2d with PyTorch's signatures, layouts and output sizes.

One convolution is one GEMM on im2col columns (see `im2col.py` for the
batch-last layout). ConvTranspose2d is the adjoint of Conv2d and shares its
code: conv-transpose forward is conv's data gradient (GEMM, then col2im; at kernel 4,
stride 2, padding 1 by output phase instead, see `conv_phase.py`) and conv-transpose's
data gradient is conv forward.

Backward passes are built from these same differentiable pieces, so double
backward (gradient penalties, Hessian-vector products) works through both:

    Conv2d(x, W):            dx = ConvTranspose2d(gy, W)   dW = Conv2dWeightGrad(x, gy)
    ConvTranspose2d(x, W):   dx = Conv2d(gy, W)            dW = Conv2dWeightGrad(gy, x)
    Conv2dWeightGrad(x, gy): d/dx = ConvTranspose2d(gy, G)  d/dgy = Conv2d(x, G)   (G = incoming grad)

Shapes (PyTorch's): conv2d x (N, C, H, W), weight (out, C/groups, kH, kW) ->
(N, out, (H + 2p - d(k-1) - 1)//s + 1, ...); conv_transpose2d weight (C, out/groups, kH, kW)
-> (N, out, (H-1)s - 2p + d(k-1) + output_padding + 1, ...).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import backend, workspace
from ..autograd import Function, Tensor
from .dtypes import check_same_dtype
from ..layout import from_batch_last as as_nchw
from . import conv_phase
from .im2col import batch_last, col2im, im2col
from .reduce import sum as _sum
from .shape import pad as _pad, squeeze, unsqueeze


class ConvParams(NamedTuple):
    """The geometry of a convolution, each a (height, width) pair, and the group count."""
    stride: tuple
    padding: tuple
    dilation: tuple
    groups: int


# ---- the three GEMMs (grouped convolution = a batch of G independent GEMMs) ------------------


def _matmul(a, b):
    return backend.get_array_module(a, b).matmul(a, b)


def _gemm_forward(w2, cols, groups: int):
    """(O, Cg*KK) @ (C*KK, P) -> (O, P)."""
    if groups == 1:
        return _matmul(w2, cols)
    o, k = w2.shape
    return _matmul(w2.reshape(groups, o // groups, k), cols.reshape(groups, k, -1)).reshape(o, -1)


def _gemm_data(w2, gy2, groups: int):
    """W^T gy: (O, Cg*KK), (O, P) -> (C*KK, P), into a reused block when large (see `workspace`)."""
    if groups == 1:
        xp = backend.get_array_module(w2, gy2)
        return xp.matmul(w2.T, gy2, out=workspace.empty((w2.shape[1], gy2.shape[1]), gy2.dtype, xp))
    o, k = w2.shape
    return _matmul(w2.reshape(groups, o // groups, k).transpose(0, 2, 1),
                   gy2.reshape(groups, o // groups, -1)).reshape(groups * k, -1)


def _gemm_weight(gy2, cols, groups: int):
    """gy cols^T: (O, P), (C*KK, P) -> (O, Cg*KK) (maybe a transposed view).

    P (= OH*OW*N) is the long contraction axis. OpenBLAS runs these faster with the larger
    of O and Cg*KK as the result's rows: at D2 (O=128, Cg*KK=1024) (cols gy^T)^T beats
    gy cols^T by 10-25%, at D1 (O=64, Cg*KK=16) gy cols^T wins by 1.5x (2 cores, float32).
    """
    o, k = gy2.shape[0] // groups, cols.shape[0] // groups
    weight_rows_first = o >= 2 * k
    if groups == 1:
        return _matmul(gy2, cols.T) if weight_rows_first else _matmul(cols, gy2.T).T
    gy3, cols3 = gy2.reshape(groups, o, -1), cols.reshape(groups, k, -1)
    if weight_rows_first:
        prod = _matmul(gy3, cols3.transpose(0, 2, 1))
    else:
        prod = _matmul(cols3, gy3.transpose(0, 2, 1)).transpose(0, 2, 1)
    return prod.reshape(groups * o, k)


# ---- array-level convolution ---------------------------------------------------------------


def _columns(x, kernel_hw: tuple, params: ConvParams, out_hw: tuple):
    return im2col(batch_last(x, *params.padding), kernel_hw, params.stride, params.dilation, out_hw)


def conv2d_array(x, w, b, params: ConvParams, out_hw: tuple, cols=None):
    """conv2d on arrays: returns y (an (N, O, OH, OW) view of an (O, OH, OW, N) array) and the columns."""
    o = w.shape[0]
    if cols is None:
        cols = _columns(x, w.shape[2:], params, out_hw)
    y = _gemm_forward(w.reshape(o, -1), cols, params.groups)
    if b is not None:
        y += b.reshape(o, 1)
    return as_nchw(y.reshape(o, out_hw[0], out_hw[1], x.shape[0])), cols


def conv2d_data_grad_array(gy, w, params: ConvParams, in_hw: tuple, gy_cn=None):
    """The adjoint of conv2d in x (= conv_transpose2d forward): (N, O, OH, OW) -> contiguous (C, H, W, N).

    `gy_cn` may carry ``batch_last(gy)`` when the caller already made it."""
    o, cg, kh, kw = w.shape
    if conv_phase.applies(w.shape, params, in_hw, gy.shape[2:]):
        return conv_phase.data_grad(gy, w, gy_cn)  # k4 s2 p1 by output phase: no col2im
    gy2 = (batch_last(gy) if gy_cn is None else gy_cn).reshape(o, -1)
    dcols = _gemm_data(w.reshape(o, -1), gy2, params.groups)
    return col2im(dcols, cg * params.groups, in_hw, params.padding, (kh, kw), params.stride, params.dilation,
                  gy.shape[2:])


def conv2d_weight_grad_array(x, gy, params: ConvParams, kernel_hw: tuple, cols=None, gy_cn=None):
    """The adjoint of conv2d in W: returns dW (O, C/groups, kH, kW) and the columns of x."""
    o = gy.shape[1]
    if cols is None:
        cols = _columns(x, kernel_hw, params, gy.shape[2:])
    gw = _gemm_weight((batch_last(gy) if gy_cn is None else gy_cn).reshape(o, -1), cols, params.groups)
    return gw.reshape(o, x.shape[1] // params.groups, *kernel_hw), cols


# ---- Functions ----------------------------------------------------------------------------


class Conv2d(Function):
    """y = conv2d(x, W) + b with an explicit output size (so it can serve as an adjoint).

    `cols` may carry precomputed columns of x (conv-transpose's backward shares them
    between its two gradients); they are kept for the weight gradient only when one
    may be asked for.
    """

    def __init__(self, params: ConvParams, out_hw: tuple, cols=None):
        self.params, self.out_hw, self.cols = params, tuple(out_hw), cols

    def forward(self, x, w, b=None):
        y, cols = conv2d_array(x, w, b, self.params, self.out_hw, self.cols)
        self.cols = cols if self.inputs and self.inputs[1].requires_grad else None
        return y

    def backward(self, gy):
        x, w = self.inputs[0], self.inputs[1]
        need = self.needs_input_grad
        # both gradients read gy in batch-last order: transpose it once (free if it already is)
        gy_cn = batch_last(gy.array) if need[0] and need[1] else None
        gx = ConvTranspose2d(self.params, x.shape[2:], gy_cn)(gy, w) if need[0] else None
        gw = Conv2dWeightGrad(self.params, w.shape[2:], self.cols, gy_cn)(x, gy) if need[1] else None
        if len(need) == 2:
            return gx, gw
        return gx, gw, (_sum(gy, axis=(0, 2, 3)) if need[2] else None)


class ConvTranspose2d(Function):
    """y = conv_transpose2d(x, W) + b, the adjoint of Conv2d in its input; `out_hw` is y's (H, W).

    `x_cn` may carry ``batch_last(x)`` when the caller already made it.
    """

    def __init__(self, params: ConvParams, out_hw: tuple, x_cn=None):
        self.params, self.out_hw, self.x_cn = params, tuple(out_hw), x_cn

    def forward(self, x, w, b=None):
        y = conv2d_data_grad_array(x, w, self.params, self.out_hw, self.x_cn)
        self.x_cn = None
        if b is not None:
            y += b.reshape(-1, 1, 1, 1)
        return as_nchw(y)

    def backward(self, gy):
        x, w = self.inputs[0], self.inputs[1]
        need = self.needs_input_grad
        gx = gw = None
        if need[0] or need[1]:
            # both gradients read the same columns of gy: compute them once
            cols = _columns(gy.array, w.shape[2:], self.params, x.shape[2:])
            if need[0]:
                gx = Conv2d(self.params, x.shape[2:], cols)(gy, w)
            if need[1]:
                gw = Conv2dWeightGrad(self.params, w.shape[2:], cols)(gy, x)
        if len(need) == 2:
            return gx, gw
        return gx, gw, (_sum(gy, axis=(0, 2, 3)) if need[2] else None)


class Conv2dWeightGrad(Function):
    """dW = conv2d's weight gradient, bilinear in (x, gy); `cols` optionally holds x's columns
    and `gy_cn` ``batch_last(gy)``."""

    def __init__(self, params: ConvParams, kernel_hw: tuple, cols=None, gy_cn=None):
        self.params, self.kernel_hw, self.cols, self.gy_cn = params, tuple(kernel_hw), cols, gy_cn

    def forward(self, x, gy):
        gw, cols = conv2d_weight_grad_array(x, gy, self.params, self.kernel_hw, self.cols, self.gy_cn)
        self.gy_cn = None
        self.cols = cols if self.inputs and self.inputs[1].requires_grad else None
        return gw

    def backward(self, ggw):
        x, gy = self.inputs
        need = self.needs_input_grad
        gx = ConvTranspose2d(self.params, x.shape[2:])(gy, ggw) if need[0] else None
        ggy = Conv2d(self.params, gy.shape[2:], self.cols)(x, ggw) if need[1] else None
        return gx, ggy


# ---- argument checking ----------------------------------------------------------------------


def _pair(value, name: str, op: str) -> tuple:
    def is_int(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    if is_int(value):
        return (int(value), int(value))
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(is_int(v) for v in value):
        return (int(value[0]), int(value[1]))
    raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")


def _as_tensor(x, like: Tensor | None = None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if like is not None and like.device.type != "cpu":
        return Tensor(backend.to_device(x, like.device))
    return Tensor(x)


def _check_common(op: str, x: Tensor, w: Tensor, b, stride, padding, dilation, groups) -> None:
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {x.shape}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    if any(s < 1 for s in stride):
        raise ValueError(f"{op}: stride must be positive, got {stride}")
    if any(p < 0 for p in padding):
        raise ValueError(f"{op}: padding must be non-negative, got {padding}")
    if any(d < 1 for d in dilation):
        raise ValueError(f"{op}: dilation must be positive, got {dilation}")
    check_same_dtype(op, input=x, weight=w, bias=b)


def _conv_output_size(op, x_shape, w_shape, stride, padding, dilation) -> tuple:
    out = []
    for size, k, s, p, d in zip(x_shape[2:], w_shape[2:], stride, padding, dilation):
        span = d * (k - 1) + 1
        if span > size + 2 * p:
            raise ValueError(
                f"{op}: kernel size {tuple(w_shape[2:])} (dilated extent {span}) is larger than the padded input "
                f"{tuple(n + 2 * q for n, q in zip(x_shape[2:], padding))} (input shape {tuple(x_shape)}, "
                f"padding {padding}, dilation {dilation})")
        out.append((size + 2 * p - span) // s + 1)
    return tuple(out)


def _same_padding(x: Tensor, w_shape, stride, dilation) -> tuple[Tensor, tuple]:
    """PyTorch's padding='same' (stride 1): odd totals put the extra row/column at the end."""
    if any(s != 1 for s in stride):
        raise ValueError(f"conv2d: padding='same' needs stride 1, got stride {stride}")
    totals = [d * (k - 1) for d, k in zip(dilation, w_shape[2:])]
    if all(t % 2 == 0 for t in totals):
        return x, tuple(t // 2 for t in totals)
    return _pad(x, [(0, 0), (0, 0)] + [(t // 2, t - t // 2) for t in totals]), (0, 0)


# ---- public API ------------------------------------------------------------------------------


def _operands(op: str, input, weight, bias, weight_layout: str) -> tuple:
    """Tensors for (input, weight, bias) and whether the input was unbatched (C, H, W), now (1, C, H, W)."""
    x = _as_tensor(input)
    w, b = _as_tensor(weight, x), (None if bias is None else _as_tensor(bias, x))
    unbatched = x.ndim == 3
    if unbatched:
        x = unsqueeze(x, 0)
    if w.ndim != 4:
        raise ValueError(f"{op}: weight must be 4-D {weight_layout}, got shape {w.shape}")
    return x, w, b, unbatched


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``.

    input (N, C, H, W) or unbatched (C, H, W); weight (out, C/groups, kH, kW); bias (out,).
    Returns (N, out, (H + 2*padding - dilation*(kH-1) - 1)//stride + 1, ...). `stride`,
    `padding` and `dilation` are ints or (h, w) pairs; `padding` may also be 'valid' or 'same'.
    """
    op = "conv2d"
    x, w, b, unbatched = _operands(op, input, weight, bias, "(out_channels, in_channels/groups, kH, kW)")
    stride, dilation = _pair(stride, "stride", op), _pair(dilation, "dilation", op)
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            x, padding = _same_padding(x, w.shape, stride, dilation)
        else:
            raise ValueError(f"{op}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    padding = _pair(padding, "padding", op)
    _check_common(op, x, w, b, stride, padding, dilation, groups)
    c, o = x.shape[1], w.shape[0]
    if w.shape[1] * groups != c:
        raise ValueError(f"{op}: input of shape {x.shape} has {c} channels, but weight of shape {w.shape} "
                         f"with groups={groups} expects {w.shape[1] * groups}")
    if o % groups:
        raise ValueError(f"{op}: out_channels={o} (weight shape {w.shape}) is not divisible by groups={groups}")
    if b is not None and b.shape != (o,):
        raise ValueError(f"{op}: bias must have shape ({o},) to match weight {w.shape}, got {b.shape}")
    out_hw = _conv_output_size(op, x.shape, w.shape, stride, padding, dilation)
    fn = Conv2d(ConvParams(stride, padding, dilation, int(groups)), out_hw)
    y = fn(x, w) if b is None else fn(x, w, b)
    return squeeze(y, 0) if unbatched else y


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution (the gradient of conv2d), as ``torch.nn.functional.conv_transpose2d``.

    input (N, C, H, W) or unbatched (C, H, W); weight (C, out/groups, kH, kW); bias (out,).
    Returns (N, out, (H-1)*stride - 2*padding + dilation*(kH-1) + output_padding + 1, ...);
    output_padding must be smaller than stride or dilation (per dimension).
    """
    op = "conv_transpose2d"
    x, w, b, unbatched = _operands(op, input, weight, bias, "(in_channels, out_channels/groups, kH, kW)")
    stride, padding = _pair(stride, "stride", op), _pair(padding, "padding", op)
    dilation, output_padding = _pair(dilation, "dilation", op), _pair(output_padding, "output_padding", op)
    _check_common(op, x, w, b, stride, padding, dilation, groups)
    c = x.shape[1]
    if w.shape[0] != c:
        raise ValueError(f"{op}: input of shape {x.shape} has {c} channels, but weight of shape {w.shape} "
                         f"expects {w.shape[0]} (weight is (in_channels, out_channels/groups, kH, kW))")
    if c % groups:
        raise ValueError(f"{op}: in_channels={c} is not divisible by groups={groups}")
    o = w.shape[1] * groups
    if b is not None and b.shape != (o,):
        raise ValueError(f"{op}: bias must have shape ({o},) to match weight {w.shape} and groups={groups}, "
                         f"got {b.shape}")
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ < 0 or op_ >= max(s, d):
            raise ValueError(f"{op}: output_padding must be non-negative and smaller than either stride or "
                             f"dilation, got output_padding={output_padding}, stride={stride}, dilation={dilation}")
    out_hw = tuple((size - 1) * s - 2 * p + d * (k - 1) + op_ + 1 for size, k, s, p, d, op_ in
                   zip(x.shape[2:], w.shape[2:], stride, padding, dilation, output_padding))
    if any(n <= 0 for n in out_hw):
        raise ValueError(f"{op}: the output size {out_hw} is not positive (input shape {x.shape}, weight "
                         f"{w.shape}, stride {stride}, padding {padding}, dilation {dilation}, "
                         f"output_padding {output_padding})")
    fn = ConvTranspose2d(ConvParams(stride, padding, dilation, int(groups)), out_hw)
    y = fn(x, w) if b is None else fn(x, w, b)
    return squeeze(y, 0) if unbatched else y
