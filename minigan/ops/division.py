"""Floor division and remainder (Python's // and %, PyTorch's floor_divide and remainder).

Both round toward -inf, so a remainder takes the divisor's sign; integer operands stay integer
and an integer division by zero raises ZeroDivisionError, as in PyTorch.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor
from .arith import _Binary, _pair
from .shape import sum_to


class FloorDivide(_Binary):
    """floor(a / b), rounding toward -inf (Python's //). Like PyTorch, it has no derivative."""

    def forward(self, a, b):
        if a.dtype.kind in "iub" and (b == 0).any():
            raise ZeroDivisionError("floor_divide: integer division by zero")
        with np.errstate(divide="ignore", invalid="ignore"):  # float x // 0 is inf or nan, silently
            return backend.get_array_module(a, b).floor_divide(a, b)

    def backward(self, gy):
        raise RuntimeError("floor_divide: the derivative is not implemented (as in PyTorch); "
                           "use (a / b).floor() or detach the inputs")


class Remainder(_Binary):
    """a - floor(a / b) * b: the result takes the divisor's sign (Python's %, torch.remainder)."""

    def forward(self, a, b):
        if a.dtype.kind in "iub" and (b == 0).any():
            raise ZeroDivisionError("remainder: integer division by zero")
        with np.errstate(divide="ignore", invalid="ignore"):  # float x % 0 is nan, silently
            return backend.get_array_module(a, b).remainder(a, b)

    def backward(self, gy):
        a, b = self.inputs
        ga = sum_to(gy, a.shape) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            # floor(a / b) is piecewise constant: a constant here keeps double backward exact
            quotient = Tensor(a.xp.floor(a.array / b.array))
            gb = sum_to(-gy * quotient, b.shape)
        return ga, gb


def floor_divide(a, b) -> Tensor:
    """a // b, rounded toward -inf as Python's (and PyTorch's) //; int // int stays int, ``x // 0``
    raises ZeroDivisionError for integers. Not differentiable (backward raises, as in PyTorch).

    >>> import minigan as mg
    >>> mg.tensor([-7, 7]) // 2
    tensor([-4,  3])
    """
    return FloorDivide()(*_pair(a, b))


def remainder(a, b) -> Tensor:
    """a % b with the divisor's sign (Python's %, torch.remainder); d/da = 1, d/db = -floor(a / b).

    >>> import minigan as mg
    >>> mg.tensor([-7, 7]) % 3, mg.tensor([7.5]) % -2
    (tensor([2, 1]), tensor([-0.5]))
    """
    return Remainder()(*_pair(a, b))
