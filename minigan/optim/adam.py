"""Adam and AdamW, run as chunked in-place passes over the parameters on the CPU threads."""
from __future__ import annotations

import math

from .. import layout, parallel
from .optimizer import Optimizer, _check_betas, _check_lr, _check_nonneg, _scratch, _with_grads


class Adam(Optimizer):
    """Adam (Kingma & Ba), with PyTorch's bias correction and eps placement; optional amsgrad.

    ``weight_decay`` adds ``wd * p`` to the gradient (L2), as torch.optim.Adam;
    with ``decoupled_weight_decay`` (`AdamW`) it decays the weights directly
    instead. Per parameter and step: twelve in-place array passes and no
    allocation after the first step. On NumPy the
    passes run over cache-sized flat chunks shared out over the CPU threads
    (`minigan.parallel.for_flat_chunks`): the step is memory- and ufunc-bound.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False):
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, (list, tuple)) else betas, eps=eps,
                        weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_group(self, group: dict) -> None:
        _check_lr(group["lr"])
        _check_betas(group["betas"])
        _check_nonneg("epsilon", group["eps"])
        _check_nonneg("weight_decay", group["weight_decay"])

    def _update_group(self, group: dict) -> None:
        lr = float(group["lr"])
        b1, b2 = (float(b) for b in group["betas"])
        eps, wd = float(group["eps"]), float(group["weight_decay"])
        amsgrad, maximize = group["amsgrad"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        groups: dict = {}  # (step, xp) -> [(data, g, m, v, tmp, vmax)]: one elementwise update each
        for p, data, xp, g in _with_grads(self, group):
            state = self.state.get(p)
            if not state:
                state = self.state[p] = {"step": 0, "exp_avg": xp.zeros_like(data),
                                         "exp_avg_sq": xp.zeros_like(data)}
            if amsgrad and "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = xp.zeros_like(data)
            state["step"] = step = int(state["step"]) + 1
            # the gradient the passes read, in a scratch array laid out like the parameter when it is
            # changed (L2, maximize) or arrives in another memory order (a transposed-view gradient)
            if wd != 0 and not decoupled:  # L2: g + wd * p
                gbuf = _scratch(state, "_g", data)
                xp.multiply(data, wd, out=gbuf)
                if maximize:
                    gbuf -= g
                else:
                    gbuf += g
                g = gbuf
            elif maximize:
                g = xp.negative(g, out=_scratch(state, "_g", data))
            elif not layout.same_flat_order(g, data):
                gbuf = _scratch(state, "_g", data)
                xp.copyto(gbuf, g)
                g = gbuf
            groups.setdefault((step, xp), []).append(
                (data, g, state["exp_avg"], state["exp_avg_sq"], _scratch(state, "_tmp", data),
                 state.get("max_exp_avg_sq")))
        for (step, xp), items in groups.items():
            bc1 = 1.0 - b1 ** step
            bc2_sqrt = math.sqrt(1.0 - b2 ** step)

            def update(data, g, m, v, tmp, vmax=None):
                if wd != 0 and decoupled:
                    data *= 1.0 - lr * wd
                # m = b1 m + (1 - b1) g ; v = b2 v + (1 - b2) g^2
                m *= b1
                xp.multiply(g, 1.0 - b1, out=tmp)
                m += tmp
                v *= b2
                xp.multiply(g, g, out=tmp)
                tmp *= 1.0 - b2
                v += tmp
                if vmax is not None:
                    xp.maximum(vmax, v, out=vmax)
                    v = vmax
                # p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps) == (lr sqrt(bc2)/bc1) * m / (sqrt(v) + eps sqrt(bc2))
                xp.sqrt(v, out=tmp)
                tmp += eps * bc2_sqrt
                xp.divide(m, tmp, out=tmp)
                tmp *= -(lr * bc2_sqrt / bc1)
                data += tmp

            parallel.for_flat_chunks(update, [it if amsgrad else it[:5] for it in items], xp)


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p *= 1 - lr * weight_decay`` before the Adam step."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, decoupled_weight_decay=True)
