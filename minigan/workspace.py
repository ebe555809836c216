"""Reusable host memory for the convolutions' largest scratch arrays.

glibc serves blocks of up to 32 MB from its heap (minigan raises the mmap threshold to
that maximum, see `backend`), but anything larger is a fresh ``mmap`` every time: the
kernel then zero-fills every page on first touch. At batch 256 the DCGAN's im2col
columns and data-gradient columns are 51 MB each, nine per iteration, and the page
faults cost ~30% of copying them. So arrays of at least `MIN_BYTES` come from a few
cached blocks instead, each handed out again once no array uses it any more (NumPy
views keep their block alive, so "free" is a reference count, never a guess).

CuPy has its own memory pool: `empty` is ``cupy.empty`` there. `clear()` returns the
cached blocks to the system (like ``torch.cuda.empty_cache``).
"""
from __future__ import annotations

import sys

import numpy as np

__all__ = ["empty", "clear", "MIN_BYTES"]

MIN_BYTES = 32 << 20  # smaller blocks are reused by glibc's heap already
MAX_BLOCKS = 8        # at most this many blocks are kept (about 0.4 GB at DCGAN batch 256)

_blocks: list[np.ndarray] = []


def _refs(blocks: list, i: int) -> int:
    return sys.getrefcount(blocks[i])


def _calibrate() -> int:
    probe = [np.empty(1, np.uint8)]
    return _refs(probe, 0)


_FREE_REFS = _calibrate()  # the count a block has when only this module holds it


def empty(shape: tuple, dtype, xp=np):
    """``xp.empty(shape, dtype)`` (C order), from a reused block when it is large and on NumPy."""
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize
    for d in shape:
        nbytes *= int(d)
    if xp is not np or nbytes < MIN_BYTES:
        return xp.empty(shape, dtype=dtype)
    for i in range(len(_blocks)):
        if _blocks[i].nbytes == nbytes and _refs(_blocks, i) == _FREE_REFS:
            return _blocks[i].view(dtype).reshape(shape)
    block = np.empty(nbytes, np.uint8)
    if len(_blocks) < MAX_BLOCKS:
        _blocks.append(block)
    else:  # full: replace a free block if there is one, else hand out an uncached array
        for i in range(len(_blocks)):
            if _refs(_blocks, i) == _FREE_REFS:
                _blocks[i] = block
                break
    return block.view(dtype).reshape(shape)


def clear() -> int:
    """Drop the cached blocks no array uses; returns the bytes released."""
    freed = 0
    for i in reversed(range(len(_blocks))):
        if _refs(_blocks, i) == _FREE_REFS:
            freed += _blocks[i].nbytes
            del _blocks[i]
    return freed
