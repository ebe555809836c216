"""InstanceNorm2d with PyTorch's arguments, defaults, train/eval semantics and state-dict keys.

Each (sample, channel) is normalised over its H*W positions, so samples never
mix: a WGAN-GP or R1 critic can use it where batch norm would break the
per-sample gradient penalty. Defaults as torch: ``affine=False``,
``track_running_stats=False`` (then the state dict is empty). With running
statistics kept, training updates them (num_batches_tracked is kept but, as in
PyTorch, not counted) and eval mode normalises with them.

    norm = nn.InstanceNorm2d(64, affine=True)
    y = norm(x)                                    # x: (N, 64, H, W) or unbatched (64, H, W)
"""
from __future__ import annotations

import warnings

from ..autograd import Tensor
from ..ops.group_norm import instance_norm
from ..ops.shape import reshape
from .normalization import _NormBase

__all__ = ["InstanceNorm2d"]


class InstanceNorm2d(_NormBase):
    """Instance normalisation over (N, C, H, W) or (C, H, W) input."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(f"InstanceNorm2d: expected 3D or 4D input (got {input.ndim}D input of shape "
                             f"{tuple(input.shape)})")
        channels = input.shape[input.ndim - 3]
        if channels != self.num_features:
            if self.affine:
                raise ValueError(f"InstanceNorm2d({self.num_features}): expected input's size at "
                                 f"dim={input.ndim - 3} to match num_features ({self.num_features}), "
                                 f"but got: {channels} (shape {tuple(input.shape)})")
            warnings.warn(f"InstanceNorm2d({self.num_features}): input's size at dim={input.ndim - 3} "
                          f"({channels}) does not match num_features, which is unused because affine=False",
                          stacklevel=2)
        unbatched = input.ndim == 3
        x = reshape(input, (1,) + tuple(input.shape)) if unbatched else input
        y = instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          self.training or not self.track_running_stats,
                          self.momentum if self.momentum is not None else 0.0, self.eps)
        return reshape(y, tuple(input.shape)) if unbatched else y
