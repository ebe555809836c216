"""The one dtype rule for ops with parameters (linear, conv, batch norm) and matmul.

PyTorch's rule: the input and the layer's weight and bias share one floating dtype, and
a mismatch is an error naming every dtype (never a silent promotion: a float64 batch
into a float32 model would otherwise turn the whole step float64, twice as slow).
Elementwise ops keep their own rule (`minigan.ops.arith`: numbers and integer operands
take the float tensor's dtype)::

    check_same_dtype("linear", input=x, weight=w, bias=b)
"""
from __future__ import annotations

__all__ = ["check_same_dtype"]


def check_same_dtype(op: str, *, floating: bool = True, **tensors) -> None:
    """Raise TypeError unless every given tensor (None entries skipped) has one dtype.

    With `floating` (the default) that dtype must also be floating-point.
    """
    named = [(name, t) for name, t in tensors.items() if t is not None]
    first = named[0][1].dtype
    if any(t.dtype != first for _, t in named[1:]):
        names = list(tensors)  # every role the op has (an absent bias too), so one op has one message
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        got = ", ".join(f"{name} {t.dtype}" for name, t in named)
        raise TypeError(f"{op}: {joined} must share one dtype, got {got}")
    if floating and first.kind != "f":
        raise TypeError(f"{op}: expected floating-point tensors, got {first}")
