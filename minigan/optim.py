"""Optimisers: SGD, Adam and AdamW with PyTorch's parameter groups, state and state_dict.

Every update runs in place on the parameter arrays with in-place ufuncs
(``out=``) and per-parameter scratch buffers allocated once, so a step builds no
graph, allocates nothing after the first call and never changes a parameter's
dtype (float32 stays float32). Gradients are read, never written: ``p.grad`` may
share its array with something else.

    opt = minigan.optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt.zero_grad(); loss.backward(); opt.step()
"""
from __future__ import annotations

import copy
import math
import numbers
from typing import Any, Callable, Iterable

import numpy as np

from . import backend, parallel
from .autograd import Tensor, enable_grad

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


def _xp(a):
    return backend.get_array_module(a)


class Optimizer:
    """Base class: ``param_groups`` (list of dicts with "params" and options) and ``state``
    (dict keyed by parameter), as in PyTorch."""

    def __init__(self, params: Iterable, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got a Tensor")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (missing options take the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, not a set")
        params = list(params)
        for p in params:
            if isinstance(p, tuple) and len(p) == 2 and isinstance(p[1], Tensor):
                raise TypeError("named parameters are not supported: pass model.parameters()")
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            group.setdefault(name, default)
        self._check_group(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter appears more than once in a parameter group")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _check_group(self, group: dict) -> None:
        """Validate a group's options (subclasses check their own)."""

    # -- gradients
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``p.grad = None`` (default), or fresh zeros with set_to_none=False.

        The zeros are new arrays, never a write into the old gradient (which may be shared).
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad = Tensor(_xp(p.data).zeros_like(p.data))

    # -- stepping
    def step(self, closure: Callable[[], Any] | None = None):
        """One update of every parameter with a gradient; `closure` re-evaluates the loss first."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._update_group(group)
        return loss

    def _update_group(self, group: dict) -> None:
        raise NotImplementedError

    # -- checkpoints
    def state_dict(self) -> dict:
        """{"state": {index: {name: array or number}}, "param_groups": [{options..., "params": [index...]}]}.

        Parameters are numbered in group order, as PyTorch does; the arrays are copies.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state.get(p)
                if st:
                    packed = {k: _export(v) for k, v in st.items() if not k.startswith("_")}
                    if packed:
                        state[index[id(p)]] = packed
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore options and state saved by `state_dict` (arrays are copied to each parameter's
        dtype and device)."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, "
                             f"the optimizer has {len(self.param_groups)}")
        for i, (mine, theirs) in enumerate(zip(self.param_groups, saved_groups)):
            if len(mine["params"]) != len(theirs["params"]):
                raise ValueError(f"loaded state dict contains a parameter group {i} of {len(theirs['params'])} "
                                 f"parameters, which doesn't match the size of the optimizer's group "
                                 f"({len(mine['params'])})")
        by_index = {}
        for mine, theirs in zip(self.param_groups, saved_groups):
            for p, idx in zip(mine["params"], theirs["params"]):
                by_index[idx] = p
        new_state: dict = {}
        for idx, st in state_dict["state"].items():
            p = by_index.get(int(idx))
            if p is None:
                raise ValueError(f"loaded state dict has state for parameter {idx}, which no group holds")
            new_state[p] = {k: _import(v, p) for k, v in st.items()}
        new_groups = []
        for mine, theirs in zip(self.param_groups, saved_groups):
            group = {k: copy.deepcopy(v) for k, v in theirs.items() if k != "params"}
            group["params"] = mine["params"]
            for k, v in mine.items():  # options added since the checkpoint keep their current value
                group.setdefault(k, v)
            if "betas" in group:
                group["betas"] = tuple(group["betas"])
            new_groups.append(group)
        self.param_groups = new_groups
        self.state = new_state

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        lines.append(")")
        return "\n".join(lines)


def _export(v):
    if isinstance(v, Tensor):
        v = v.data
    if hasattr(v, "shape") and hasattr(v, "dtype") and not isinstance(v, np.generic):
        return backend.as_numpy(v).copy()
    return v


def _import(v, p: Tensor):
    if isinstance(v, Tensor):
        v = v.data
    if isinstance(v, np.generic):
        return v.item()
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        arr = np.asarray(backend.as_numpy(v))
        if arr.ndim == 0 and arr.dtype.kind in "iu":
            return int(arr)
        if arr.dtype.kind == "f":
            arr = arr.astype(p.data.dtype)
        return backend.to_device(arr.copy(), p.device) if p.device.type != "cpu" else arr.copy()
    return v


def _check_lr(lr) -> None:
    if lr is required:
        return
    if not isinstance(lr, numbers.Real) or lr < 0 or not math.isfinite(lr):
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_betas(betas) -> None:
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"Invalid betas: {betas!r}; expected a pair (beta1, beta2)") from None
    if not 0.0 <= b1 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {b1}")
    if not 0.0 <= b2 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {b2}")


def _check_nonneg(name: str, value) -> None:
    if not isinstance(value, numbers.Real) or value < 0 or not math.isfinite(value):
        raise ValueError(f"Invalid {name} value: {value}")


# ---- SGD ---------------------------------------------------------------------------------


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
        for p in group["params"]:
            if p.grad is None:
                continue
            data = p.data
            xp = _xp(data)
            g = _grad_array(self, p)
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


def _grad_array(opt: Optimizer, p: Tensor):
    g = p.grad.data
    if g.shape != p.data.shape:
        raise RuntimeError(f"{type(opt).__name__}: gradient of shape {g.shape} for a parameter of shape "
                           f"{p.data.shape}")
    return g


def _scratch(state: dict, key: str, like):
    """A work array shaped like the parameter, made once and kept in the (private) state."""
    buf = state.get(key)
    if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
        buf = state[key] = _xp(like).empty_like(like)
    return buf


# ---- Adam / AdamW ---------------------------------------------------------------------------


class Adam(Optimizer):
    """Adam (Kingma & Ba), with PyTorch's bias correction and eps placement; optional amsgrad.

    ``weight_decay`` adds ``wd * p`` to the gradient (L2), as torch.optim.Adam;
    `AdamW` decays the weights directly instead. Per parameter and step: twelve
    in-place array passes and no allocation after the first step. On NumPy the
    passes run over cache-sized flat chunks shared out over the CPU threads
    (`minigan.parallel.for_flat_chunks`): the step is memory- and ufunc-bound.
    """

    _decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False):
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, (list, tuple)) else betas, eps=eps,
                        weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize)
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
        decoupled = self._decoupled
        groups: dict = {}  # (step, xp) -> [(data, g, m, v, tmp, vmax)]: one elementwise update each
        for p in group["params"]:
            if p.grad is None:
                continue
            data = p.data
            xp = _xp(data)
            g = _grad_array(self, p)
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
            elif not (g.flags.c_contiguous and data.flags.c_contiguous):
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

    _decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize)
