"""Weight initialisation, in place, with PyTorch's names, formulas and defaults.

Every function fills ``tensor.array`` in place (the Parameter object and its array
are kept, so an optimiser bound to them keeps working), keeps the tensor's dtype
(a float32 weight never silently becomes float64), records no graph, and draws
from minigan's seeded generator for the tensor's device, so
``minigan.manual_seed(s)`` makes model initialisation reproducible.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import backend
from ..autograd import Tensor, no_grad

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_"]


def _check(tensor) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init expects a minigan Tensor or Parameter, got {type(tensor).__name__}")
    return tensor


def _fill(tensor: Tensor, values) -> Tensor:
    """Write `values` (an array or scalar) into tensor.array in place, cast to its dtype (Tensor.copy_)."""
    with no_grad():
        return tensor.copy_(values)


def _random(tensor: Tensor, kind: str, a: float, b: float, generator=None):
    """Samples of tensor's shape on its device: uniform in [a, b) or normal(mean=a, std=b).

    Drawn and scaled on the host from the CPU generator, then moved: a seed gives the same
    weights on every device (`backend.rng_for`).
    """
    device = tensor.device
    rng = generator if generator is not None else backend.rng_for(backend.CPU)
    shape = tensor.shape
    dtype = tensor.dtype if tensor.dtype in (np.float32, np.float64) else np.float64
    if kind == "uniform":
        out = a + (b - a) * rng.random(shape, dtype=dtype)
    else:
        out = rng.standard_normal(shape, dtype=dtype) * b + a
    return backend.to_device(out, device)


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    linear/conv/sigmoid: 1, tanh: 5/3, relu: sqrt(2), leaky_relu: sqrt(2 / (1 + slope^2))
    (slope defaults to 0.01), selu: 3/4.
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor) -> tuple[int, int]:
    """fan_in = size(1) * receptive field, fan_out = size(0) * receptive field (PyTorch's rule).

    For a ConvTranspose2d weight, laid out (in, out/groups, kH, kW), this makes fan_in
    come from dim 1, exactly as PyTorch computes it.
    """
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _no_zero_size(tensor: Tensor, name: str) -> bool:
    if 0 in tuple(tensor.shape):
        warnings.warn(f"Initializing zero-element tensors is a no-op ({name})", stacklevel=3)
        return True
    return False


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with samples from U(a, b)."""
    _check(tensor)
    return _fill(tensor, _random(tensor, "uniform", float(a), float(b), generator))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with samples from N(mean, std^2)."""
    _check(tensor)
    return _fill(tensor, _random(tensor, "normal", float(mean), float(std), generator))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator=None) -> Tensor:
    """Fill with N(mean, std^2) samples redrawn until they fall in [a, b]."""
    _check(tensor)
    xp = tensor.xp
    values = _random(tensor, "normal", float(mean), float(std), generator)
    for _ in range(100):
        bad = (values < a) | (values > b)
        if not bool(bad.any()):
            break
        fresh = _random(tensor, "normal", float(mean), float(std), generator)
        values = xp.where(bad, fresh, values)
    return _fill(tensor, xp.clip(values, a, b))


def constant_(tensor: Tensor, val: float) -> Tensor:
    _check(tensor)
    return _fill(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix."""
    _check(tensor)
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, tensor.xp.eye(*tensor.shape, dtype=tensor.dtype))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    _check(tensor)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _check(tensor)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator=None) -> Tensor:
    """U(-bound, bound) with bound = gain * sqrt(3 / fan) (He et al., 2015).

    Layers call it with ``a=sqrt(5)``, PyTorch's default, which gives bound = 1/sqrt(fan_in).
    """
    _check(tensor)
    if _no_zero_size(tensor, "kaiming_uniform_"):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator=None) -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan)."""
    _check(tensor)
    if _no_zero_size(tensor, "kaiming_normal_"):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix from the QR decomposition of a normal sample (Saxe et al., 2013)."""
    _check(tensor)
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    xp = tensor.xp
    flat = Tensor(xp.empty((rows, cols), dtype=np.float64))
    sample = _random(flat, "normal", 0.0, 1.0, generator)
    if rows < cols:
        sample = sample.T
    q, r = xp.linalg.qr(sample)
    q = q * xp.sign(xp.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))
