"""What the numbers were measured on: CPU, GPU, library versions and thread counts."""
from __future__ import annotations

import os
import platform
import sys

THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def total_memory_bytes() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def numpy_blas() -> dict:
    import numpy as np
    info: dict = {"name": None, "version": None}
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info = {"name": deps.get("name"), "version": deps.get("version"),
                "config": deps.get("openblas configuration")}
    except Exception:  # older NumPy: no mode="dicts"
        pass
    info["threads"] = openblas_threads()
    return info


def openblas_threads() -> int | None:
    """The thread count NumPy's OpenBLAS is using, read from the loaded library itself."""
    from minigan.launch import openblas_function, openblas_libraries
    for library in openblas_libraries():
        getter = openblas_function(library, "get_num_threads")
        if getter is not None:
            return int(getter())
    return None


def cupy_info() -> dict | None:
    try:
        import cupy as cp
    except Exception:
        return None
    info: dict = {"version": cp.__version__}
    try:
        count = cp.cuda.runtime.getDeviceCount()
        info["devices"] = count
        if count:
            props = cp.cuda.runtime.getDeviceProperties(0)
            name = props["name"]
            info["device_name"] = name.decode() if isinstance(name, bytes) else str(name)
            info["device_memory_bytes"] = int(props.get("totalGlobalMem", 0))
            info["cuda_runtime"] = cp.cuda.runtime.runtimeGetVersion()
            info["cuda_driver"] = cp.cuda.runtime.driverGetVersion()
    except Exception as exc:
        info["error"] = str(exc)
    return info


def torch_info() -> dict | None:
    try:
        import torch
    except Exception:
        return None
    info: dict = {"version": torch.__version__, "threads": torch.get_num_threads(),
                  "interop_threads": torch.get_num_interop_threads(),
                  "cuda_available": torch.cuda.is_available()}
    try:
        info["parallel"] = torch.__config__.parallel_info().splitlines()[:6]
    except Exception:
        pass
    if torch.cuda.is_available():
        info["cuda"] = torch.version.cuda
        info["device_name"] = torch.cuda.get_device_name(0)
    return info


def load_average() -> list[float] | None:
    """1, 5 and 15-minute load averages: above ~0.5 on an idle box means something else ran
    during the benchmark, and multi-threaded BLAS/OpenMP timings suffer badly from that."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def _busy_jiffies() -> tuple[float, float] | None:
    """(busy, total) CPU time of the whole machine so far, in seconds, from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [float(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    total = sum(fields[:8])
    return (total - idle) / hz, total / hz


def _own_cpu_seconds() -> float:
    import resource
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class ForeignLoad:
    """How much CPU other processes used while we measured: machine busy time minus our own
    (children included), as a fraction of all cores over the wall time. Near 0 on an idle box;
    0.5 on 2 cores means another process held a whole core and our timings are suspect."""

    def __init__(self):
        self.start = _busy_jiffies()
        self.own = _own_cpu_seconds()
        self.cores = os.cpu_count() or 1

    def fraction(self) -> float | None:
        end = _busy_jiffies()
        if self.start is None or end is None:
            return None
        busy = end[0] - self.start[0]
        total = end[1] - self.start[1]
        if total <= 0:
            return None
        foreign = busy - (_own_cpu_seconds() - self.own)
        return round(max(0.0, foreign) / total, 3)


def wait_until_idle(max_wait_s: float, threshold: float = 0.1, window_s: float = 2.0, log=print) -> float | None:
    """Wait (up to max_wait_s) until other processes use under `threshold` of the CPU over a
    `window_s` window; returns the last measured fraction."""
    import time
    deadline = time.time() + max_wait_s
    frac = None
    while True:
        probe = ForeignLoad()
        time.sleep(window_s)
        frac = probe.fraction()
        if frac is None or frac < threshold or time.time() >= deadline:
            return frac
        log(f"waiting for an idle CPU: other processes use {frac:.0%} of it")


def describe() -> dict:
    """Everything the JSON records about the machine and the software on it."""
    import numpy as np
    import minigan
    return {
        "machine": {
            "cpu_model": cpu_model(),
            "logical_cores": os.cpu_count(),
            "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "memory_bytes": total_memory_bytes(),
            "platform": platform.platform(),
            "load_average_at_start": load_average(),
        },
        "versions": {
            "python": sys.version.split()[0],
            "minigan": getattr(minigan, "__version__", None),
            "numpy": np.__version__,
            "blas": numpy_blas(),
            "cupy": cupy_info(),
            "torch": torch_info(),
        },
        "threads": {
            "numpy_blas": openblas_threads(),
            "torch": (torch_info() or {}).get("threads"),
            "env": {k: os.environ.get(k) for k in THREAD_ENV},
        },
    }
