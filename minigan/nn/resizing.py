"""Layers that change the spatial size: Upsample, AdaptiveAvgPool2d, PixelShuffle, PixelUnshuffle (torch.nn's)."""
from __future__ import annotations

from ..autograd import Tensor
from . import functional as F
from .module import Module

__all__ = ["Upsample", "AdaptiveAvgPool2d", "PixelShuffle", "PixelUnshuffle"]


class Upsample(Module):
    """``Upsample(scale_factor=2, mode='nearest')`` or ``Upsample(size=(H, W), mode='bilinear')``.

    Calls `F.interpolate` on (N, C, L) or (N, C, H, W) input; see it for the modes.
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None):
        super().__init__()
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class AdaptiveAvgPool2d(Module):
    """Average-pool to a fixed size: ``AdaptiveAvgPool2d((OH, OW))`` or ``AdaptiveAvgPool2d(1)`` (global)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class PixelShuffle(Module):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): ``PixelShuffle(upscale_factor=r)``."""

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W): ``PixelUnshuffle(downscale_factor=r)``."""

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
