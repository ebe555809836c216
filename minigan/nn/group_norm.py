"""GroupNorm with PyTorch's arguments, defaults and state-dict keys (weight, and bias unless
``bias=False``, when affine).

Normalises each sample over groups of C/num_groups channels (Wu & He 2018):
no batch statistics, the same in training and eval, and samples never mix,
so a gradient-penalty critic can use it. ``GroupNorm(1, C)`` normalises over
the whole (C, H, W) sample, as a LayerNorm with per-channel affine;
``GroupNorm(C, C)`` is an affine InstanceNorm.

    norm = nn.GroupNorm(4, 64)
    y = norm(x)                                    # x: (N, 64, *)
"""
from __future__ import annotations

from ..autograd import Tensor
from ..ops.group_norm import group_norm
from ._factory import check_range, check_size, register_affine, reset_affine
from .module import Module

__all__ = ["GroupNorm"]


class GroupNorm(Module):
    """Group normalisation over (N, C, *) input; ``num_channels`` must be divisible by ``num_groups``."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device=None, dtype=None, *, bias: bool = True):
        super().__init__()
        check_size("GroupNorm", "num_groups", num_groups)
        check_size("GroupNorm", "num_channels", num_channels)
        check_range("GroupNorm", "eps", eps, 0.0)
        if int(num_channels) % int(num_groups) != 0:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps, self.affine = eps, affine
        register_affine(self, (self.num_channels,), affine, bias, device, dtype)

    def reset_parameters(self) -> None:
        reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm({self.num_groups}, {self.num_channels}) got input of shape "
                             f"{tuple(input.shape)}; expected (N, {self.num_channels}, *)")
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
