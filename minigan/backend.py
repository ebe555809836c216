"""Array backends: NumPy on the CPU, CuPy on CUDA devices, behind one small interface.

The rule (from Chainer): the array module is picked from the data with
`get_array_module(*arrays)`, never from a global flag, so every op runs
unchanged on either backend. MINIGAN_CUPY_STANDIN=1 loads minigan/_cupy_standin in
place of CuPy: NumPy behind CuPy's rules, a testing tool that runs the CUDA paths without a GPU.
"""
from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import sys
from typing import Any

import numpy as np

_allocator_tuned = False


def tune_allocator() -> bool:
    """Let glibc reuse freed large arrays instead of returning them to the OS; True if tuned.

    By default glibc serves every allocation over ~128 KiB (nearly every activation)
    with a fresh mmap and unmaps it on free, so each temporary pays page faults on
    first touch: measured at 15-30% of a DCGAN training step on NumPy. Raising the
    mmap and trim thresholds keeps those pages in the heap for the next step (what
    a caching allocator does in other frameworks); peak RSS was unchanged in the
    benchmarks. It retunes the whole process, so a library import never does it: the
    `minigan` command and the benchmarks call it, and a script can too::

        import minigan
        minigan.backend.tune_allocator()   # before the training loop

    A no-op (False) off Linux/glibc or with MINIGAN_MALLOC_TUNING=0.
    """
    global _allocator_tuned
    if _allocator_tuned:
        return True
    if os.environ.get("MINIGAN_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        return False
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    ok = mallopt(m_mmap_threshold, 32 << 20)  # glibc's maximum on 64-bit
    ok &= mallopt(m_trim_threshold, 256 << 20)
    ok &= mallopt(m_top_pad, 16 << 20)
    _allocator_tuned = bool(ok)
    return _allocator_tuned


def allocator_tuned() -> bool:
    """Whether `tune_allocator` has retuned this process's malloc."""
    return _allocator_tuned

_cupy: Any = None
_cupy_error: BaseException | None = None
_cupy_checked = False
_gpu_count: int | None = None  # cached by require_cupy: the GPU count does not change in a process

INSTALL_HINT = (
    "install the CUDA extra: pip install 'minigan[cuda]' (CuPy wheel cupy-cuda12x, "
    "for CUDA 12.x drivers; see the README for other CUDA versions)"
)


class DeviceError(RuntimeError):
    """A device was asked for that cannot be used, or devices were mixed."""


STANDIN_ENV = "MINIGAN_CUPY_STANDIN"


def cupy_standin_requested() -> bool:
    """True when MINIGAN_CUPY_STANDIN=1 asks for the NumPy stand-in in place of CuPy (a testing tool)."""
    return os.environ.get(STANDIN_ENV, "") == "1"


def _load_cupy():
    """Import CuPy once (or its NumPy stand-in, when asked for); remember why it failed so the error can say so."""
    global _cupy, _cupy_error, _cupy_checked, _gpu_count
    if not _cupy_checked:
        _cupy_checked = True
        _gpu_count = None
        try:
            if cupy_standin_requested():
                # deferred like cupy itself: the stand-in is loaded only when asked for
                from . import _cupy_standin
                _cupy = _cupy_standin.install()
            else:
                _cupy = importlib.import_module("cupy")
        except Exception as exc:  # ImportError, or a broken CUDA install
            _cupy, _cupy_error = None, exc
    return _cupy


def cuda_status():
    """(the cupy module, None) when CuPy imports, else (None, why not): what `minigan info` reports."""
    cp = _load_cupy()
    return (cp, None) if cp is not None else (None, str(_cupy_error))


def cuda_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    cp = _load_cupy()
    if cp is None:
        return False
    try:
        return cp.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def require_cupy(index: int | None = None):
    """Return the cupy module or raise a DeviceError that says how to get it.

    With `index`, also check that GPU number `index` exists.
    """
    global _gpu_count
    cp = _load_cupy()
    if cp is None:
        raise DeviceError(f"CUDA requested but CuPy is not importable ({_cupy_error}); {INSTALL_HINT}") from None
    if _gpu_count is None:
        try:
            count = int(cp.cuda.runtime.getDeviceCount())
        except Exception as exc:
            raise DeviceError(f"CUDA requested but no usable GPU was found ({exc}); {INSTALL_HINT}") from None
        if count == 0:
            raise DeviceError(f"CUDA requested but no GPU is visible; {INSTALL_HINT}")
        _gpu_count = count
    if index is not None and index >= _gpu_count:
        raise DeviceError(f"device cuda:{index} requested but only {_gpu_count} GPU(s) are visible "
                          f"(cuda:0 to cuda:{_gpu_count - 1})")
    return cp


class Device:
    """A place arrays live: ``cpu`` or ``cuda:N``."""

    __slots__ = ("type", "index")

    def __init__(self, spec: "str | Device | None" = "cpu"):
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        if spec is None:
            spec = "cpu"
        if not isinstance(spec, str):
            raise DeviceError(f"device must be a string like 'cpu', 'cuda' or 'cuda:0', got {spec!r}")
        name = spec.strip().lower()
        if name == "cpu":
            self.type, self.index = "cpu", None
        elif name == "cuda" or name.startswith("cuda:"):
            index = 0
            if ":" in name:
                try:
                    index = int(name.split(":", 1)[1])
                except ValueError:
                    index = -1
                if index < 0:
                    raise DeviceError(
                        f"bad device {spec!r}: the index after 'cuda:' must be a non-negative integer")
            self.type, self.index = "cuda", index
        else:
            raise DeviceError(f"unknown device {spec!r}: use 'cpu', 'cuda' or 'cuda:N'")

    def __str__(self) -> str:
        return "cpu" if self.type == "cpu" else f"cuda:{self.index}"

    def __repr__(self) -> str:
        return f"device('{self}')"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = Device(other)
            except DeviceError:
                return False
        return isinstance(other, Device) and self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    @property
    def xp(self):
        """numpy for the CPU, cupy for a GPU (a DeviceError that says how to install CuPy if missing)."""
        return np if self.type == "cpu" else require_cupy(self.index)

    def scope(self):
        """A context manager making this the current CUDA device (nothing on the CPU)."""
        if self.type == "cpu":
            return contextlib.nullcontext()
        return require_cupy(self.index).cuda.Device(self.index)


CPU = Device("cpu")


def device_of(array) -> Device:
    """The device an array lives on (NumPy arrays and scalars are on the CPU).

    Anything whose ``.device`` has an integer ``.id`` (a CuPy array) is on ``cuda:<id>``.
    """
    if isinstance(array, np.ndarray) or np.isscalar(array):
        return CPU
    dev = getattr(array, "device", None)
    if dev is not None and hasattr(dev, "id"):
        d = Device.__new__(Device)
        d.type, d.index = "cuda", int(dev.id)
        return d
    return CPU


def get_array_module(*arrays):
    """numpy, or cupy if any argument is a CuPy array."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return np


def to_device(array, device: "str | Device"):
    """Return `array` as a NumPy (cpu) or CuPy (cuda:N) array, copying only when it must move."""
    device = Device(device)
    if device.type == "cpu":
        if isinstance(array, np.ndarray):
            return array
        if _cupy is not None and isinstance(array, _cupy.ndarray):
            return _cupy.asnumpy(array)
        return np.asarray(array)
    cp = require_cupy(device.index)
    if isinstance(array, cp.ndarray):
        if array.device.id == device.index:
            return array
        with cp.cuda.Device(device.index):
            return array.copy()  # CuPy copies onto the current device; asarray would keep the old one
    with cp.cuda.Device(device.index):
        return cp.asarray(array)


def as_numpy(array) -> np.ndarray:
    """A host NumPy array, whatever the backend."""
    return to_device(array, CPU)


def synchronize(device: "str | Device | None" = None) -> None:
    """Wait for queued GPU work; a no-op on the CPU. Time GPU code only after this."""
    device = Device(device if device is not None else ("cuda" if cuda_available() else "cpu"))
    if device.type == "cuda":
        require_cupy(device.index).cuda.Device(device.index).synchronize()


def device_count() -> int:
    cp = _load_cupy()
    if cp is None:
        return 0
    try:
        return int(cp.cuda.runtime.getDeviceCount())
    except Exception:
        return 0


# ---- random numbers: one seed drives both backends ---------------------------------
_np_rng = np.random.default_rng(0)
_seed: int | None = None


def manual_seed(seed: int) -> None:
    """Seed minigan's generators on every backend (and nothing global of NumPy's)."""
    global _np_rng, _seed
    _seed = int(seed)
    _np_rng = np.random.default_rng(_seed)
    cp = _load_cupy()
    if cp is not None and cuda_available():
        for index in range(device_count()):  # CuPy keeps one generator per GPU
            with cp.cuda.Device(index):
                cp.random.seed(_seed)


class _HostDrawnRandom:
    """A GPU's generator: the CPU generator's numbers, copied to the GPU.

    One stream for every device makes a seed give the same weights and dropout masks on
    the CPU and on a GPU, and the CPU state in `get_rng_state` is the whole RNG state of
    a run (CuPy's generators have no get_state to checkpoint). The price is a
    host-to-device copy per draw: initialisation and dropout masks, never a device-to-host read.
    """

    def __init__(self, device: Device):
        self.device = device

    def random(self, size=None, dtype=np.float64):
        return to_device(_np_rng.random(size, dtype=dtype), self.device)

    def standard_normal(self, size=None, dtype=np.float64):
        return to_device(_np_rng.standard_normal(size, dtype=dtype), self.device)


def rng_for(device: Device):
    """The generator to draw from for arrays on `device`: the CPU's, or the CPU's stream copied to a GPU."""
    if device.type == "cpu":
        return _np_rng
    require_cupy(device.index)
    return _HostDrawnRandom(device)


def initial_seed() -> int:
    """The seed minigan's generator started from: the last `manual_seed` (or `seed`), else 0."""
    return 0 if _seed is None else _seed


def seed() -> int:
    """Seed minigan's generators from fresh OS entropy and return that seed (torch.seed)."""
    new = int(np.random.SeedSequence().entropy) % (2 ** 63)
    manual_seed(new)
    return new


def get_rng_state() -> dict:
    """The state of the CPU generator, for checkpoints (bit-identical resume); GPUs draw from it too."""
    return {"bit_generator": _np_rng.bit_generator.state}


def set_rng_state(state: dict) -> None:
    _np_rng.bit_generator.state = state["bit_generator"]
