"""RMSprop (Hinton's lecture 6e) with PyTorch's arguments, update and state-dict layout.

The optimiser of the original WGAN (Arjovsky et al. 2017 use it with weight
clipping: momentum-based methods made their critic unstable)::

    opt_d = minigan.optim.RMSprop(D.parameters(), lr=5e-5)

Per step, as torch.optim.RMSprop: ``g += wd * p``;
``square_avg = alpha * square_avg + (1 - alpha) * g^2``; centred:
``grad_avg = lerp(grad_avg, g, 1 - alpha)`` and ``avg = sqrt(square_avg - grad_avg^2) + eps``,
else ``avg = sqrt(square_avg) + eps``; with momentum ``buf = momentum * buf + g / avg`` and
``p -= lr * buf``, else ``p -= lr * g / avg``. State per parameter: step, square_avg,
momentum_buffer (momentum > 0), grad_avg (centered). In place, no allocation after the first step.
"""
from __future__ import annotations

from .optimizer import Optimizer, _check_lr, _check_nonneg, _scratch, _with_grads

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop with optional momentum, centring and (L2) weight decay."""

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0,
                 momentum: float = 0, centered: bool = False, *, maximize: bool = False):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict) -> None:
        _check_lr(group["lr"])
        _check_nonneg("epsilon", group["eps"])
        _check_nonneg("momentum", group["momentum"])
        _check_nonneg("weight_decay", group["weight_decay"])
        _check_nonneg("alpha", group["alpha"])

    def _update_group(self, group: dict) -> None:
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        wd, momentum = float(group["weight_decay"]), float(group["momentum"])
        centered, maximize = group["centered"], group["maximize"]
        for p, data, xp, g in _with_grads(self, group):
            state = self.state.get(p)
            if not state:
                state = self.state[p] = {"step": 0, "square_avg": xp.zeros_like(data)}
                if momentum > 0:
                    state["momentum_buffer"] = xp.zeros_like(data)
                if centered:
                    state["grad_avg"] = xp.zeros_like(data)
            state["step"] = int(state["step"]) + 1
            if wd != 0 or maximize:
                gbuf = _scratch(state, "_g", data)
                xp.multiply(data, wd, out=gbuf)
                if maximize:
                    gbuf -= g
                else:
                    gbuf += g
                g = gbuf
            tmp = _scratch(state, "_tmp", data)
            sq = state["square_avg"]
            sq *= alpha
            xp.multiply(g, g, out=tmp)
            tmp *= 1.0 - alpha
            sq += tmp
            if centered:
                gavg = state["grad_avg"]  # lerp(gavg, g, 1 - alpha) = gavg + (1 - alpha) (g - gavg)
                xp.subtract(g, gavg, out=tmp)
                tmp *= 1.0 - alpha
                gavg += tmp
                xp.multiply(gavg, gavg, out=tmp)
                xp.subtract(sq, tmp, out=tmp)
                xp.sqrt(tmp, out=tmp)
            else:
                xp.sqrt(sq, out=tmp)
            tmp += eps
            xp.divide(g, tmp, out=tmp)  # g / avg
            if momentum > 0:
                buf = state["momentum_buffer"]
                buf *= momentum
                buf += tmp
                xp.multiply(buf, -lr, out=tmp)
            else:
                tmp *= -lr
            data += tmp
