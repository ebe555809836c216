"""Anomaly detection: which op made a NaN or inf gradient, and where your code created it.

    with minigan.autograd.detect_anomaly():
        loss = model(x).log().sum()
        loss.backward()
    # RuntimeError: Function 'LogBackward0' returned nan values in its 0th output (...).
    #   The Log was created at train.py:12 in step: loss = model(x).log().sum()

While it is on, every recorded Function keeps the user's stack frame that created it
(the first frame outside minigan), and after each backward step its gradients are
checked for NaN and inf. Off by default: the forward hot path then pays one flag check
per recorded op and the backward one per Function, nothing else.
"""
from __future__ import annotations

import linecache
import os
import sys
from typing import TYPE_CHECKING, Callable

from .graph import backward_name

if TYPE_CHECKING:
    from .function import Function

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # .../minigan


class _Anomaly:
    enabled = False


def is_anomaly_enabled() -> bool:
    return _Anomaly.enabled


class set_detect_anomaly:
    """Switch anomaly detection on or off: a call, a context manager and a decorator, as in PyTorch."""

    def __init__(self, mode: bool):
        self._prev = _Anomaly.enabled
        _Anomaly.enabled = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _Anomaly.enabled = self._prev
        return False


class detect_anomaly:
    """``with detect_anomaly():`` (or ``@detect_anomaly()``): anomaly detection inside the block.

    >>> import minigan as mg
    >>> x = mg.tensor([0.0], requires_grad=True)
    >>> with mg.autograd.detect_anomaly():
    ...     x.sqrt().sum().backward()
    Traceback (most recent call last):
    RuntimeError: Function 'SqrtBackward0' returned inf values in its 0th output (the gradient for input 0; ...
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        self._prev: list[bool] = []

    def __enter__(self):
        self._prev.append(_Anomaly.enabled)
        _Anomaly.enabled = self.check_nan
        return self

    def __exit__(self, *exc):
        _Anomaly.enabled = self._prev.pop()
        return False

    def __call__(self, func: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return func(*args, **kwargs)

        wrapper.__name__ = getattr(func, "__name__", "wrapper")
        wrapper.__wrapped__ = func
        return wrapper


def user_frame() -> tuple[str, int, str]:
    """(file, line, function) of the innermost caller outside the minigan package."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return ("<unknown>", 0, "<unknown>")
    return (frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


def creation_site(f: "Function") -> str:
    where = f.__dict__.get("_anomaly_frame")
    if where is None:
        return f"{f.name} was created before anomaly detection was switched on (no creation site recorded)"
    filename, line, func = where
    code = linecache.getline(filename, line).strip()
    return f"{f.name} was created at {filename}:{line} in {func}" + (f": {code}" if code else "")


def check_gradients(f: "Function", inputs: tuple, grads: tuple) -> None:
    """Raise if a gradient `f.backward` returned holds NaN or inf, naming f, its inputs and its creation site."""
    for i, g in enumerate(grads):
        if g is None:
            continue
        data = g.array
        xp = g.xp
        if data.dtype.kind in "fc" and not bool(xp.isfinite(data).all()):
            kind = "nan" if bool(xp.isnan(data).any()) else "inf"
            shapes = ", ".join(f"{tuple(x.shape)} {x.dtype}" for x in inputs)
            raise RuntimeError(
                f"Function '{backward_name(f)}' returned {kind} values in its {i}th output "
                f"(the gradient for input {i}; inputs: {shapes}).\n  {creation_site(f)}")
