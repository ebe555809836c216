"""Device-to-host reads of the stand-in, counted: the rule a training step is held to.

Every read (``.get()``, ``float()``, ``int()``, ``bool()``, ``.item()``, ``.tolist()``,
``asnumpy``, printing, pickling) is one transfer, and a GPU sync on real CuPy:

    >>> with count_transfers() as seen:
    ...     value = float(cupy.ones(3).sum())
    >>> seen.count, seen.kinds["float"]
    (1, 1)
"""
from __future__ import annotations

import contextlib
import os
import sys
from collections import Counter
from typing import Iterator

class Transfers:
    """Device-to-host reads seen while a `count_transfers()` block ran: kinds and call sites."""

    def __init__(self) -> None:
        self.count = 0
        self.kinds: Counter = Counter()
        self.sites: list[str] = []

    def record(self, kind: str, site: str) -> None:
        self.count += 1
        self.kinds[kind] += 1
        self.sites.append(f"{kind} at {site}")

    def __repr__(self) -> str:
        return f"Transfers(count={self.count}, kinds={dict(self.kinds)})"


TOTAL = Transfers()  # every transfer since the stand-in was imported
_active: list[Transfers] = []


def _caller_site() -> str:
    """The first frame outside the stand-in, NumPy and minigan's backend (whose as_numpy/to_device
    only carry a read out), to say where a transfer came from."""
    frame = sys._getframe(2)
    while frame is not None and any(part in frame.f_code.co_filename for part in _PASS_THROUGH):
        frame = frame.f_back
    if frame is None:
        return "?"
    return f"{frame.f_code.co_filename}:{frame.f_lineno} ({frame.f_code.co_name})"


_PASS_THROUGH = ("_cupy_standin", f"{os.sep}numpy{os.sep}", f"minigan{os.sep}backend.py")


def _transfer(kind: str) -> None:
    site = _caller_site()
    TOTAL.record(kind, site)
    for t in _active:
        t.record(kind, site)


@contextlib.contextmanager
def count_transfers() -> Iterator[Transfers]:
    """Count the device-to-host transfers made inside the block (a test asserts on ``.count``)."""
    seen = Transfers()
    _active.append(seen)
    try:
        yield seen
    finally:
        _active.remove(seen)
