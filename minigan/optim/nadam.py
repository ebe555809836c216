"""NAdam (Dozat 2016): Adam with Nesterov momentum, with PyTorch's momentum schedule and state layout.

Per step, as torch.optim.NAdam: ``g += wd * p`` (or ``p *= 1 - lr * wd`` with
``decoupled_weight_decay``, NAdamW); ``mu_t = beta1 (1 - 0.5 * 0.96^(t * momentum_decay))``;
``mu_product *= mu_t``; ``m = lerp(m, g, 1 - beta1)``; ``v = beta2 v + (1 - beta2) g^2``;
``denom = sqrt(v / (1 - beta2^t)) + eps``;
``p -= lr (1 - mu_t) / (1 - mu_product) * g / denom + lr mu_{t+1} / (1 - mu_product mu_{t+1}) * m / denom``.
State per parameter: step, mu_product, exp_avg, exp_avg_sq::

    opt = minigan.optim.NAdam(model.parameters(), lr=2e-3)
"""
from __future__ import annotations

from .optimizer import (Optimizer, _check_betas, _check_lr, _check_nonneg, _decayed_grad, _scratch, _update_moments,
                        _with_grads)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """Adam whose momentum looks one step ahead, with the warming momentum schedule of Dozat's paper."""

    def __init__(self, params, lr: float = 2e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False,
                 *, maximize: bool = False):
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, (list, tuple)) else betas, eps=eps,
                        weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict) -> None:
        _check_lr(group["lr"])
        _check_nonneg("epsilon", group["eps"])
        _check_betas(group["betas"])
        _check_nonneg("weight_decay", group["weight_decay"])
        _check_nonneg("momentum_decay", group["momentum_decay"])

    def _update_group(self, group: dict) -> None:
        lr, eps, wd = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        b1, b2 = (float(b) for b in group["betas"])
        momentum_decay, decoupled, maximize = float(group["momentum_decay"]), group["decoupled_weight_decay"], \
            group["maximize"]
        for p, data, xp, g in _with_grads(self, group):
            state = self.state.get(p)
            if not state:
                state = self.state[p] = {"step": 0, "mu_product": 1.0, "exp_avg": xp.zeros_like(data),
                                         "exp_avg_sq": xp.zeros_like(data)}
            state["step"] = step = int(state["step"]) + 1
            g = _decayed_grad(state, data, g, xp, 0.0 if decoupled else wd, maximize)
            if wd != 0 and decoupled:
                data *= 1.0 - lr * wd
            mu = b1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
            mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
            state["mu_product"] = mu_product = float(state["mu_product"]) * mu
            mu_product_next = mu_product * mu_next
            m, v, tmp = state["exp_avg"], state["exp_avg_sq"], _scratch(state, "_tmp", data)
            _update_moments(m, v, g, tmp, b1, b2, xp)
            denom = _scratch(state, "_denom", data)
            xp.multiply(v, 1.0 / (1.0 - b2 ** step), out=denom)
            xp.sqrt(denom, out=denom)
            denom += eps
            xp.divide(g, denom, out=tmp)
            tmp *= -lr * (1.0 - mu) / (1.0 - mu_product)
            data += tmp
            xp.divide(m, denom, out=tmp)
            tmp *= -lr * mu_next / (1.0 - mu_product_next)
            data += tmp
