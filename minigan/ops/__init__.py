"""Differentiable ops, one family per file; Tensor's methods call them through `autograd.tensor._ops`."""
from __future__ import annotations

import sys

from ..autograd import tensor as _tensor_module, tensor_math as _tensor_math, tensor_shape as _tensor_shape
from . import activation, arith, compare, division, inplace, linalg, reduce, shape, trig
from .activation import leaky_relu, log_sigmoid, log_softmax, relu, sigmoid, softmax, softplus, tanh
from .arith import (abs, add, astype, clamp, clip, div, exp, log, maximum, minimum, mul, neg, pow, promote_types,
                    sign, sqrt, sub, where)
from .compare import allclose, eq, equal, ge, gt, isclose, le, lt, ne
from .division import floor_divide, remainder
from .einsum import einsum
from .inplace import add_, clamp_, copy_, div_, fill_, mul_, setitem, sub_, zero_
from .linalg import matmul
from .reduce import argmax, argmin, logsumexp, max, mean, min, norm, std, sum, var
from .reduce import std_mean, var_mean
from .shape import (broadcast_to, cat, clone, concat, expand, flatten, getitem, pad, permute, reshape, split,
                    squeeze, stack, sum_to, transpose, unsqueeze)
from .trig import cos, sin


# Tensor's methods (written in its class body) call the ops through this binding.
_tensor_module._ops = _tensor_math._ops = _tensor_shape._ops = sys.modules[__name__]
from .erf import erf  # noqa: E402

# PyTorch's indexing, sorting, cumulative, rounding, movement and matrix ops (one family per file)
from . import cumulative, dims, elementwise, indexing, matrix, movement, sorting  # noqa: E402
from .cumulative import cumprod, cumsum, prod  # noqa: E402
from .elementwise import (all, any, ceil, exp2, expm1, floor, frac, isfinite, isinf, isnan, lerp,  # noqa: E402
                          log1p, log2, log10, reciprocal, round, rsqrt, square, trunc)
from .indexing import (gather, index_select, masked_fill, masked_fill_, masked_select, nonzero,  # noqa: E402
                       scatter, scatter_, scatter_add, scatter_add_, take)
from .matrix import addmm, bmm, diag, dot, mm, outer, trace, tril, triu  # noqa: E402
from .movement import (atleast_1d, atleast_2d, atleast_3d, chunk, contiguous, dstack, expand_as,  # noqa: E402
                       flip, hstack, moveaxis, movedim, narrow, repeat, repeat_interleave, reshape_as, roll,
                       swapaxes, swapdims, tile, unbind, unflatten, view_as, vstack)
from .sorting import amax, amin, argsort, median, sort, topk  # noqa: E402
