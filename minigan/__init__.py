"""minigan: a from-scratch autodiff engine on NumPy/CuPy, and the GAN trainer built on it.

Layers, lowest first: backend -> autograd -> ops -> nn -> gan. Nothing below
imports from above.
"""
from __future__ import annotations

__version__ = "0.1.0"

from .launch import limit_blas_threads

limit_blas_threads()   # before NumPy loads: under mpiexec, each rank's share of the cores

from . import backend, cuda, ops  # noqa: E402
from .autograd import (Function, Tensor, backward, enable_grad, grad, is_grad_enabled, no_grad,
                       set_grad_enabled)
from .autograd.grad_mode import inference_mode
from .autograd.tensor_meta import DTYPES as _DTYPES, Size
from .backend import (Device, DeviceError, get_rng_state, initial_seed, manual_seed, seed, set_rng_state,
                      synchronize)
from .creation import (arange, as_tensor, bernoulli, empty, empty_like, eye, from_numpy, full, full_like,
                       is_floating_point, is_tensor, linspace, logspace, multinomial, normal, ones, ones_like,
                       rand, rand_like, randint, randint_like, randn, randn_like, randperm, tensor, zeros,
                       zeros_like)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops import (allclose, eq, equal, floor_divide, ge, gt, isclose, le, lt, ne, remainder, std_mean, var_mean)
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

# PyTorch's dtype names, NumPy dtype objects (``t.dtype == minigan.float32``); strings work too
float16, half = _DTYPES["float16"], _DTYPES["half"]
float32, float = _DTYPES["float32"], _DTYPES["float"]  # noqa: A001 - torch's names
float64, double = _DTYPES["float64"], _DTYPES["double"]
int64, long = _DTYPES["int64"], _DTYPES["long"]
int32, int = _DTYPES["int32"], _DTYPES["int"]  # noqa: A001
int16, short = _DTYPES["int16"], _DTYPES["short"]
int8, uint8 = _DTYPES["int8"], _DTYPES["uint8"]
bool = _DTYPES["bool"]  # noqa: A001
device = Device


def _lazy(name: str):
    import importlib
    return importlib.import_module(f".{name}", __name__)


def __getattr__(name: str):
    # nn, optim, data and gan load on first use so `import minigan` stays light.
    if name in ("nn", "optim", "data", "gan", "utils"):
        return _lazy(name)
    if name in ("save", "load"):
        return getattr(_lazy("serialization"), name)
    raise AttributeError(f"module 'minigan' has no attribute {name!r}")
