"""minigan/ops/shape.py getitem with index tensors: int64/int32 (advanced, repeated indices
accumulate in backward), bool and uint8 masks, and float index tensors refused as in PyTorch."""
import numpy as np
import pytest
from conftest import arrays, make_tensor, shapes
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan.testing import check_op


@given(data=st.data())
def test_integer_index_tensors_with_repeats(device, data):
    x = data.draw(shapes(min_dims=1).filter(lambda s: s[0] > 0).flatmap(arrays))
    index = np.array(data.draw(st.lists(st.integers(-x.shape[0], x.shape[0] - 1), min_size=1, max_size=5)))
    dtype = data.draw(st.sampled_from([np.int64, np.int32]))
    check_op(lambda t: t[make_tensor(index, device, dtype=dtype)], [x], lambda a: a[index], device)
    if x.ndim > 1:
        other = index % x.shape[1]
        check_op(lambda t: t[make_tensor(index, device, dtype=np.int64), make_tensor(other, device, dtype=np.int64)],
                 [x], lambda a: a[index, other], device)
        check_op(lambda t: t[:, make_tensor(other, device, dtype=np.int64)], [x], lambda a: a[:, other], device)


@given(data=st.data())
def test_bool_mask_tensors(device, data):
    x = data.draw(shapes(min_dims=1).flatmap(arrays))
    mask = np.asarray(data.draw(st.lists(st.booleans(), min_size=x.size, max_size=x.size))).reshape(x.shape)
    check_op(lambda t: t[make_tensor(mask, device, dtype=np.bool_)], [x], lambda a: a[mask], device)
    rows = mask.reshape(x.shape[0], -1).any(axis=1)
    check_op(lambda t: t[make_tensor(rows, device, dtype=np.bool_)], [x], lambda a: a[rows], device)


def test_uint8_index_is_a_mask_and_repeats_accumulate(device):
    x = make_tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], device, requires_grad=True)
    np.testing.assert_array_equal(x[make_tensor([1, 0, 1], device, dtype=np.uint8)].numpy(), [[1, 2], [5, 6]])
    x[make_tensor([0, 0, 2, 0], device, dtype=np.int64)].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[3, 3], [0, 0], [1, 1]])
    assert x[[]].shape == (0, 2)


def test_float_index_tensors_raise_index_error(device):
    x = make_tensor([1.0, 2.0], device)
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        x[make_tensor([0.0], device)]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        x[mg.tensor([0.0])] = 1.0
