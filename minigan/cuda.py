"""`minigan.cuda`: is a GPU usable, how many, and wait for it (PyTorch's names)."""
from __future__ import annotations

from .backend import cuda_available, device_count as _device_count, synchronize as _synchronize


def is_available() -> bool:
    """True when CuPy is installed and sees a GPU; never raises."""
    return cuda_available()


def device_count() -> int:
    return _device_count()


def synchronize(device: str | None = None) -> None:
    """Block until queued GPU work is done: call before reading a timer."""
    _synchronize(device or "cuda")
