"""In-place ops with PyTorch's names: ``x[key] = v``, add_, sub_, mul_, div_, zero_, fill_, clamp_, copy_.

Each one bumps the tensor's version counter (see `minigan.autograd.version`), so a
backward that would read the old value raises instead of returning a wrong gradient.

- Outside the graph (grad mode off, or nothing involved requires grad) the new value is
  written into ``x.array`` itself, as NumPy would: `nn.init` and manual updates under
  ``no_grad()`` work this way.
- Inside the graph the op is differentiable: it is computed out of place from a tensor
  that takes over x's history, and x becomes its output (x gets the new array, so the
  arrays earlier Functions saved are never overwritten; unlike PyTorch, tensors that
  were views of x's old array keep the old values). A leaf that requires grad may not be
  changed in place there (PyTorch's rule), nor may a tensor whose array is a view (a
  reshape, transpose or slice of another array), whose base minigan cannot version.

>>> import minigan as mg
>>> x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = x * 2
>>> y[0] = 0.0              # differentiable: no gradient reaches x[0] through y
>>> y.mul_(x)               # y is now (x * 2 with y[0] = 0) * x
tensor([ 0.,  8., 18.], grad_fn=<MulBackward0>)
>>> y.sum().backward()
>>> x.grad
tensor([ 0.,  8., 12.])
>>> y._version
2
"""
from __future__ import annotations

import weakref

from ..autograd import Function, Tensor
from ..autograd.grad_mode import _GradMode, no_grad
from ..autograd.version import bump_version
from .arith import add, as_operand, clip, div, mul, sub
from .shape import getitem, prepare_key, sum_to


class SetItem(Function):
    """out = x with out[key] = value: the gradient goes to `value` and to x outside `key`."""

    def __init__(self, key):
        self.key = key

    def forward(self, x, value):
        out = x.copy()
        try:
            out[self.key] = value
        except (IndexError, ValueError) as exc:
            raise type(exc)(f"setitem: cannot write a value of shape {value.shape} at index {self.key!r} "
                            f"of a tensor of shape {x.shape}: {exc}") from None
        return out

    def backward(self, gy):
        x, value = self.inputs
        gx = gvalue = None
        if self.needs_input_grad[0]:
            keep = gy.xp.ones(gy.shape, dtype=gy.dtype)
            keep[self.key] = 0  # a constant mask: the backward stays linear in gy (double backward works)
            gx = gy * Tensor(keep)
        if self.needs_input_grad[1]:
            gvalue = sum_to(getitem(gy, self.key), value.shape)
        return gx, gvalue


def _recording(t: Tensor, operands: tuple) -> bool:
    if not _GradMode.enabled:
        return False
    return t._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in operands)


def _inplace(t: Tensor, op: str, compute, operands: tuple = ()) -> Tensor:
    """Replace t's value by ``compute(old)`` (an out-of-place Tensor expression) in place."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: expected a minigan Tensor, got {type(t).__name__}")
    recording = _recording(t, operands)
    if recording and t.creator is None and t._requires_grad:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an in-place operation. "
                           "Wrap the update in `with minigan.no_grad():`, or work on a clone().")
    if recording and t.array.base is not None:
        raise RuntimeError(f"{op}: this tensor's array (shape {t.shape}) is a view of another array (a reshape, "
                           "transpose or slice, perhaps of another tensor's); in-place changes of views are not "
                           "versioned inside the graph: clone() it first or use the out-of-place op")
    bump_version(t)
    if not recording:
        with no_grad():
            new = compute(t)
        _check_result(t, new, op)
        try:
            t.array[...] = new.array
        except ValueError as exc:  # a read-only broadcast array
            raise ValueError(f"{op}: cannot write into this tensor's array ({exc}); clone() it first") from None
        return t
    # the old history moves to `old`; t becomes the output of the op computed from it
    old = Tensor(t.array)
    old._requires_grad, old.creator, old.generation = t._requires_grad, t.creator, t.generation
    old._writes = list(t._writes)  # a Function that saved t as its output sees the write and raises
    if t.creator is not None:
        t.creator._outputs = tuple(weakref.ref(old) if r() is t else r for r in t.creator._outputs)
    new = compute(old)
    _check_result(t, new, op)
    t.array = new.array
    if new.creator is not None:
        t.creator, t.generation, t._requires_grad = new.creator, new.generation, True
        new.creator._outputs = (weakref.ref(t),)
    return t


def _check_result(t: Tensor, new: Tensor, op: str) -> None:
    if new.shape != t.shape:
        raise ValueError(f"{op}: the result has shape {new.shape} but the tensor changed in place has shape "
                         f"{t.shape} (an in-place op cannot broadcast the tensor itself)")
    if t.dtype.kind in "biu" and new.dtype.kind in "fc":
        raise TypeError(f"{op}: result type {new.dtype} cannot be cast to the tensor's dtype {t.dtype}")
    if new.dtype != t.dtype:
        new.array = new.array.astype(t.dtype)


def setitem(t: Tensor, key, value) -> Tensor:
    """``t[key] = value`` (NumPy indexing, value broadcast to ``t[key]``); differentiable in the graph."""
    value = as_operand(value, t)
    key = prepare_key(t, key)
    if not _recording(t, (value,)):  # the fast path: nn.init and writes under no_grad()
        bump_version(t)
        t.array[key] = value.array
        return t
    return _inplace(t, "setitem", lambda old: SetItem(key)(old, value), (value,))


def _scaled(other, alpha: float):
    return other if alpha == 1 else mul(other, alpha) if isinstance(other, Tensor) else other * alpha


def add_(t: Tensor, other, alpha: float = 1) -> Tensor:
    """t += alpha * other, in place (PyTorch's ``add_(other, alpha=1)``)."""
    return _inplace(t, "add_", lambda old: add(old, _scaled(other, alpha)), (other,))


def sub_(t: Tensor, other, alpha: float = 1) -> Tensor:
    """t -= alpha * other, in place."""
    return _inplace(t, "sub_", lambda old: sub(old, _scaled(other, alpha)), (other,))


def mul_(t: Tensor, other) -> Tensor:
    return _inplace(t, "mul_", lambda old: mul(old, other), (other,))


def div_(t: Tensor, other) -> Tensor:
    return _inplace(t, "div_", lambda old: div(old, other), (other,))


def clamp_(t: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - torch's names
    return _inplace(t, "clamp_", lambda old: clip(old, min, max), (min, max))


def fill_(t: Tensor, value) -> Tensor:
    """Every element set to `value` (a number or a 0-d tensor, which then gets the gradient)."""
    return setitem(t, Ellipsis, value)


def zero_(t: Tensor) -> Tensor:
    return setitem(t, Ellipsis, 0)


def copy_(t: Tensor, src) -> Tensor:
    """t's values replaced by `src` (broadcast to t's shape, cast to t's dtype); the gradient flows to src."""
    return setitem(t, Ellipsis, src)
