"""The memory-layout rule: which arrays may be feature-major ("batch-last"), and how an op asks for it.

Tensors keep PyTorch's logical shapes everywhere: (N, C, H, W) images, (N, F) features.
Their memory is one of two layouts:

- **C order**, the default.
- **feature-major** ("batch-last"): the array is a transposed view of a C-contiguous
  (C, H, W, N) or (F, N) block, the batch index innermost. At GAN sizes that makes every
  run a copy or an add walks N elements long (64-256) instead of W (7-28), so im2col,
  col2im and batch norm run 2-3x faster, and BLAS computes a Linear layer's product
  faster when its larger side (the features) is the rows.

Who may produce feature-major arrays: the convolutions (their output is a view of the
(C, H, W, N) product), Linear through ``gemm(any_layout=True)``, and the ops that keep
their input's layout (batch norm, pooling): activations and the gradients flowing back
through them. Never parameters, their gradients or optimiser state: those are C order,
because the optimiser's in-place passes and its flat chunks over threads need one order
(a transposed pass is ~6x slower).

Who reads them: elementwise ops and reductions at full speed in any layout (NumPy iterates
in memory order); batch norm in place, one contiguous row per channel; pooling, which
allocates its output in its input's layout; the next convolution, which reads a batch-last
input without a transpose. An op asks with the functions below::

    if layout.is_feature_major(x): ...                      # batch norm's channel rows
    out = layout.empty_like_layout(xp, x, shape)            # pooling's output
    block = layout.to_batch_last(x)                         # the (C, H, W, N) view of x
    if layout.same_flat_order(grad, param): ...             # flat chunks line up
    if layout.product_prefers_feature_major(m, n, xp): ...  # gemm's choice

Array-level (NumPy or CuPy), below the engine: it imports nothing from minigan.
"""
from __future__ import annotations

import numpy as np

__all__ = ["is_c_order", "is_feature_major", "to_batch_last", "from_batch_last", "empty_like_layout",
           "same_flat_order", "product_prefers_feature_major", "c_order_copy"]

# (1, 2, ..., nd-1, 0) and its inverse, by ndim: built once, read on every call
_TO_BATCH_LAST = {nd: tuple(range(1, nd)) + (0,) for nd in range(1, 9)}
_FROM_BATCH_LAST = {nd: (nd - 1,) + tuple(range(nd - 1)) for nd in range(1, 9)}


def _to_axes(nd: int) -> tuple:
    axes = _TO_BATCH_LAST.get(nd)
    return axes if axes is not None else tuple(range(1, nd)) + (0,)


def is_c_order(x) -> bool:
    """True for a C-contiguous array (the default layout)."""
    return x.flags.c_contiguous


def is_feature_major(x) -> bool:
    """True when `x` (N, ...) is stored as a C-contiguous (..., N) block and is not also in C order
    (a degenerate array, N == 1 or a single feature, is both: it counts as C order)."""
    if x.ndim < 2 or x.flags.c_contiguous:
        return False
    return x.transpose(_to_axes(x.ndim)).flags.c_contiguous


def to_batch_last(x):
    """The (C, H, W, N) / (F, N) view of an (N, C, H, W) / (N, F) array (no copy; C-contiguous exactly
    when `x` is stored batch-last)."""
    return x.transpose(_to_axes(x.ndim))


# Feature rows per piece of a feature-major -> C-order copy: a (128, N) tile of the block stays in cache
# while its columns are written out as 128-element runs of N output rows.
_TILE_ROWS = 128


def c_order_copy(x):
    """A C-contiguous copy of `x` (the same numbers; a new array it alone owns).

    A feature-major NumPy array is copied in tiles of 128 feature rows: NumPy's own copy of such a
    transposed view walks the output in order and so reads with a stride of a whole block row per
    element, 10-20x slower (a 64x64x14x14 float32 gradient: 8.7 ms vs 0.44 ms on one core).
    """
    if not (isinstance(x, np.ndarray) and is_feature_major(x)):
        return x.copy()
    n = x.shape[0]
    block = to_batch_last(x).reshape(-1, n)  # (R, N), C-contiguous: a view
    out = np.empty(x.shape, dtype=x.dtype)
    rows = out.reshape(n, -1)
    for r in range(0, block.shape[0], _TILE_ROWS):
        rows[:, r:r + _TILE_ROWS] = block[r:r + _TILE_ROWS].T
    return out


def from_batch_last(block):
    """The logical (N, C, H, W) / (N, F) view of a (C, H, W, N) / (F, N) block (no copy)."""
    nd = block.ndim
    axes = _FROM_BATCH_LAST.get(nd)
    return block.transpose(axes if axes is not None else (nd - 1,) + tuple(range(nd - 1)))


def empty_like_layout(xp, like, shape: tuple, fill: float | None = None):
    """A new array of logical `shape` and `like`'s dtype in `like`'s layout (feature-major stays
    feature-major): uninitialised, or filled with `fill`."""
    def make(s):
        return xp.empty(s, dtype=like.dtype) if fill is None else xp.full(s, fill, dtype=like.dtype)

    if is_feature_major(like):
        return from_batch_last(make(tuple(shape[1:]) + (shape[0],)))
    return make(shape)


def same_flat_order(*arrays) -> bool:
    """True when every array is C order, so the same flat element ranges of each line up (the
    optimiser's fused passes and `minigan.parallel.for_flat_chunks` cut them that way)."""
    for a in arrays:
        if not a.flags.c_contiguous:
            return False
    return True


def product_prefers_feature_major(m: int, n: int, xp, *, blas: bool = True) -> bool:
    """Whether an (M, N) product asked for with ``any_layout`` should come back feature-major.

    When the larger output side is N (a Linear layer's features at GAN batch sizes): OpenBLAS
    (2 cores, float32) runs it 15-40% faster computed as the transposed (N, M) product. Measured
    on NumPy only: cuBLAS keeps the plain call (``blas=False``: a broadcast multiply, any backend).
    """
    return n > m and (xp is np or not blas)
