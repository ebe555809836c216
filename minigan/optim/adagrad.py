"""Adagrad (Duchi et al. 2011) with PyTorch's arguments, update and state-dict layout.

Per step, as torch.optim.Adagrad: ``g += wd * p``; ``clr = lr / (1 + (step - 1) * lr_decay)``;
``sum += g^2``; ``p -= clr * g / (sqrt(sum) + eps)``. State per parameter: step, sum (made
in the constructor, filled with ``initial_accumulator_value``, as PyTorch does)::

    opt = minigan.optim.Adagrad(model.parameters(), lr=1e-2)
"""
from __future__ import annotations

from .optimizer import Optimizer, _check_lr, _check_nonneg, _decayed_grad, _scratch, _with_grads, _xp

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad: each coordinate's step shrinks with the sum of its squared gradients."""

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *, maximize: bool = False):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _check_group(self, group: dict) -> None:
        _check_lr(group["lr"])
        _check_nonneg("lr_decay", group["lr_decay"])
        _check_nonneg("weight_decay", group["weight_decay"])
        _check_nonneg("initial_accumulator_value", group["initial_accumulator_value"])
        _check_nonneg("epsilon", group["eps"])

    def _init_state(self, p, group: dict) -> dict:
        xp = _xp(p.array)
        state = self.state[p] = {"step": 0, "sum": xp.full_like(p.array, group["initial_accumulator_value"])}
        return state

    def _update_group(self, group: dict) -> None:
        lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
        wd, maximize = float(group["weight_decay"]), group["maximize"]
        for p, data, xp, g in _with_grads(self, group):
            state = self.state.get(p) or self._init_state(p, group)
            state["step"] = step = int(state["step"]) + 1
            g = _decayed_grad(state, data, g, xp, wd, maximize)
            clr = lr / (1 + (step - 1) * lr_decay)
            tmp = _scratch(state, "_tmp", data)
            xp.multiply(g, g, out=tmp)
            state["sum"] += tmp
            xp.sqrt(state["sum"], out=tmp)
            tmp += eps
            xp.divide(g, tmp, out=tmp)
            tmp *= -clr
            data += tmp
