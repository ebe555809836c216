"""SGD with momentum, dampening, Nesterov and weight decay, as PyTorch computes them."""
from __future__ import annotations

from .optimizer import Optimizer, _check_lr, _check_nonneg, _scratch, _with_grads

class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov and (L2) weight decay.

    PyTorch's update: ``d = g + wd * p``; ``buf = d`` on the first step, else
    ``buf = momentum * buf + (1 - dampening) * d``; ``d = d + momentum * buf`` with
    Nesterov, else ``d = buf``; ``p -= lr * d``.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict) -> None:
        _check_lr(group["lr"])
        _check_nonneg("momentum", group["momentum"])
        _check_nonneg("weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update_group(self, group: dict) -> None:
        lr, momentum, dampening = float(group["lr"]), float(group["momentum"]), float(group["dampening"])
        wd, nesterov, maximize = float(group["weight_decay"]), group["nesterov"], group["maximize"]
        for p, data, xp, g in _with_grads(self, group):
            state = self.state.setdefault(p, {})
            tmp = _scratch(state, "_tmp", data)
            d = g
            if wd != 0:
                xp.multiply(data, wd, out=tmp)
                if maximize:
                    tmp -= g
                else:
                    tmp += g
                d = tmp
            elif maximize:
                xp.negative(g, out=tmp)
                d = tmp
            step = d
            if momentum != 0:
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = d.astype(data.dtype, copy=True)
                else:
                    buf *= momentum
                    if dampening == 0:
                        buf += d
                    elif d is tmp:
                        tmp *= 1.0 - dampening
                        buf += tmp
                    else:
                        xp.multiply(d, 1.0 - dampening, out=tmp)
                        buf += tmp
                if nesterov:  # d + momentum * buf (nesterov implies dampening == 0, so d is intact)
                    if d is tmp:
                        tmp += momentum * buf
                    else:
                        xp.multiply(buf, momentum, out=tmp)
                        tmp += d
                    step = tmp
                else:
                    step = buf
            if step is tmp:
                tmp *= -lr
            else:
                xp.multiply(step, -lr, out=tmp)
            data += tmp
