"""shard: N ranks x b rows are exactly the N*b rows one process takes."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from minigan.distributed import local_batches, shard, shard_bounds


@given(size=st.integers(1, 8), per_rank=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_ranks_together_see_the_global_batch_and_noise(size, per_rank, seed):
    rng = np.random.default_rng(seed)
    order = rng.permutation(100)[:size * per_rank]          # the loader's global batch order
    noise = rng.standard_normal((size * per_rank, 5))        # the global noise draw
    pieces = [shard(order, r, size) for r in range(size)]
    assert all(len(p) == per_rank for p in pieces)
    np.testing.assert_array_equal(np.concatenate(pieces), order)
    for r in range(size):
        np.testing.assert_array_equal(shard(noise, r, size), noise[r * per_rank:(r + 1) * per_rank])


def test_uneven_batches_differ_by_at_most_one_row():
    sizes = [len(shard(np.arange(10), r, 4)) for r in range(4)]
    assert sizes == [2, 3, 2, 3] and sum(sizes) == 10
    assert shard_bounds(10, 3, 4) == (7, 10)


def test_local_batches_follow_one_process_order():
    order = np.random.default_rng(0).permutation(23)
    mine = [list(local_batches(order, 8, r, 2)) for r in range(2)]
    assert len(mine[0]) == 3  # 8 + 8 + the short 7
    for step, (a, b) in enumerate(zip(*mine)):
        np.testing.assert_array_equal(np.concatenate([a, b]), order[step * 8:(step + 1) * 8])
    assert len(list(local_batches(order, 8, 0, 2, drop_last=True))) == 2
    with pytest.raises(ValueError, match="global_batch_size 1 is smaller than the 2 ranks"):
        next(local_batches(order, 1, 0, 2))


@pytest.mark.parametrize("rank, size, match", [(2, 2, r"rank must be in 0\.\.1, got 2"),
                                               (0, 0, "size must be a positive int, got 0")])
def test_bad_rank_or_size(rank, size, match):
    with pytest.raises(ValueError, match=match):
        shard(np.arange(4), rank, size)


def test_image_loader_ranks_together_give_the_global_batches():
    from minigan.data import ImageLoader
    images = np.arange(40 * 4, dtype=np.uint8).reshape(40, 2, 2)
    labels = np.arange(40)
    whole = ImageLoader((images, labels), batch_size=8, seed=5)
    parts = [ImageLoader((images, labels), batch_size=8, seed=5, rank=r, world_size=2) for r in range(2)]
    assert len(parts[0]) == len(whole) == 5
    for mine, theirs, one in zip(parts[0].iter_epoch(1), parts[1].iter_epoch(1), whole.iter_epoch(1)):
        assert np.array_equal(np.concatenate([mine[1], theirs[1]]), one[1])
    with pytest.raises(ValueError, match="batch_size 9 .* not divisible by the 2 ranks"):
        ImageLoader((images, labels), batch_size=9, rank=0, world_size=2)
    with pytest.raises(ValueError, match=r"rank must be in 0..1, got 2"):
        ImageLoader((images, labels), batch_size=8, rank=2, world_size=2)


def test_draw_rows_draws_the_global_batch_and_keeps_this_ranks_rows():
    import minigan
    from minigan.distributed import draw_rows, sharded_draws
    minigan.manual_seed(3)
    whole = minigan.randn(6, 2).numpy()
    after_whole = minigan.randn(1).numpy()
    rows = []
    for rank in range(3):
        minigan.manual_seed(3)
        with sharded_draws(rank, 3):
            rows.append(draw_rows(lambda m: minigan.randn(m, 2), 2).numpy())
        assert np.array_equal(minigan.randn(1).numpy(), after_whole)   # the stream moved as one process's
    assert np.array_equal(np.concatenate(rows), whole)
    minigan.manual_seed(3)
    assert np.array_equal(draw_rows(lambda m: minigan.randn(m, 2), 6).numpy(), whole)   # outside: plain
