"""Optimizer: parameter groups, per-parameter state and PyTorch's state_dict layout; shared helpers.

Subclasses write `_check_group` (validate hyper-parameters) and `step` (the update, in place).
"""
from __future__ import annotations

import copy
import math
import numbers
from typing import Any, Callable, Iterable

import numpy as np

from .. import backend
from ..autograd import Tensor, enable_grad
from ..autograd.hooks import RemovableHandle

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
                    p.grad = Tensor(_xp(p.array).zeros_like(p.array))

    # -- stepping
    def step(self, closure: Callable[[], Any] | None = None):
        """One update of every parameter with a gradient; `closure` re-evaluates the loss first."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for hook in list(getattr(self, "_step_pre_hooks", {}).values()):
            hook(self, (), {})
        for group in self.param_groups:
            self._update_group(group)
        for hook in list(getattr(self, "_step_post_hooks", {}).values()):
            hook(self, (), {})
        return loss

    def register_step_pre_hook(self, hook: Callable[["Optimizer", tuple, dict], None]) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` before every ``step()`` (PyTorch's name); returns a handle."""
        return _register(self, "_step_pre_hooks", hook)

    def register_step_post_hook(self, hook: Callable[["Optimizer", tuple, dict], None]) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` after every ``step()``: a constraint on the parameters (weight
        clipping, a projection) that must follow each update, as PyTorch's hook and Chainer's optimizer hooks."""
        return _register(self, "_step_post_hooks", hook)

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
        v = v.array
    if hasattr(v, "shape") and hasattr(v, "dtype") and not isinstance(v, np.generic):
        return backend.as_numpy(v).copy()
    return v


def _import(v, p: Tensor):
    if isinstance(v, Tensor):
        v = v.array
    if isinstance(v, np.generic):
        return v.item()
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        arr = np.asarray(backend.as_numpy(v))
        if arr.ndim == 0 and arr.dtype.kind in "iu":
            return int(arr)
        if arr.dtype.kind == "f":
            arr = arr.astype(p.array.dtype)
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


def _grad_array(opt: Optimizer, p: Tensor):
    g = p.grad.array
    if g.shape != p.array.shape:
        raise RuntimeError(f"{type(opt).__name__}: gradient of shape {g.shape} for a parameter of shape "
                           f"{p.array.shape}")
    return g


def _with_grads(opt: Optimizer, group: dict):
    """(parameter, its array, its array module, its gradient array) for each parameter of `group` with a grad."""
    for p in group["params"]:
        if p.grad is None:
            continue
        data = p.array
        yield p, data, _xp(data), _grad_array(opt, p)


def _scratch(state: dict, key: str, like):
    """A work array shaped like the parameter, made once and kept in the (private) state."""
    buf = state.get(key)
    if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
        buf = state[key] = _xp(like).empty_like(like)
    return buf


def _register(optimizer: Optimizer, attribute: str, hook: Callable) -> RemovableHandle:
    if not callable(hook):
        raise TypeError(f"an optimizer hook must be callable, got {type(hook).__name__}")
    hooks = optimizer.__dict__.setdefault(attribute, {})
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def _decayed_grad(state: dict, data, g, xp, weight_decay: float, maximize: bool):
    """The gradient a step reads: ``-g`` when maximising, plus ``weight_decay * p`` (L2), in a scratch array
    when either applies; `g` itself (never written) otherwise."""
    if weight_decay == 0 and not maximize:
        return g
    gbuf = _scratch(state, "_g", data)
    if weight_decay == 0:
        return xp.negative(g, out=gbuf)
    xp.multiply(data, weight_decay, out=gbuf)
    if maximize:
        gbuf -= g
    else:
        gbuf += g
    return gbuf


def _update_moments(m, v, g, tmp, b1: float, b2: float, xp) -> None:
    """Adam's moments in place, in torch's form: ``m = lerp(m, g, 1 - b1)``, ``v = b2 v + (1 - b2) g^2``."""
    xp.subtract(g, m, out=tmp)
    tmp *= 1.0 - b1
    m += tmp
    v *= b2
    xp.multiply(g, g, out=tmp)
    tmp *= 1.0 - b2
    v += tmp
