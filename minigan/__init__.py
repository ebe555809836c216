"""minigan: a from-scratch autodiff engine on NumPy/CuPy, and the GAN trainer built on it.

Layers, lowest first: backend -> autograd -> ops -> nn -> gan. Nothing below
imports from above.
"""
from __future__ import annotations

__version__ = "0.1.0"

from . import backend, cuda, ops
from .autograd import (Function, Tensor, backward, enable_grad, grad, is_grad_enabled, no_grad,
                       set_grad_enabled)
from .backend import Device, DeviceError, manual_seed, synchronize
from .creation import (arange, full, ones, ones_like, rand, randn, randn_like, tensor, zeros, zeros_like)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops import (abs, add, argmax, argmin, broadcast_to, cat, clamp, clip, clone, concat, cos, div, einsum, exp,
                  expand, flatten, leaky_relu, log, log_sigmoid, log_softmax, logsumexp, matmul, max, maximum, mean,
                  min, minimum, mul, neg, norm, pad, permute, pow, relu, reshape, sigmoid, sin, softmax, softplus,
                  split, sqrt, squeeze, stack, std, sub, sum, tanh, transpose, unsqueeze, var, where)
from .ops import (addmm, all, amax, amin, any, argsort, atleast_1d, atleast_2d, atleast_3d, bmm, ceil, chunk,
                  cumprod, cumsum, diag, dot, dstack, exp2, expm1, flip, floor, frac, gather, hstack, index_select,
                  isfinite, isinf, isnan, lerp, log1p, log2, log10, masked_fill, masked_select, median, mm, moveaxis,
                  movedim, narrow, nonzero, outer, prod, reciprocal, repeat_interleave, roll, round, rsqrt, scatter,
                  scatter_add, sort, square, swapaxes, swapdims, take, tile, topk, trace, tril, triu, trunc, unbind,
                  unflatten, vstack)
from .graphviz import to_dot, render_graph
from .ops import erf

float32 = "float32"
float64 = "float64"
device = Device


def _lazy(name: str):
    import importlib
    return importlib.import_module(f".{name}", __name__)


def __getattr__(name: str):
    # nn, optim, data and gan load on first use so `import minigan` stays light.
    if name in ("nn", "optim", "data", "gan"):
        return _lazy(name)
    if name in ("save", "load"):
        return getattr(_lazy("serialization"), name)
    raise AttributeError(f"module 'minigan' has no attribute {name!r}")
