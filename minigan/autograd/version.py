"""Version counters: catch a backward that would read a tensor changed in place after it was used.

A global clock ticks once per in-place write. Each tensor keeps the clock stamps of its
writes (``_writes``, None until the first one; `detach()` shares the list, as PyTorch
shares the counter), so its version is ``len(_writes)``. Each recorded Function stores
the clock when it ran (``_clock``, one attribute store in the hot path). At backward a
Function whose input, or saved output, has a write stamped after its clock raises
PyTorch's error instead of computing a wrong gradient from the new values::

    y = x.exp(); y.mul_(2); y.sum().backward()
    # RuntimeError: one of the variables needed for gradient computation has been modified
    # by an inplace operation: tensor of shape (3,) ... is at version 1; expected version 0

Optimisers update ``p.array`` arrays directly, as ``p.array`` does in PyTorch: those writes
are not versioned (and cost nothing).

minigan's Functions keep every input (``self.inputs``), and the graph reaches a tensor's
history through ``tensor.creator``, so any Function that used a tensor before it was
changed in place raises at backward (PyTorch raises only for Functions that saved it).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .function import Function
    from .tensor import Tensor


class _Clock:
    now = 0


def bump_version(t: "Tensor") -> None:
    """Record one in-place write of `t` (call it before computing the new value)."""
    _Clock.now += 1
    if t._writes is None:
        t._writes = []
    t._writes.append(_Clock.now)


def version_of(t: "Tensor") -> int:
    """How many in-place writes `t` has seen (PyTorch's ``t._version``).

    >>> import minigan as mg
    >>> t = mg.zeros(2)
    >>> t.add_(1.0).mul_(3.0)
    tensor([3., 3.])
    >>> version_of(t), t._version
    (2, 2)
    """
    return 0 if t._writes is None else len(t._writes)


def check_versions(f: "Function", inputs: tuple) -> None:
    """Raise if an input of `f` (or an output it saved) was written in place after `f` ran."""
    clock = f._clock
    for i, x in enumerate(inputs):
        writes = x._writes
        if writes and writes[-1] > clock:
            _raise_modified(f, x, f"input {i}", clock)
    if f._save_outputs:
        for i, ref in enumerate(f._outputs):
            o = ref()
            if o is not None and o._writes and o._writes[-1] > clock:
                _raise_modified(f, o, f"output {i}", clock)


def _raise_modified(f: "Function", t: "Tensor", role: str, clock: int) -> None:
    writes = t._writes
    expected = sum(1 for stamp in writes if stamp <= clock)
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: tensor of shape {tuple(t.shape)} and dtype {t.dtype} ({role} of {f.name}) is at "
        f"version {len(writes)}; expected version {expected} instead. Hint: clone() the tensor before "
        "changing it in place, or change it before it is used.")
