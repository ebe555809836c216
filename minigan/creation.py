"""Tensor factories with PyTorch's signatures: tensor, as_tensor, from_numpy, zeros, ones, empty, full,
arange, linspace, logspace, eye, and the random ones (rand, randn, randint, randperm, normal, bernoulli,
multinomial), which all draw from minigan's seeded generator (`backend.manual_seed`); *_like forms too.
"""
from __future__ import annotations

import sys
from typing import Any

import numpy as np

from . import backend
from .autograd import DEFAULT_DTYPE, Tensor, _is_cupy_array
from .autograd import tensor as _tensor_module
from .autograd.tensor_meta import as_dtype
from .backend import Device


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _python_array(data, op: str) -> np.ndarray:
    """Python data (numbers, nested lists) as an array, or PyTorch's error naming what was wrong."""
    try:
        arr = np.asarray(data)
    except ValueError:  # NumPy refuses ragged nesting
        raise ValueError(f"{op}: data must be a rectangular nesting of numbers (every row the same "
                         "length), got ragged sequences") from None
    if arr.dtype.kind in "US":
        raise TypeError(f"{op}: invalid data type 'str'")
    if arr.dtype.kind == "O":
        bad = next((v for v in arr.reshape(-1) if not isinstance(v, (bool, int, float, complex, np.generic))),
                   None)
        if isinstance(bad, (list, tuple)):
            raise ValueError(f"{op}: data must be a rectangular nesting of numbers, got ragged sequences")
        raise RuntimeError(f"{op}: could not infer dtype of {type(bad).__name__}")
    if arr.dtype == np.float64:
        arr = arr.astype(DEFAULT_DTYPE)  # Python floats become the default dtype, as in PyTorch
    elif arr.dtype.kind == "i" and arr.dtype != np.int64:
        arr = arr.astype(np.int64)  # Python ints become int64 on every platform
    return arr


def tensor(data: Any, requires_grad: bool = False, device: "str | Device | None" = None, dtype=None) -> Tensor:
    """A new leaf tensor holding a copy of `data` (a number, nested lists, an array or a Tensor).

    Python floats become float32, ints int64 and bools bool (PyTorch's defaults); NumPy arrays
    keep their dtype. ``tensor([[1, 2], [3, 4]], dtype=minigan.float64, requires_grad=True)``.
    """
    if isinstance(data, Tensor):
        data = data.array
    xp_in = backend.get_array_module(data)
    if xp_in is np and not isinstance(data, np.ndarray):
        arr = _python_array(data, "tensor()")
    else:
        arr = data
    if dtype is not None:
        arr = arr.astype(as_dtype(dtype))
    if device is not None:
        arr = backend.to_device(arr, device)
    if arr is data:
        arr = arr.copy()  # a new tensor never aliases the caller's array
    return Tensor(arr, requires_grad=requires_grad)


def as_tensor(data: Any, dtype=None, device: "str | Device | None" = None) -> Tensor:
    """`data` as a tensor, sharing its memory when the dtype and device already fit (torch.as_tensor).

    A Tensor comes back as itself, a NumPy array of the right dtype is wrapped without a copy;
    anything else is converted as by `tensor`.
    """
    if isinstance(data, Tensor):
        return data.to(device, dtype)
    if isinstance(data, np.ndarray) or _is_cupy_array(data):
        arr = data if dtype is None else data.astype(as_dtype(dtype), copy=False)
        if device is not None:
            arr = backend.to_device(arr, device)
        return Tensor(arr)
    return tensor(data, device=device, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing `array`'s memory and dtype (torch.from_numpy): writes to one show in the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(array).__name__})")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy: can't convert np.ndarray of type {array.dtype}; the supported types are "
                        "float64, float32, float16, int64, int32, int16, int8, uint8 and bool")
    return Tensor(array)


def is_tensor(obj) -> bool:
    """Whether `obj` is a minigan Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:  # noqa: A002 - torch's name
    """Whether `input`'s dtype is a floating-point one (float16, float32, float64)."""
    return input.is_floating_point()


def _fill(maker, size, dtype, device, requires_grad) -> Tensor:
    dev = Device(device)
    xp = dev.xp
    with dev.scope():
        arr = maker(xp, _shape(size), as_dtype(dtype or DEFAULT_DTYPE))
    return Tensor(arr, requires_grad=requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros; `size` as ints or one tuple, float32 unless `dtype` says otherwise."""
    return _fill(lambda xp, s, d: xp.zeros(s, d), size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones; `size` as ints or one tuple, float32 unless `dtype` says otherwise."""
    return _fill(lambda xp, s, d: xp.ones(s, d), size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of shape `size` whose values are not to be relied on (zeros here: NumPy's empty
    would leak stale memory into results that forget to overwrite it)."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def _fill_dtype(fill_value):
    """PyTorch's dtype for a fill value: bool, int64 for ints, the default float for floats."""
    if isinstance(fill_value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(fill_value, (int, np.integer)):
        return np.dtype(np.int64)
    return DEFAULT_DTYPE


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of shape `size` (a tuple, or an int) filled with `fill_value`.

    The dtype follows the value as in PyTorch: ``full((2,), 1)`` is int64, ``full((2,), 1.0)``
    float32, ``full((2,), True)`` bool.
    """
    return _fill(lambda xp, s, d: xp.full(s, fill_value, d), (size,) if isinstance(size, int) else tuple(size),
                 dtype if dtype is not None else _fill_dtype(fill_value), device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Values start, start+step, ... below end (PyTorch's arange): int64 for ints, else float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = np.int64 if all(isinstance(v, (int, np.integer)) for v in (start, end, step)) else DEFAULT_DTYPE
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    dev = Device(device)
    xp = dev.xp
    with dev.scope():
        arr = xp.arange(start, end, step, dtype=as_dtype(dtype))
    return Tensor(arr, requires_grad=requires_grad)


def linspace(start: float, end: float, steps: int, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end, both included (float32 by default)."""
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    values = np.linspace(float(start), float(end), int(steps), dtype=np.float64)
    return _from_host(values, dtype or DEFAULT_DTYPE, device, requires_grad)


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps): ``logspace(0, 2, 3)`` is [1, 10, 100]."""
    if steps < 0:
        raise RuntimeError(f"logspace: number of steps must be non-negative, got {steps}")
    values = float(base) ** np.linspace(float(start), float(end), int(steps), dtype=np.float64)
    return _from_host(values, dtype or DEFAULT_DTYPE, device, requires_grad)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An n x m matrix (m = n by default) with ones on the diagonal."""
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"eye: n and m must be non-negative, got n={n}, m={m}")
    return _fill(lambda xp, s, d: xp.eye(s[0], s[1], dtype=d), (n, n if m is None else m), dtype, device,
                 requires_grad)


def _from_host(values: np.ndarray, dtype, device, requires_grad: bool) -> Tensor:
    """A host array (computed or drawn on the CPU) cast to `dtype` and moved to `device`."""
    arr = values.astype(as_dtype(dtype), copy=False)
    if device is not None and Device(device).type != "cpu":
        arr = backend.to_device(arr, device)
    return Tensor(arr, requires_grad=requires_grad)


def _sample(method: str, size, dtype, device, requires_grad) -> Tensor:
    dev = Device(device)
    dt = as_dtype(dtype or DEFAULT_DTYPE)
    if dt.kind != "f":
        raise TypeError(f"{'randn' if method == 'standard_normal' else 'rand'}: expected a floating point dtype, "
                        f"got {dt}")
    # both generators draw float32 or float64 natively; other dtypes are cast from float64
    native = dt if dt in (np.float32, np.float64) else np.dtype(np.float64)
    rng = backend.rng_for(dev)
    with dev.scope():
        arr = getattr(rng, method)(_shape(size), dtype=native).astype(dt, copy=False)
    return Tensor(arr, requires_grad=requires_grad)


def randn(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples of shape `size` from minigan's seeded generator (see manual_seed)."""
    return _sample("standard_normal", size, dtype, device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) of shape `size` from minigan's seeded generator."""
    return _sample("random", size, dtype, device, requires_grad)


def _host_rng() -> np.random.Generator:
    """minigan's seeded generator; the integer draws below come from it on the CPU, then move."""
    return backend.rng_for(backend.CPU)


def randint(*args, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or ``randint(low, high, size)``.

    int64 unless `dtype` says otherwise, as torch.randint; `size` is a tuple.
    """
    if size is None:
        if len(args) < 2:
            raise TypeError("randint: missing the size (randint(high, size) or randint(low, high, size))")
        args, size = args[:-1], args[-1]
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError(f"randint: expected (high, size) or (low, high, size), got {len(args)} positional values")
    if int(high) <= int(low):
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    values = _host_rng().integers(int(low), int(high), size=_shape((size,) if isinstance(size, int) else size))
    return _from_host(values, dtype or np.int64, device, requires_grad)


def randperm(n: int, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1 (int64), as torch.randperm."""
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    return _from_host(_host_rng().permutation(int(n)), dtype or np.int64, device, requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Normal samples with the given mean and std, as torch.normal: ``normal(0.0, 1.0, (2, 3))`` or
    ``normal(mean_tensor, std)`` (the shape is the broadcast of the tensor arguments).

    The samples are constants: no gradient flows to a tensor mean or std (torch's is zero too).
    """
    means = mean.array if isinstance(mean, Tensor) else mean
    stds = std.array if isinstance(std, Tensor) else std
    like = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    if like is None and size is None:
        raise TypeError("normal: give a size, or a tensor mean or std")
    means, stds = backend.as_numpy(np.asarray(means)), backend.as_numpy(np.asarray(stds))
    if (stds < 0).any():
        raise RuntimeError("normal: expected all std >= 0.0")
    shape = _shape((size,) if isinstance(size, int) else size) if size is not None else \
        np.broadcast_shapes(means.shape, stds.shape)
    if dtype is None:
        dtype = like.dtype if like is not None else DEFAULT_DTYPE
    if device is None and like is not None:
        device = like.device
    values = _host_rng().standard_normal(shape) * stds + means
    return _from_host(np.broadcast_to(values, shape), dtype, device, requires_grad)


def bernoulli(input: Tensor, p: float | None = None) -> Tensor:  # noqa: A002 - torch's name
    """0/1 samples, 1 with probability input (or `p` for every element), in input's dtype and shape."""
    probs = backend.as_numpy(input.array) if p is None else np.full(input.shape, float(p))
    if probs.size and not ((probs >= 0) & (probs <= 1)).all():
        raise RuntimeError("bernoulli: expected all probabilities in [0, 1]")
    values = _host_rng().random(input.shape) < probs
    return _from_host(values, input.dtype, input.device, False)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False) -> Tensor:  # noqa: A002
    """Category indices (int64) drawn with the row weights `input` (1-D, or 2-D: one row per draw).

    Without replacement each category is drawn at most once, so `num_samples` may not exceed the
    categories of non-zero weight. Shape: (num_samples,) or (rows, num_samples).
    """
    weights = backend.as_numpy(input.array).astype(np.float64)
    if weights.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {input.shape}")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    rows = weights.reshape(-1, weights.shape[-1])
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample {num_samples} samples, expected at least 1")
    if not replacement and num_samples > int((rows > 0).sum(axis=1).min()):
        raise RuntimeError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without "
                           f"replacement (n_sample {num_samples}, categories of non-zero weight "
                           f"{int((rows > 0).sum(axis=1).min())})")
    rng = _host_rng()
    out = np.stack([rng.choice(rows.shape[1], size=num_samples, replace=replacement, p=r / t)
                    for r, t in zip(rows, totals)])
    out = out.reshape(weights.shape[:-1] + (num_samples,))
    return _from_host(out, np.int64, input.device, False)


def zeros_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return zeros(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return ones(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def empty_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of t's shape (and dtype, device) whose values are not to be relied on (zeros here)."""
    return zeros_like(t, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of t's shape filled with `fill_value`, in t's dtype unless `dtype` is given."""
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def randn_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return randn(*t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def rand_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) of t's shape, dtype and device."""
    return rand(*t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def randint_like(t: Tensor, low: int = 0, high: int | None = None, dtype=None, device=None,
                 requires_grad: bool = False) -> Tensor:
    """Integers from [low, high) of t's shape, in t's dtype: ``randint_like(t, 10)`` or ``(t, 2, 10)``."""
    if high is None:
        low, high = 0, low
    return randint(low, high, t.shape, dtype=dtype or t.dtype, device=device or t.device,
                   requires_grad=requires_grad)


# ---- Tensor methods that make tensors (t.new_zeros, t.normal_, ...), late-bound as the ops are ----


def new_tensor(t: Tensor, data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return tensor(data, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def new_full(t: Tensor, size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return full(size, fill_value, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def fill_random_(t: Tensor, kind: str, a: float, b: float) -> Tensor:
    """t (in place) filled with uniform samples in [a, b) or normal ones of mean a and std b."""
    if t.dtype.kind != "f":
        raise TypeError(f"{kind}_: expected a floating point tensor, got dtype {t.dtype}")
    native = t.dtype if t.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    rng = _host_rng()
    if kind == "uniform":
        values = a + (b - a) * rng.random(t.shape, dtype=native)
    else:
        if b < 0:
            raise RuntimeError(f"normal_: expects std >= 0.0, got std={b}")
        values = rng.standard_normal(t.shape, dtype=native) * b + a
    return t.copy_(_from_host(values, t.dtype, t.device, False))


_tensor_module._creation = sys.modules[__name__]
