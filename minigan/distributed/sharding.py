"""Which rows of a global batch each rank takes, so N ranks see what one process sees.

One process with batch N*b draws a batch order (the loader's per-epoch permutation from
its seed) and a noise matrix; with N ranks every rank draws the same global ones from the
same seed and takes its own contiguous slice: rank r gets rows ``r*b:(r+1)*b``. The ranks
together then see exactly the images and noise one process sees at batch N*b::

    order = rng.permutation(len(dataset))[:global_batch]     # identical on every rank
    mine = shard(order, world.rank, world.size)              # (global_batch // N,)
    z = shard(global_noise, world.rank, world.size)          # rows of a (global_batch, nz) draw
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator

__all__ = ["shard", "shard_bounds", "local_batches", "sharded_draws", "draw_rows"]


def shard_bounds(length: int, rank: int, size: int) -> tuple[int, int]:
    """(start, stop) of rank `rank`'s contiguous share of `length` rows split over `size` ranks.

    Equal shares when `size` divides `length`; otherwise shares differ by at most one row
    (the last, short batch of an epoch).
    """
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"shard: size must be a positive int, got {size!r}")
    if not isinstance(rank, int) or not 0 <= rank < size:
        raise ValueError(f"shard: rank must be in 0..{size - 1}, got {rank!r}")
    return length * rank // size, length * (rank + 1) // size


def shard(rows, rank: int, size: int):
    """Rank `rank`'s contiguous slice of `rows` (any array, split along axis 0) out of `size` ranks.

    ``rows`` of shape (N*b, ...) gives shape (b, ...): rows ``rank*b:(rank+1)*b``, a view.
    """
    start, stop = shard_bounds(len(rows), rank, size)
    return rows[start:stop]


def local_batches(order, global_batch_size: int, rank: int, size: int, drop_last: bool = False):
    """Yield this rank's share of each global batch of the epoch order `order` (1-D indices).

    The global batches are ``order[i*B:(i+1)*B]`` for B = `global_batch_size`, as one
    process would take them; each is cut with `shard`. A last, short batch is kept unless
    `drop_last`, or unless it has fewer rows than ranks (a rank would get none).
    """
    if global_batch_size < size:
        raise ValueError(f"local_batches: global_batch_size {global_batch_size} is smaller than the "
                         f"{size} ranks; each rank needs at least one row")
    for start in range(0, len(order), global_batch_size):
        batch = order[start:start + global_batch_size]
        if len(batch) < global_batch_size and (drop_last or len(batch) < size):
            return
        yield shard(batch, rank, size)


# (rank, size) of the world whose global batch the per-sample draws of a step belong to; (0, 1): no sharding
_draw_world: tuple[int, int] = (0, 1)


@contextlib.contextmanager
def sharded_draws(rank: int, size: int) -> Iterator[None]:
    """Inside the block, `draw_rows` draws for the whole global batch and keeps rank `rank`'s rows.

    A data-parallel trainer wraps each step in it, so the noise, fake labels and penalty
    mixing weights of N ranks are the rows one process with batch N*b draws; the seeded
    stream then advances by the same amount on every rank, and a resumed run, on any
    number of ranks, continues the same stream.
    """
    global _draw_world
    shard_bounds(size, rank, size)   # validates rank and size
    previous, _draw_world = _draw_world, (int(rank), int(size))
    try:
        yield
    finally:
        _draw_world = previous


def draw_rows(draw: Callable[[int], Any], n: int):
    """``draw(n)``, per-sample random rows for this rank's `n` rows of the global batch.

    Outside `sharded_draws`: ``draw(n)``. Inside, with N ranks: ``shard(draw(n * N), rank, N)``,
    what one process drawing for the whole batch gives these rows::

        z = draw_rows(lambda m: minigan.randn(m, latent_dim), n)      # (n, latent_dim)
    """
    rank, size = _draw_world
    if size == 1:
        return draw(n)
    return shard(draw(n * size), rank, size)
