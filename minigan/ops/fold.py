"""unfold (im2col) and fold (col2im) as differentiable ops, as torch.nn.functional's.

``unfold`` lays every kH x kW block of a (N, C, H, W) input out as a column:
(N, C*kH*kW, L) with L = OH*OW blocks, rows ordered (channel, kernel row, kernel column),
exactly the columns the convolutions multiply (`im2col.im2col`). ``fold`` is its adjoint:
it sums each column back onto the block it came from (`im2col.col2im`, no ``np.add.at``).
Each is the other's backward, so gradients of every order work.

    cols = unfold(x, kernel_size=3, padding=1)            # (N, C*9, H*W)
    y = fold(cols, output_size=x.shape[2:], kernel_size=3, padding=1)
"""
from __future__ import annotations

from typing import NamedTuple

from .. import backend
from ..autograd import Function, Tensor
from ..layout import from_batch_last
from .conv import _pair
from .im2col import batch_last, col2im, im2col
from .shape import squeeze, unsqueeze

__all__ = ["Unfold", "Fold", "unfold", "fold"]


class FoldParams(NamedTuple):
    kernel: tuple
    dilation: tuple
    padding: tuple
    stride: tuple
    image_hw: tuple   # (H, W) of the image side
    blocks_hw: tuple  # (OH, OW): the grid of blocks


class Unfold(Function):
    """(N, C, H, W) -> (N, C*kH*kW, OH*OW); its adjoint is `Fold`."""

    def __init__(self, params: FoldParams):
        self.params = params

    def forward(self, x):
        xp = backend.get_array_module(x)
        p = self.params
        n, c = x.shape[:2]
        cols = im2col(batch_last(x, *p.padding), p.kernel, p.stride, p.dilation, p.blocks_hw)
        # the columns live in a reused workspace block: copy them out in (N, C*kH*kW, L) order
        return xp.ascontiguousarray(cols.reshape(cols.shape[0], -1, n).transpose(2, 0, 1))

    def backward(self, gy):
        return Fold(self.params)(gy)


class Fold(Function):
    """(N, C*kH*kW, OH*OW) -> (N, C, H, W), summing overlaps; its adjoint is `Unfold`."""

    def __init__(self, params: FoldParams):
        self.params = params

    def forward(self, cols):
        xp = backend.get_array_module(cols)
        p = self.params
        n, ckk, blocks = cols.shape
        columns = xp.ascontiguousarray(cols.transpose(1, 2, 0)).reshape(ckk, blocks * n)
        channels = ckk // (p.kernel[0] * p.kernel[1])
        out = col2im(columns, channels, p.image_hw, p.padding, p.kernel, p.stride, p.dilation, p.blocks_hw)
        return from_batch_last(out)

    def backward(self, gy):
        return Unfold(self.params)(gy)


def _geometry(op: str, image_hw, kernel_size, dilation, padding, stride) -> FoldParams:
    kernel, dilation = _pair(kernel_size, "kernel_size", op), _pair(dilation, "dilation", op)
    padding, stride = _pair(padding, "padding", op), _pair(stride, "stride", op)
    for name, value, low in (("kernel_size", kernel, 1), ("dilation", dilation, 1), ("padding", padding, 0),
                             ("stride", stride, 1)):
        if any(v < low for v in value):
            raise ValueError(f"{op}: {name} must be {'positive' if low else 'non-negative'}, got {value}")
    blocks = tuple((size + 2 * p - d * (k - 1) - 1) // s + 1
                   for size, k, d, p, s in zip(image_hw, kernel, dilation, padding, stride))
    if any(b < 1 for b in blocks):
        raise ValueError(f"{op}: no {kernel} block (dilation {dilation}) fits the padded image "
                         f"{tuple(n + 2 * q for n, q in zip(image_hw, padding))} (padding {padding}); "
                         f"the block grid would be {blocks}")
    return FoldParams(kernel, dilation, padding, stride, tuple(int(v) for v in image_hw), blocks)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding blocks, as ``torch.nn.functional.unfold``: (N, C, H, W) -> (N, C*kH*kW, L).

    Unbatched (C, H, W) input gives (C*kH*kW, L). L = OH*OW with
    OH = (H + 2*padding - dilation*(kH - 1) - 1) // stride + 1 (likewise OW).
    """
    op = "unfold"
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {x.shape}")
    unbatched = x.ndim == 3
    if unbatched:
        x = unsqueeze(x, 0)
    y = Unfold(_geometry(op, x.shape[2:], kernel_size, dilation, padding, stride))(x)
    return squeeze(y, 0) if unbatched else y


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum sliding blocks back into an image, as ``torch.nn.functional.fold``: (N, C*kH*kW, L) -> (N, C, H, W).

    `output_size` is (H, W) (or an int); L must equal the number of blocks that fit it.
    Unbatched (C*kH*kW, L) input gives (C, H, W). ``fold(unfold(x, k), x.shape[2:], k)``
    multiplies each pixel by the number of blocks covering it.
    """
    op = "fold"
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim not in (2, 3):
        raise ValueError(f"{op}: expected a 2-D (C*kH*kW, L) or 3-D (N, C*kH*kW, L) input, got shape {x.shape}")
    unbatched = x.ndim == 2
    if unbatched:
        x = unsqueeze(x, 0)
    params = _geometry(op, _pair(output_size, "output_size", op), kernel_size, dilation, padding, stride)
    kk = params.kernel[0] * params.kernel[1]
    if x.shape[1] % kk:
        raise ValueError(f"{op}: dimension 1 of input shape {x.shape} must be divisible by the product of "
                         f"kernel_size {params.kernel} ({kk})")
    blocks = params.blocks_hw[0] * params.blocks_hw[1]
    if x.shape[2] != blocks:
        raise ValueError(f"{op}: output_size {params.image_hw} with kernel_size {params.kernel}, dilation "
                         f"{params.dilation}, padding {params.padding}, stride {params.stride} has "
                         f"{params.blocks_hw[0]} * {params.blocks_hw[1]} = {blocks} blocks, but dimension 2 of "
                         f"input shape {x.shape} is {x.shape[2]}")
    y = Fold(params)(x)
    return squeeze(y, 0) if unbatched else y
