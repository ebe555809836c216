"""The differentiable all-reduce: a sum over ranks that backward can pass through.

With ``y = all_reduce(x)`` every rank holds ``y = x_0 + ... + x_{N-1}``, and the loss
being trained is the sum of the ranks' losses, so the gradient of rank r's input is
``sum over ranks of dL/dy``: again an all-reduce. Backward is the same Function, so
double backward (a gradient penalty through SyncBatchNorm) is exact too::

    total = all_reduce(local_sum)          # Tensor in, Tensor out, differentiable
"""
from __future__ import annotations

from ..autograd import Function, Tensor
from .world import get_world

__all__ = ["AllReduce", "all_reduce"]


class AllReduce(Function):
    """Sum a tensor over every rank of `world`; the gradient is the all-reduce of the gradients."""

    def __init__(self, world):
        self.world = world

    def forward(self, x):
        return self.world.allreduce(x.copy(), "sum")  # a copy: the input is not changed

    def backward(self, gy):
        return AllReduce(self.world)(gy)


def all_reduce(x: Tensor, world=None) -> Tensor:
    """The sum of `x` (any shape, the same on every rank) over the ranks of `world` (default: the world).

    With one rank it is `x` itself, with no graph node and no copy.
    """
    world = world if world is not None else get_world()
    if world.size == 1:
        return x
    return AllReduce(world)(x)
