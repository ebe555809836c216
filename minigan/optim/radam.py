"""RAdam (Liu et al. 2019): Adam with the variance of its adaptive step rectified, as PyTorch computes it.

While the approximated SMA length ``rho_t`` is at most 5 the step is plain momentum SGD
(``p -= lr * m / (1 - beta1^t)``); after that it is Adam's, scaled by the rectification
``r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))``.
``weight_decay`` is L2 (``g += wd * p``), or ``p *= 1 - lr * wd`` with
``decoupled_weight_decay`` (RAdamW). State per parameter: step, exp_avg, exp_avg_sq::

    opt = minigan.optim.RAdam(model.parameters(), lr=1e-3)
"""
from __future__ import annotations

import math

from .optimizer import (Optimizer, _check_betas, _check_lr, _check_nonneg, _decayed_grad, _scratch, _update_moments,
                        _with_grads)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """Rectified Adam: no warm-up needed, the early steps' noisy second moment is not trusted."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *, maximize: bool = False):
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, (list, tuple)) else betas, eps=eps,
                        weight_decay=weight_decay, maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_group(self, group: dict) -> None:
        _check_lr(group["lr"])
        _check_nonneg("epsilon", group["eps"])
        _check_betas(group["betas"])
        _check_nonneg("weight_decay", group["weight_decay"])

    def _update_group(self, group: dict) -> None:
        lr, eps, wd = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        b1, b2 = (float(b) for b in group["betas"])
        decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
        rho_inf = 2.0 / (1.0 - b2) - 1.0
        for p, data, xp, g in _with_grads(self, group):
            state = self.state.get(p)
            if not state:
                state = self.state[p] = {"step": 0, "exp_avg": xp.zeros_like(data), "exp_avg_sq": xp.zeros_like(data)}
            state["step"] = step = int(state["step"]) + 1
            g = _decayed_grad(state, data, g, xp, 0.0 if decoupled else wd, maximize)
            if wd != 0 and decoupled:
                data *= 1.0 - lr * wd
            m, v, tmp = state["exp_avg"], state["exp_avg_sq"], _scratch(state, "_tmp", data)
            _update_moments(m, v, g, tmp, b1, b2, xp)
            bc1, bc2 = 1.0 - b1 ** step, 1.0 - b2 ** step
            rho_t = rho_inf - 2.0 * step * (b2 ** step) / bc2
            if rho_t > 5.0:
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                xp.sqrt(v, out=tmp)
                tmp += eps
                xp.divide(m, tmp, out=tmp)  # p -= lr * m / bc1 * sqrt(bc2) / (sqrt(v) + eps) * rect
                tmp *= -(lr / bc1) * math.sqrt(bc2) * rect
            else:
                xp.multiply(m, -lr / bc1, out=tmp)
            data += tmp
