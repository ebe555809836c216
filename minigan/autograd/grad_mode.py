"""Grad mode: whether ops record the graph (`no_grad`, `enable_grad`, `set_grad_enabled`).

    with minigan.no_grad():
        y = model(x)          # no graph is recorded, nothing is kept for backward
"""
from __future__ import annotations

from typing import Callable

# ---- grad mode ------------------------------------------------------------------------------


class _GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    return _GradMode.enabled


class set_grad_enabled:
    """Turn graph recording on or off; a context manager and a decorator, as in PyTorch."""

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)
        self._prev: list[bool] = []

    def __enter__(self):
        self._prev.append(_GradMode.enabled)
        _GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _GradMode.enabled = self._prev.pop()
        return False

    def __call__(self, func: Callable) -> Callable:
        mode = self.mode

        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        wrapper.__name__ = getattr(func, "__name__", "wrapper")
        wrapper.__doc__ = getattr(func, "__doc__", None)
        wrapper.__wrapped__ = func
        return wrapper


class no_grad(set_grad_enabled):
    """Record no graph: for evaluation, sampling and optimiser updates.

    ``with no_grad():``, ``@no_grad()`` and ``@no_grad`` all work.
    """

    def __new__(cls, func: Callable | None = None):
        if func is not None:  # used bare, as @no_grad
            return set_grad_enabled(False)(func)
        return super().__new__(cls)

    def __init__(self, func: Callable | None = None):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record the graph again inside a `no_grad` block (a context manager and a decorator)."""

    def __new__(cls, func: Callable | None = None):
        if func is not None:
            return set_grad_enabled(True)(func)
        return super().__new__(cls)

    def __init__(self, func: Callable | None = None):
        super().__init__(True)



class inference_mode(set_grad_enabled):
    """PyTorch's inference_mode: no graph is recorded, as under `no_grad` (minigan has no
    separate inference tensors, so the two behave alike). ``inference_mode(False)`` records again.

    ``with inference_mode():``, ``@inference_mode()`` and ``@inference_mode`` all work.
    """

    def __new__(cls, mode: "bool | Callable" = True):
        if callable(mode):  # used bare, as @inference_mode
            return set_grad_enabled(False)(mode)
        return super().__new__(cls)

    def __init__(self, mode: "bool | Callable" = True):
        super().__init__(not mode)
