"""Trigonometric ops: sin and cos, each the other's derivative (so every order is exact).

>>> import minigan as mg
>>> x = mg.tensor([0.0], requires_grad=True)
>>> mg.sin(x).sum().backward(); x.grad
tensor([1.])
"""
from __future__ import annotations

from .. import backend
from ..autograd import Function, Tensor


class Sin(Function):
    def forward(self, x):
        return backend.get_array_module(x).sin(x)

    def backward(self, gy):
        return gy * cos(self.inputs[0])


class Cos(Function):
    def forward(self, x):
        return backend.get_array_module(x).cos(x)

    def backward(self, gy):
        return -gy * sin(self.inputs[0])


def sin(x: Tensor) -> Tensor:
    return Sin()(x)


def cos(x: Tensor) -> Tensor:
    return Cos()(x)
