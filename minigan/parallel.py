"""Splitting memory-bound NumPy loops over CPU threads.

NumPy releases the GIL inside copies and ufunc loops, so the data movement around
the GEMMs (col2im, batch-last transposes) and the optimiser's in-place passes can use
the cores that OpenBLAS uses for the GEMMs themselves. CuPy arrays always run in one
call (the GPU is already parallel). ``MINIGAN_NUM_THREADS=1`` turns threading off.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence

import numpy as np

from . import layout
from .launch import threads_per_rank

__all__ = ["cpu_threads", "for_channel_blocks", "for_flat_chunks", "for_elementwise", "PARALLEL_MIN_ELEMENTS"]

PARALLEL_MIN_ELEMENTS = 1 << 18  # below ~1 MB the thread hand-off costs more than it saves
_CHUNK_ELEMENTS = 1 << 18        # 1 MB of float32: measured best for Adam on 2 cores (64K chunks lose to the call overhead)
_CACHE_ELEMENTS = 1 << 16        # one thread: Adam's 12 passes in 64K-element blocks, 5.2 -> 3.5 ms per 2 M parameters
_BLOCK_ELEMENTS = 1 << 17        # elementwise chains: 512 KB of float32 per array (measured best of 32K-1M, 1 thread)

_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def cpu_threads() -> int:
    """Threads to use: ``MINIGAN_NUM_THREADS`` if set, else the usable cores (at most 8), divided by the ranks
    on this node under mpiexec."""
    env = os.environ.get("MINIGAN_NUM_THREADS", "").strip()
    if env.isdigit():
        return max(1, int(env))
    return min(threads_per_rank(), 8)


def _forget_pool() -> None:
    global _pool, _pool_size
    _pool, _pool_size = None, 0  # a forked child has no pool threads: build a new pool on first use


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _run(tasks: Sequence[Callable[[], None]]) -> None:
    """Run the tasks, the last one on the calling thread; re-raise the first failure."""
    global _pool, _pool_size
    if len(tasks) == 1:
        tasks[0]()
        return
    if _pool is None or _pool_size < len(tasks) - 1:
        _pool, _pool_size = ThreadPoolExecutor(max_workers=len(tasks) - 1,
                                               thread_name_prefix="minigan"), len(tasks) - 1
    futures = [_pool.submit(t) for t in tasks[:-1]]
    tasks[-1]()
    for f in futures:
        f.result()


def for_channel_blocks(work: Callable[[int, int], None], channels: int, elements: int, xp) -> None:
    """Call ``work(c0, c1)`` over channel ranges covering [0, channels): in parallel on NumPy
    when the array (`elements` in all) is large, else in one call. `work` must only touch
    its own channels."""
    parts = min(cpu_threads(), channels) if xp is np and elements >= PARALLEL_MIN_ELEMENTS else 1
    bounds = [channels * k // parts for k in range(parts + 1)]
    _run([lambda lo=bounds[k], hi=bounds[k + 1]: work(lo, hi) for k in range(parts)])


def _in_cache_blocks(work: Callable[..., None], arrays: Sequence, xp) -> None:
    """``work(*arrays)`` block by block of `_CACHE_ELEMENTS` (C-order NumPy arrays), so that each
    pass of an elementwise chain reads the previous pass's result from cache, not from memory."""
    n = int(arrays[0].size)
    if xp is not np or n <= _CACHE_ELEMENTS or not layout.same_flat_order(*arrays):
        work(*arrays)
        return
    flat = [a.reshape(-1) for a in arrays]
    for s in range(0, n, _CACHE_ELEMENTS):
        work(*[a[s:s + _CACHE_ELEMENTS] for a in flat])


def for_flat_chunks(work: Callable[..., None], groups: Sequence[Sequence], xp=np) -> None:
    """Call ``work(*arrays)`` for every tuple of same-shaped arrays in `groups`, in place.

    On NumPy with several threads and enough data, a tuple whose arrays are all
    C-contiguous is cut into flat chunks (the same element ranges of each array), and
    the pieces are shared out over the threads by size. With one thread each array is walked in
    cache-sized blocks instead. `work` must be elementwise.
    """
    total = sum(int(g[0].size) for g in groups)
    threads = cpu_threads() if xp is np else 1
    if threads <= 1 or total < PARALLEL_MIN_ELEMENTS:
        for g in groups:
            _in_cache_blocks(work, g, xp)
        return
    pieces: list[tuple[int, tuple]] = []
    for g in groups:
        n = int(g[0].size)
        if n > _CHUNK_ELEMENTS and layout.same_flat_order(*g):
            flat = [a.reshape(-1) for a in g]
            pieces += [(min(_CHUNK_ELEMENTS, n - s), tuple(a[s:s + _CHUNK_ELEMENTS] for a in flat))
                       for s in range(0, n, _CHUNK_ELEMENTS)]
        else:
            pieces.append((n, tuple(g)))
    shares: list[list[tuple]] = [[] for _ in range(threads)]
    loads = [0] * threads
    for n, arrays in sorted(pieces, key=lambda p: -p[0]):  # largest first, onto the least-loaded thread
        k = loads.index(min(loads))
        shares[k].append(arrays)
        loads[k] += n

    def run_share(share):  # the 1 MB pieces themselves: finer cache blocks lose on 2 threads (1.37 -> 1.71 ms, DCGAN Adam)
        for arrays in share:
            work(*arrays)

    _run([lambda s=s: run_share(s) for s in shares if s])


def _memory_order(a):
    """`a` as a flat view in memory order when it is C order or feature-major, else None."""
    if a.flags.c_contiguous:
        return a.reshape(-1)
    if layout.is_feature_major(a):
        return layout.to_batch_last(a).reshape(-1)
    return None


def for_elementwise(work: Callable[..., None], arrays: Sequence, xp=np) -> None:
    """Call ``work(*pieces)`` on the same element ranges of same-shaped `arrays` (inputs and outputs).

    On NumPy, when every array is laid out alike (all C order or all feature-major), the
    flat memory order is cut into one contiguous range per thread (for large arrays) and
    each range is walked in blocks of `_BLOCK_ELEMENTS`, so a chain of ufuncs in `work`
    runs on cache-resident data: one pass over memory instead of one per ufunc. Any
    other case is one ``work(*arrays)`` call. `work` must be elementwise (the results
    are then the same to the bit however the arrays are cut)::

        for_elementwise(lambda x, y: np.maximum(x, 0, out=y), [x, y])
    """
    if xp is not np or arrays[0].size <= _BLOCK_ELEMENTS:  # one block on one thread: no cutting to do
        work(*arrays)
        return
    flats = [_memory_order(a) for a in arrays]
    if (any(f is None for f in flats) or len({a.flags.c_contiguous for a in arrays}) > 1
            or len({a.shape for a in arrays}) > 1):
        work(*arrays)
        return
    n = flats[0].size
    parts = cpu_threads() if n >= PARALLEL_MIN_ELEMENTS else 1
    bounds = [n * k // parts for k in range(parts + 1)]

    def walk(lo, hi):
        for s in range(lo, hi, _BLOCK_ELEMENTS):
            e = min(s + _BLOCK_ELEMENTS, hi)
            work(*[f[s:e] for f in flats])

    # n > _BLOCK_ELEMENTS > parts: every range is non-empty
    _run([lambda lo=bounds[k], hi=bounds[k + 1]: walk(lo, hi) for k in range(parts)])
