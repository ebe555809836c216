"""Differentiable ops, one family per file, and the Tensor methods that call them."""
from __future__ import annotations

from ..autograd import Tensor
from . import activation, arith, linalg, reduce, shape
from .activation import leaky_relu, log_sigmoid, log_softmax, relu, sigmoid, softmax, softplus, tanh
from .arith import (abs, add, astype, clamp, clip, div, eq, exp, ge, gt, le, log, lt, maximum, minimum, mul, ne,
                    neg, pow, sign, sqrt, sub, where)
from .linalg import matmul
from .reduce import argmax, argmin, logsumexp, max, mean, min, sum, var
from .shape import (broadcast_to, cat, concat, expand, flatten, getitem, pad, permute, reshape, split, squeeze,
                    stack, sum_to, transpose, unsqueeze)


def _swap(fn):
    return lambda self, other: fn(other, self)


def _install() -> None:
    """Give Tensor its operators and methods (DeZero's setup_variable)."""
    T = Tensor
    T.__add__, T.__radd__ = add, _swap(add)
    T.__sub__, T.__rsub__ = sub, _swap(sub)
    T.__mul__, T.__rmul__ = mul, _swap(mul)
    T.__truediv__, T.__rtruediv__ = div, _swap(div)
    T.__pow__, T.__rpow__ = pow, _swap(pow)
    T.__matmul__, T.__rmatmul__ = matmul, _swap(matmul)
    T.__neg__ = neg
    T.__pos__ = lambda self: self
    T.__abs__ = abs
    T.__eq__, T.__ne__, T.__lt__, T.__le__, T.__gt__, T.__ge__ = eq, ne, lt, le, gt, ge
    T.__getitem__ = getitem
    T.exp, T.log, T.sqrt, T.abs, T.sign = exp, log, sqrt, abs, sign
    T.clip = T.clamp = clip
    T.astype = astype
    T.sum, T.mean, T.var, T.max, T.min = sum, mean, var, max, min
    T.logsumexp, T.argmax, T.argmin = logsumexp, argmax, argmin
    T.reshape = T.view = reshape
    T.flatten, T.permute, T.transpose = flatten, permute, transpose
    T.broadcast_to, T.expand, T.sum_to = broadcast_to, expand, sum_to
    T.squeeze, T.unsqueeze, T.split = squeeze, unsqueeze, split
    T.matmul = matmul
    T.relu, T.sigmoid, T.tanh, T.softmax, T.log_softmax = relu, sigmoid, tanh, softmax, log_softmax
    T.leaky_relu, T.softplus, T.log_sigmoid = leaky_relu, softplus, log_sigmoid
    T.pow, T.neg, T.maximum, T.minimum, T.pad = pow, neg, maximum, minimum, pad
    T.T = property(lambda self: transpose(self))
    T.mT = property(lambda self: transpose(self, -1, -2))


_install()
