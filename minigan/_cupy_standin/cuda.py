"""The stand-in's ``cupy.cuda``: one pretend GPU, its streams, events and memory pools.

Nothing here touches hardware. The device says what it is in its name, so that
``minigan info`` run with MINIGAN_CUPY_STANDIN=1 cannot be mistaken for a GPU:

    >>> cuda.runtime.getDeviceProperties(0)["name"]
    b'CuPy stand-in on NumPy (MINIGAN_CUPY_STANDIN=1, no GPU)'
"""
from __future__ import annotations

import os
import time
import types

DEVICE_NAME = b"CuPy stand-in on NumPy (MINIGAN_CUPY_STANDIN=1, no GPU)"
# MINIGAN_CUPY_STANDIN_DEVICES=2 pretends to have two GPUs, to run the cuda:1 paths.
DEVICE_COUNT = int(os.environ.get("MINIGAN_CUPY_STANDIN_DEVICES", "1"))
_current = [0]  # the stack of current devices; the bottom is device 0


class CUDARuntimeError(RuntimeError):
    """What CuPy raises for a failed CUDA runtime call (here: a device that does not exist)."""


def _check(index: int) -> int:
    if not 0 <= index < DEVICE_COUNT:
        raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")
    return index


class Device:
    """``cupy.cuda.Device(i)``: a context manager making GPU i current; ``.synchronize()`` waits."""

    def __init__(self, device: "int | Device | None" = None):
        if isinstance(device, Device):
            device = device.id
        self.id = _current[-1] if device is None else _check(int(device))

    def __enter__(self) -> "Device":
        _current.append(self.id)
        return self

    def __exit__(self, *exc) -> None:
        _current.pop()

    def use(self) -> None:
        _current[0] = self.id

    def synchronize(self) -> None:
        """Nothing is queued on the stand-in: every call has finished when it returns."""

    @property
    def compute_capability(self) -> str:
        return "90"

    @property
    def mem_info(self) -> tuple[int, int]:
        return (16 << 30, 16 << 30)

    def __eq__(self, other) -> bool:
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<CUDA Device {self.id}>"


def _get_device_count() -> int:
    return DEVICE_COUNT


def _get_device_properties(index: int) -> dict:
    _check(index)
    return {"name": DEVICE_NAME, "totalGlobalMem": 16 << 30, "major": 9, "minor": 0,
            "multiProcessorCount": 1, "pciBusID": 0, "pciDeviceID": index}


runtime = types.SimpleNamespace(
    getDeviceCount=_get_device_count,
    getDevice=lambda: _current[-1],
    setDevice=lambda index: Device(index).use(),
    deviceSynchronize=lambda: None,
    runtimeGetVersion=lambda: 12040,
    driverGetVersion=lambda: 12040,
    getDeviceProperties=_get_device_properties,
    CUDARuntimeError=CUDARuntimeError,
)


def is_available() -> bool:
    return DEVICE_COUNT > 0


class Stream:
    """A CUDA stream: work on the stand-in is never queued, so waiting is immediate."""

    null: "Stream"

    def __init__(self, null: bool = False, non_blocking: bool = False, ptds: bool = False):
        self.ptr = 0 if null else id(self)
        self.device_id = _current[-1]

    def __enter__(self) -> "Stream":
        _streams.append(self)
        return self

    def __exit__(self, *exc) -> None:
        _streams.pop()

    def use(self) -> "Stream":
        _streams[0] = self
        return self

    def synchronize(self) -> None:
        """Nothing is ever queued on the stand-in."""

    def record(self, event: "Event | None" = None) -> "Event":
        event = event or Event()
        event.record(self)
        return event

    def wait_event(self, event: "Event") -> None:
        """Events on the stand-in are complete when recorded."""

    @property
    def done(self) -> bool:
        return True


Stream.null = Stream(null=True)
_streams = [Stream.null]


def get_current_stream(device_id: int = -1) -> Stream:
    return _streams[-1]


class Event:
    """A CUDA event: records the host clock, since every call has finished when it returns."""

    def __init__(self, block: bool = False, disable_timing: bool = False, interprocess: bool = False):
        self._time: float | None = None

    def record(self, stream: Stream | None = None) -> None:
        self._time = time.perf_counter()

    def synchronize(self) -> None:
        """Recorded events are complete on the stand-in."""

    @property
    def done(self) -> bool:
        return True


def get_elapsed_time(start_event: Event, end_event: Event) -> float:
    """Milliseconds between two recorded events."""
    if start_event._time is None or end_event._time is None:
        raise CUDARuntimeError("cudaErrorInvalidResourceHandle: an event was not recorded")
    return (end_event._time - start_event._time) * 1e3


class MemoryPool:
    """CuPy's memory pool API. NumPy owns the memory here, so the pool holds no blocks of its own."""

    def __init__(self, allocator=None):
        self._limit = 0

    def used_bytes(self) -> int:
        return 0

    def free_bytes(self) -> int:
        return 0

    def total_bytes(self) -> int:
        return 0

    def n_free_blocks(self) -> int:
        return 0

    def free_all_blocks(self, stream=None) -> None:
        """Nothing is cached: freed arrays go back to NumPy's allocator at once."""

    def set_limit(self, size: int | None = None, fraction: float | None = None) -> None:
        self._limit = int(size or 0)

    def get_limit(self) -> int:
        return self._limit

    def malloc(self, size: int):
        raise NotImplementedError("the CuPy stand-in does not hand out raw device memory")


class PinnedMemoryPool(MemoryPool):
    """CuPy's pinned (page-locked host) memory pool; nothing is pinned on the stand-in."""


def set_allocator(allocator=None) -> None:
    """Accepted and ignored: NumPy allocates the stand-in's arrays."""


def set_pinned_memory_allocator(allocator=None) -> None:
    """Accepted and ignored."""


class _MemoryHook:
    """``cupy.cuda.memory_hook.MemoryHook``: a context manager; the stand-in calls none of its hooks."""

    name = "MemoryHook"

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def malloc_preprocess(self, **kwargs) -> None: ...
    def malloc_postprocess(self, **kwargs) -> None: ...
    def free_preprocess(self, **kwargs) -> None: ...
    def free_postprocess(self, **kwargs) -> None: ...


memory_hook = types.ModuleType("cupy.cuda.memory_hook", "The stand-in's memory hooks (never called).")
memory_hook.MemoryHook = _MemoryHook



def current_device_id() -> int:
    return _current[-1]


class MemoryPointer:
    """What ``a.data`` is in CuPy: an address on a device."""

    def __init__(self, ptr: int, device_id: int):
        self.ptr, self.device_id, self.device = ptr, device_id, Device(device_id)
