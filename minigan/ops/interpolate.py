"""interpolate (nearest, linear, bilinear) and adaptive_avg_pool2d, as torch.nn.functional's.

Both are separable linear maps, so each builds one `resample.AxisPlan` per resized axis and
runs `resample.Resample` (gathers forward, scatters backward, any order of derivative). The
source positions follow PyTorch's CPU kernels term for term:

- nearest: src = min(floor(dst * scale), in - 1) with ``scale`` a float32 (1 / scale_factor
  when one is given, else in / out); for 4-D input, PyTorch's exact shortcuts first:
  out == in copies and out == 2 * in takes dst // 2, whatever the scale_factor;
- (bi)linear: src = scale * (dst + 0.5) - 0.5 clamped at 0 (align_corners=False) or
  src = dst * (in - 1) / (out - 1) (align_corners=True), computed in the input's precision;
  weights 1 - frac and frac on floor(src) and the next index (the same one at the edge);
  an axis whose size does not change is copied, whatever the scale_factor;
  the width pass runs before the height pass, as PyTorch's bilinear sums;
- adaptive average: output i averages input [floor(i * in / out), ceil((i + 1) * in / out)).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..autograd import Tensor
from .resample import AxisPlan, Tap, resample
from .shape import clone

__all__ = ["interpolate", "adaptive_avg_pool2d"]

_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_SUPPORTED = {"nearest": (3, 4), "linear": (3,), "bilinear": (4,)}


def _nearest_plan(axis: int, size_in: int, size_out: int, scale_factor, shortcuts: bool) -> AxisPlan:
    dst = np.arange(size_out)
    if shortcuts and size_out == size_in:
        index = dst
    elif shortcuts and size_out == 2 * size_in:
        index = dst >> 1
    else:
        scale = np.float32(1.0 / scale_factor) if scale_factor else np.float32(size_in) / np.float32(size_out)
        index = np.minimum(np.floor(dst.astype(np.float32) * scale).astype(np.int64), size_in - 1)
    return AxisPlan(axis, size_in, (Tap(index),))


def _linear_plan(axis: int, size_in: int, size_out: int, scale_factor, align_corners: bool, dtype) -> AxisPlan:
    real = np.dtype(dtype).type if np.dtype(dtype).itemsize >= 4 else np.float32
    dst = np.arange(size_out).astype(real)
    if align_corners:
        scale = real(size_in - 1) / real(size_out - 1) if size_out > 1 else real(0)
        src = scale * dst
    else:
        scale = real(1.0 / scale_factor) if scale_factor else real(size_in) / real(size_out)
        src = np.maximum(scale * (dst + real(0.5)) - real(0.5), real(0))
    index0 = np.minimum(np.floor(src).astype(np.int64), size_in - 1)
    lambda1 = np.clip(src - index0.astype(real), real(0), real(1)).astype(real)
    index1 = index0 + (index0 < size_in - 1)
    return AxisPlan(axis, size_in, (Tap(index0, real(1) - lambda1), Tap(index1, lambda1)))


def _spatial(op: str, values, k: int, name: str) -> tuple:
    if isinstance(values, (tuple, list)):
        if len(values) != k:
            raise ValueError(f"{op}: {name} {tuple(values)} must have {k} entries for an input with {k} spatial "
                             f"dimension(s)")
        return tuple(values)
    return (values,) * k


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize (N, C, L) or (N, C, H, W) input, as ``torch.nn.functional.interpolate``.

    Give `size` (an int or one int per spatial dimension) or `scale_factor` (output =
    floor(input * scale_factor)); modes 'nearest' (3-D and 4-D), 'linear' (3-D) and
    'bilinear' (4-D, with `align_corners`). ``interpolate(x, scale_factor=2)`` doubles H and W.
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: mode must be one of {', '.join(_MODES)}, got {mode!r}")
    if mode not in _SUPPORTED:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not implemented (nearest, linear, bilinear are)")
    if align_corners is not None and mode == "nearest":
        raise ValueError("interpolate: align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not implemented")
    if x.ndim not in _SUPPORTED[mode]:
        wanted = " or ".join(f"{d}-D" for d in _SUPPORTED[mode])
        raise NotImplementedError(f"interpolate: mode {mode!r} needs {wanted} input (N, C, ...), got shape {x.shape}")
    k = x.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: " + ("either size or scale_factor should be defined" if size is None
                                           else "only one of size or scale_factor should be defined"))
    in_sizes = x.shape[2:]
    if size is not None:
        out_sizes = tuple(int(s) for s in _spatial("interpolate", size, k, "size"))
        scales = (None,) * k
    else:
        factors = tuple(float(s) for s in _spatial("interpolate", scale_factor, k, "scale_factor"))
        out_sizes = tuple(int(math.floor(n * f)) for n, f in zip(in_sizes, factors))
        scales = (None,) * k if recompute_scale_factor else factors
    if any(n <= 0 for n in in_sizes) or any(n <= 0 for n in out_sizes):
        raise RuntimeError(f"interpolate: input and output sizes should be greater than 0, but got input "
                           f"{tuple(in_sizes)} and output {out_sizes} (input shape {x.shape})")
    align = bool(align_corners)
    plans = []
    for d in reversed(range(k)):  # last axis first (PyTorch's bilinear sums the width pass inside)
        axis, n_in, n_out, scale = 2 + d, in_sizes[d], out_sizes[d], scales[d]
        if mode == "nearest":
            plan = _nearest_plan(axis, n_in, n_out, scale, shortcuts=k == 2)
        else:
            plan = _linear_plan(axis, n_in, n_out, scale, align, x.dtype)
        if n_in != n_out or (mode == "nearest" and k == 1):  # else PyTorch copies the axis
            plans.append(plan)
    return resample(x, plans) if plans else clone(x)


def _adaptive_plan(axis: int, size_in: int, size_out: int) -> AxisPlan:
    i = np.arange(size_out)
    start = (i * size_in) // size_out
    end = ((i + 1) * size_in + size_out - 1) // size_out
    length = end - start
    taps = []
    for j in range(int(length.max()) if size_out else 1):
        outputs = np.nonzero(length > j)[0]
        weight = 1.0 / length[outputs]
        whole = len(outputs) == size_out
        taps.append(Tap(start[outputs] + j, weight, None if whole else outputs))
    return AxisPlan(axis, size_in, tuple(taps), size_out)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed (OH, OW), as ``torch.nn.functional.adaptive_avg_pool2d``.

    input (N, C, H, W) or (C, H, W); `output_size` an int or an (OH, OW) pair whose None
    entries keep the input size. Output i along an axis averages input rows
    floor(i * H / OH) to ceil((i + 1) * H / OH) - 1, PyTorch's windows.
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, "
                         f"got shape {x.shape}")
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise ValueError(f"adaptive_avg_pool2d: output_size must have 2 entries, got {tuple(output_size)}")
        sizes = tuple(output_size)
    else:
        sizes = (output_size, output_size)
    sizes = tuple(x.shape[x.ndim - 2 + d] if s is None else s for d, s in enumerate(sizes))
    if any(isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0 for s in sizes):
        raise ValueError(f"adaptive_avg_pool2d: output_size must be non-negative ints or None, got {output_size!r}")
    if any(n == 0 for n in x.shape[x.ndim - 2:]) and any(s > 0 for s in sizes):
        raise ValueError(f"adaptive_avg_pool2d: cannot pool an empty input of shape {x.shape} to {sizes}")
    plans = [_adaptive_plan(x.ndim - 1, x.shape[-1], int(sizes[1])),
             _adaptive_plan(x.ndim - 2, x.shape[-2], int(sizes[0]))]
    return resample(x, plans)
