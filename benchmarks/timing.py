"""Timing that can be trusted: warm-up calls, then per-call samples with `perf_counter`.

Each sample is one call, bracketed by the backend's synchronise (a no-op on the CPU; on a
GPU the clock is read only once queued kernels have finished). We report the median and
the interquartile range: the median is robust to the odd slow call (a GC pause, another
process), and the IQR says how steady the samples were.
"""
from __future__ import annotations

import gc
import statistics
import time
from typing import Callable


def quantiles(samples: list[float]) -> tuple[float, float, float]:
    """(q1, median, q3) of the samples; with one sample all three are that sample."""
    if len(samples) == 1:
        return samples[0], samples[0], samples[0]
    q1, q2, q3 = statistics.quantiles(samples, n=4, method="inclusive")
    return q1, q2, q3


def measure(fn: Callable[[], object], sync: Callable[[], None], *, warmup: int, repeat: int,
            max_seconds: float | None = None, min_repeat: int = 3) -> dict:
    """Time `fn`: `warmup` untimed calls, then up to `repeat` timed calls.

    `max_seconds` caps the time spent sampling (but at least `min_repeat` samples are
    taken), so a slow backend does not stretch the whole run. Returns seconds.
    """
    for _ in range(warmup):
        fn()
    sync()
    samples: list[float] = []
    # Collect leftovers from set-up now; the garbage collector stays on while timing,
    # since collecting a framework's reference cycles is part of what it costs.
    gc.collect()
    started = time.perf_counter()
    for i in range(repeat):
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        samples.append(time.perf_counter() - t0)
        if (max_seconds is not None and i + 1 >= min(min_repeat, repeat)
                and time.perf_counter() - started > max_seconds):
            break
    q1, med, q3 = quantiles(samples)
    return {"median_s": med, "iqr_s": q3 - q1, "q1_s": q1, "q3_s": q3, "min_s": min(samples),
            "n": len(samples), "warmup": warmup, "samples_s": [round(x, 7) for x in samples]}
