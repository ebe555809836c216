"""Elementwise arithmetic and math: + - * / ** neg exp log sqrt abs maximum minimum clip where.

Binary ops broadcast like NumPy; their backward sums the incoming gradient back
to each input's shape (`sum_to`). Python scalars and NumPy arrays take the
tensor operand's dtype and device, so a float32 model never drifts to float64.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import DEFAULT_DTYPE, Function, Tensor, _is_cupy_array, _is_float, astype
from .shape import sum_to


def as_operand(x, like: Tensor) -> Tensor:
    """Turn a scalar or array into a constant Tensor matching `like`'s device and dtype.

    Against a float tensor, Python numbers and NumPy arrays of any dtype take the
    tensor's dtype, so a float32 model never drifts to float64. A CuPy array is kept
    as it is (an op mixing it with a CPU tensor then names both devices).
    """
    if isinstance(x, Tensor):
        return x
    like_dtype = like.array.dtype
    if isinstance(x, (bool, int, float, np.number)):
        dtype = like_dtype
        if not _is_float(dtype):
            if isinstance(x, (float, np.floating)):
                dtype = np.dtype(DEFAULT_DTYPE)
            elif dtype.kind == "b" and not isinstance(x, (bool, np.bool_)):
                dtype = np.dtype(np.int64)
        if type(like.array) is np.ndarray:
            return Tensor(np.asarray(x, dtype=dtype))
        with like.device.scope():  # a fill kernel, not a blocking host-to-device copy
            return Tensor(like.xp.full((), x, dtype=dtype))
    if _is_cupy_array(x):
        arr = x
    else:
        arr = np.asarray(x)
        if type(like.array) is not np.ndarray:
            arr = backend.to_device(arr, like.device)
    if _is_float(like_dtype) and arr.dtype != like_dtype:
        arr = arr.astype(like_dtype)
    return Tensor(arr)


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}  # PyTorch's dtype categories: bool < integer < float


def promote_types(a: Tensor, b: Tensor) -> np.dtype:
    """The dtype PyTorch gives an op on two tensors of different dtypes.

    A higher category (bool < integer < floating) wins whatever its size: int64 with float32
    is float32 (NumPy would say float64). Within a category the wider type wins (float32 with
    float64 is float64, uint8 with int8 is int16), except that a 0-d tensor never widens a
    dimensioned one of its category: float32 data plus a float64 0-d tensor stays float32.
    """
    da, db = a.array.dtype, b.array.dtype
    ca, cb = _CATEGORY[da.kind], _CATEGORY[db.kind]
    zero_a, zero_b = a.array.ndim == 0, b.array.ndim == 0
    if zero_a != zero_b:
        dim_dtype, zero_dtype, dim_cat, zero_cat = (db, da, cb, ca) if zero_a else (da, db, ca, cb)
        return dim_dtype if zero_cat <= dim_cat else zero_dtype
    if ca != cb:
        return da if ca > cb else db
    return np.result_type(da, db)


def _pair(a, b) -> tuple[Tensor, Tensor]:
    """Both operands as Tensors of one dtype, PyTorch's (`promote_types`); a cast of a float
    operand is differentiable, so float32 meeting float64 sends a float32 gradient back."""
    if not isinstance(a, Tensor):
        a = as_operand(a, b)
    elif not isinstance(b, Tensor):
        b = as_operand(b, a)
    da, db = a.array.dtype, b.array.dtype
    if da != db:
        dtype = promote_types(a, b)
        if da != dtype:
            a = astype(a, dtype)
        if db != dtype:
            b = astype(b, dtype)
    return a, b


class _Binary(Function):
    """Names the op and both shapes when broadcasting fails (checked only on failure: no cost)."""

    def __call__(self, a, b):
        try:
            return super().__call__(a, b)
        except ValueError as exc:
            try:
                np.broadcast_shapes(a.shape, b.shape)
            except ValueError:
                raise ValueError(f"{self.name.lower()}: shapes {a.shape} and {b.shape} "
                                 "cannot be broadcast together") from None
            raise exc


class Add(_Binary):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        a, b = self.inputs
        return (sum_to(gy, a.shape) if self.needs_input_grad[0] else None,
                sum_to(gy, b.shape) if self.needs_input_grad[1] else None)


class Sub(_Binary):
    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        a, b = self.inputs
        return (sum_to(gy, a.shape) if self.needs_input_grad[0] else None,
                sum_to(-gy, b.shape) if self.needs_input_grad[1] else None)


class Mul(_Binary):
    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        ga = sum_to(gy * b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(gy * a, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Div(_Binary):
    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        a, b = self.inputs
        ga = sum_to(gy / b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(-gy * a / (b * b), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Pow(_Binary):
    """a ** b with a tensor exponent; log(a) appears only in d/db."""

    def forward(self, a, b):
        return a ** b

    def backward(self, gy):
        a, b = self.inputs
        ga = sum_to(gy * b * a ** (b - 1), a.shape) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            gb = sum_to(gy * (a ** b) * log(a), b.shape)
        return ga, gb


class PowScalar(Function):
    def __init__(self, exponent: float):
        self.exponent = exponent

    def forward(self, x):
        p = self.exponent
        return x * x if p == 2 else x ** p

    def backward(self, gy):
        x, = self.inputs
        p = self.exponent
        if p == 0:
            return gy * 0.0
        if p == 1:
            return gy
        if p == 2:
            return gy * x * 2.0
        return gy * p * pow_scalar(x, p - 1)


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Exp(Function):
    def forward(self, x):
        self.save_outputs()
        return backend.get_array_module(x).exp(x)

    def backward(self, gy):
        return gy * self.outputs[0]


class Log(Function):
    def forward(self, x):
        return backend.get_array_module(x).log(x)

    def backward(self, gy):
        return gy / self.inputs[0]


class Sqrt(Function):
    def forward(self, x):
        self.save_outputs()
        return backend.get_array_module(x).sqrt(x)

    def backward(self, gy):
        return gy / (self.outputs[0] * 2.0)


class Sign(Function):
    def forward(self, x):
        return backend.get_array_module(x).sign(x)

    def backward(self, gy):
        return gy * 0.0


class Abs(Function):
    def forward(self, x):
        return backend.get_array_module(x).abs(x)

    def backward(self, gy):
        x, = self.inputs
        return gy * sign(x)


class Where(_Binary):
    """cond ? a : b; `cond` is a constant boolean array (no gradient)."""

    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        xp = backend.get_array_module(a)
        if xp is not np:  # after the device check, so a CPU mask meets GPU operands only here
            cond = self.cond if _is_cupy_array(self.cond) else np.asarray(self.cond)
            self.cond = backend.to_device(cond, backend.device_of(a))
        return xp.where(self.cond, a, b)

    def backward(self, gy):
        a, b = self.inputs
        zero = gy * 0.0
        ga = sum_to(where(self.cond, gy, zero), a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(where(self.cond, zero, gy), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Maximum(Where):
    """Elementwise max: Where with the condition a >= b found in forward (ties go to `a`)."""

    def __init__(self):
        pass

    def forward(self, a, b):
        self.cond = a >= b
        return backend.get_array_module(a, b).maximum(a, b)


class Minimum(Where):
    def __init__(self):
        pass

    def forward(self, a, b):
        self.cond = a <= b
        return backend.get_array_module(a, b).minimum(a, b)


# ---- public functional forms -----------------------------------------------------------------


def add(a, b) -> Tensor:
    return Add()(*_pair(a, b))


def sub(a, b) -> Tensor:
    return Sub()(*_pair(a, b))


def mul(a, b) -> Tensor:
    return Mul()(*_pair(a, b))


def div(a, b) -> Tensor:
    """True division; integer operands give float32 (not NumPy's float64)."""
    a, b = _pair(a, b)
    if not _is_float(a.array.dtype):
        a = Tensor(a.array.astype(DEFAULT_DTYPE))
    if not _is_float(b.array.dtype):
        b = Tensor(b.array.astype(a.array.dtype))
    return Div()(a, b)


def neg(x: Tensor) -> Tensor:
    return Neg()(x)


def pow_scalar(x: Tensor, p: float) -> Tensor:
    return PowScalar(float(p))(x)


def pow(a, b) -> Tensor:  # noqa: A001 - mirrors torch.pow
    """a ** b; a scalar exponent takes the cheaper path with no log.

    An integer tensor to an integer power stays integer (a negative power is an error, as in
    PyTorch); to a float power it becomes float32.
    """
    if isinstance(a, Tensor) and not isinstance(b, Tensor) and np.ndim(b) == 0:
        if a.array.dtype.kind in "fc":
            return pow_scalar(a, float(b))
        if isinstance(b, (float, np.floating)):
            return pow_scalar(astype(a, DEFAULT_DTYPE), float(b))
    return Pow()(*_pair(a, b))


def _floating(x: Tensor) -> Tensor:
    """An integer or bool tensor as float32, the dtype PyTorch gives exp/log/sqrt of one (NumPy: float64)."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    return x if x.array.dtype.kind in "fc" else astype(x, DEFAULT_DTYPE)


def exp(x: Tensor) -> Tensor:
    return Exp()(_floating(x))


def log(x: Tensor) -> Tensor:
    return Log()(_floating(x))


def sqrt(x: Tensor) -> Tensor:
    return Sqrt()(_floating(x))


def sign(x: Tensor) -> Tensor:
    return Sign()(x)


def abs(x: Tensor) -> Tensor:  # noqa: A001 - mirrors torch.abs
    return Abs()(x)


def where(cond, a=None, b=None) -> "Tensor | tuple":
    """Elementwise choice, a where cond else b; `cond` (a boolean Tensor or array) is not differentiated.

    With `cond` alone, as torch.where(cond): the indices of its non-zero elements, one int64
    tensor per dimension (``nonzero(as_tuple=True)``), so ``x[where(mask)]`` picks them.

    >>> import minigan as mg
    >>> mg.where(mg.tensor([[True, False], [False, True]]))
    (tensor([0, 1]), tensor([0, 1]))
    """
    if a is None and b is None:
        arr = cond.array if isinstance(cond, Tensor) else np.asarray(cond)
        xp = backend.get_array_module(arr)
        return tuple(Tensor(i.astype(np.int64, copy=False)) for i in xp.nonzero(xp.atleast_1d(arr)))
    if a is None or b is None:
        raise TypeError("where: expected where(condition) or where(condition, input, other), got one of input, other")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    a, b = _pair(a, b)
    return Where(cond.array if isinstance(cond, Tensor) else cond)(a, b)


def maximum(a, b) -> Tensor:
    """Elementwise max, broadcasting; at ties the gradient goes to `a` (a subgradient choice)."""
    return Maximum()(*_pair(a, b))


def minimum(a, b) -> Tensor:
    """Elementwise min, broadcasting; at ties the gradient goes to `a`."""
    return Minimum()(*_pair(a, b))


def clip(x: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - mirrors torch.clamp
    """Clamp to [min, max] (numbers or tensors, broadcast); ``clip(x, max=1.0)``, ``clip(x, lo, hi)``.

    As torch.clamp: min(max(x, min), max), so max wins where min > max. The gradient goes
    to x where it lies in [min, max] and to a tensor bound where that bound was taken.

    >>> import minigan as mg
    >>> mg.tensor([-2.0, 0.5, 3.0]).clamp(mg.tensor([-1.0, 1.0, 0.0]), 2.0)
    tensor([-1.,  1.,  2.])
    """
    out = x
    if min is not None:
        lower = as_operand(min, x)
        out = where(out.array < lower.array, lower, out)
    if max is not None:
        upper = as_operand(max, x)
        out = where(out.array > upper.array, upper, out)
    return out


clamp = clip
