"""Optimiser hooks: constraints that follow every update of a network's weights (Chainer's optimizer_hooks).

The original WGAN's Lipschitz constraint (Arjovsky et al. 2017) is weight clipping after every critic
step, registered on D's optimiser (PyTorch's ``register_step_post_hook``)::

    opt_d.register_step_post_hook(WeightClipping(0.01))   # every p in [-0.01, 0.01] after each step
"""
from __future__ import annotations

import math
from typing import Iterable

from ...autograd import Tensor, no_grad
from ...nn import Module

__all__ = ["WeightClipping", "clip_weights_"]


def clip_weights_(parameters: "Module | Iterable[Tensor]", clip: float = 0.01) -> None:
    """Clamp every parameter (of a module, or an iterable of them) to [-clip, clip] in place.

    ``opt_d.step(); clip_weights_(D, 0.01)``; `WeightClipping` does it as an optimiser hook.
    """
    clip = float(clip)
    if not (clip > 0 and math.isfinite(clip)):
        raise ValueError(f"clip_weights_: clip must be a positive finite number, got {clip!r}")
    params = parameters.parameters() if isinstance(parameters, Module) else parameters
    with no_grad():
        for p in params:
            xp = p.xp
            xp.clip(p.array, -clip, clip, out=p.array)


class WeightClipping:
    """A step post-hook clipping every parameter the optimiser updates to [-clip, clip]."""

    def __init__(self, clip: float = 0.01):
        clip = float(clip)
        if not (clip > 0 and math.isfinite(clip)):
            raise ValueError(f"WeightClipping: clip must be a positive finite number, got {clip!r}")
        self.clip = clip

    def __call__(self, optimizer, args=(), kwargs=None) -> None:
        clip_weights_((p for group in optimizer.param_groups for p in group["params"]), self.clip)

    def __repr__(self) -> str:
        return f"WeightClipping(clip={self.clip:g})"
