"""minigan/workspace.py: large scratch arrays come from reused blocks, never one an array still uses."""
import numpy as np
import pytest

from minigan import workspace


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(workspace, "MIN_BYTES", 64)
    monkeypatch.setattr(workspace, "_blocks", [])


def test_small_arrays_are_plain_numpy(monkeypatch):
    monkeypatch.setattr(workspace, "_blocks", [])
    a = workspace.empty((4, 5), np.float32)
    assert a.shape == (4, 5) and a.dtype == np.float32 and a.flags.c_contiguous and a.flags.owndata
    assert workspace._blocks == []


def test_block_reused_only_after_every_view_is_gone(small_blocks):
    a = workspace.empty((8, 16), np.float32)
    assert a.shape == (8, 16) and a.dtype == np.float32 and a.flags.c_contiguous
    a[...] = 1.0
    view = a[2:4]  # keeps the block in use after `a` goes
    address = a.__array_interface__["data"][0]
    del a
    b = workspace.empty((8, 16), np.float32)
    assert b.__array_interface__["data"][0] != address  # a live view: a new block
    b[...] = 2.0
    np.testing.assert_array_equal(view, 1.0)  # untouched
    del view
    c = workspace.empty((16, 8), np.float32)  # same size, other shape: the first block again
    assert c.__array_interface__["data"][0] == address and c.shape == (16, 8)
    np.testing.assert_array_equal(b, 2.0)


def test_other_sizes_and_dtypes_get_their_own_blocks(small_blocks):
    a = workspace.empty((32,), np.float64)
    del a
    b = workspace.empty((32,), np.float32)  # 128 bytes, not 256: another block
    assert b.dtype == np.float32 and len(workspace._blocks) == 2


def test_cache_is_bounded_and_clear_releases_free_blocks(small_blocks, monkeypatch):
    monkeypatch.setattr(workspace, "MAX_BLOCKS", 2)
    first, second = workspace.empty((100,), np.float32), workspace.empty((100,), np.float32)
    third = workspace.empty((100,), np.float32)  # the cache is full: not cached
    assert len(workspace._blocks) == 2
    second[...], third[...] = 5.0, 3.0
    assert workspace.clear() == 0  # every cached block is in use
    del first
    assert workspace.clear() == 400 and len(workspace._blocks) == 1
    fresh = workspace.empty((100,), np.float32)  # the one kept block is still `second`'s
    fresh[...] = 7.0
    np.testing.assert_array_equal(second, 5.0)
    np.testing.assert_array_equal(third, 3.0)
