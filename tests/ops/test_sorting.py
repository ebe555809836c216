"""minigan/ops/sorting.py and cumulative.py: sort, argsort, topk, median, amax, amin, cumsum, cumprod,
prod against NumPy; gradients under hypothesis on every device (at zeros too for the products);
stable descending order, NaN placement, int64 indices and the named results."""
import doctest

import numpy as np
import pytest
from conftest import arrays, make_tensor, separated_arrays, shapes
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan import return_types
from minigan.ops import cumulative, sorting
from minigan.testing import check_op


@given(data=st.data())
def test_sort_and_argsort(device, data):
    x = data.draw(shapes(min_dims=1).flatmap(separated_arrays))  # distinct values: one right order
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    descending = data.draw(st.booleans())

    def ref(a):
        s = np.sort(a, axis=dim)
        return np.flip(s, axis=dim) if descending else s
    check_op(lambda t: mg.sort(t, dim, descending).values, [x], ref, device)
    result = make_tensor(x, device).sort(dim=dim, descending=descending)
    assert isinstance(result, return_types.sort) and result.indices.dtype == np.int64
    order = np.argsort(-x if descending else x, axis=dim)
    np.testing.assert_array_equal(result.indices.numpy(), order)
    np.testing.assert_array_equal(make_tensor(x, device).argsort(dim, descending).numpy(), order)


@given(data=st.data())
def test_topk(device, data):
    x = data.draw(shapes(min_dims=1).flatmap(separated_arrays))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    k = data.draw(st.integers(0, x.shape[dim]))
    largest = data.draw(st.booleans())

    def ref(a):
        s = np.flip(np.sort(a, axis=dim), axis=dim) if largest else np.sort(a, axis=dim)
        return np.take(s, np.arange(k), axis=dim)
    check_op(lambda t: t.topk(k, dim, largest).values, [x], ref, device)
    result = mg.topk(make_tensor(x, device), k, dim=dim, largest=largest)
    assert isinstance(result, return_types.topk) and result.indices.dtype == np.int64
    np.testing.assert_array_equal(np.take_along_axis(x, result.indices.numpy(), axis=dim), result.values.numpy())


def _lower_median(a, axis):
    s = np.sort(a, axis=axis)
    return np.take(s, (a.shape[axis] - 1) // 2, axis=axis)


@given(data=st.data())
def test_median(device, data):
    x = data.draw(shapes(min_dims=1).flatmap(separated_arrays))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    keep = data.draw(st.booleans())
    check_op(lambda t: t.median(), [x], lambda a: _lower_median(a.reshape(-1), 0), device)

    def ref(a):
        m = _lower_median(a, dim)
        return np.expand_dims(m, dim) if keep else m
    check_op(lambda t: mg.median(t, dim, keep).values, [x], ref, device)
    result = make_tensor(x, device).median(dim=dim, keepdim=keep)
    assert isinstance(result, return_types.median) and result.indices.dtype == np.int64


@given(data=st.data())
def test_amax_amin(device, data):
    x = data.draw(shapes().flatmap(separated_arrays))
    dims = data.draw(st.sampled_from([(), None]) | st.lists(st.integers(0, max(x.ndim - 1, 0)), min_size=1,
                                                            max_size=x.ndim or 1, unique=True).map(tuple))
    keep = data.draw(st.booleans())
    axis = None if not dims or x.ndim == 0 else dims
    kwargs = {} if dims is None else {"dim": dims}
    check_op(lambda t: t.amax(keepdim=keep, **kwargs), [x], lambda a: np.amax(a, axis=axis, keepdims=keep), device)
    check_op(lambda t: mg.amin(t, keepdim=keep, **kwargs), [x], lambda a: np.amin(a, axis=axis, keepdims=keep),
             device)


def test_ties_and_nan_follow_torch():
    x = make_tensor([2.0, 1.0, 2.0, float("nan"), 1.0])
    up, down = x.sort(), x.sort(descending=True, stable=True)
    np.testing.assert_array_equal(up.indices.numpy(), [1, 4, 0, 2, 3])
    np.testing.assert_array_equal(down.indices.numpy(), [3, 0, 2, 1, 4])  # NaN first, ties in input order
    ints = mg.tensor([3, 1, 3, 2])
    np.testing.assert_array_equal(ints.sort(descending=True).indices.numpy(), [0, 2, 3, 1])
    np.testing.assert_array_equal(mg.tensor([True, False, True]).argsort(descending=True).numpy(), [0, 2, 1])
    assert np.isnan(mg.median(x).item())
    t = make_tensor([1.0, 2.0, 2.0, 5.0], requires_grad=True)
    t.median().backward()  # median() shares the gradient among ties, as torch
    np.testing.assert_array_equal(t.grad.numpy(), [0, 0.5, 0.5, 0])
    t.grad = None
    t.amax().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [0, 0, 0, 1])


def test_sort_on_0d_and_topk_on_rows():
    s = mg.tensor(2.0).sort()
    assert s.values.shape == () and s.indices.item() == 0
    v, i = mg.tensor([[1.0, 5.0, 3.0], [4.0, 0.0, 2.0]]).topk(2)
    np.testing.assert_array_equal(v.numpy(), [[5, 3], [4, 2]])
    np.testing.assert_array_equal(i.numpy(), [[1, 2], [0, 2]])


# ---- cumulative ----------------------------------------------------------------------------------

@given(data=st.data())
def test_cumsum_cumprod(device, data):
    x = data.draw(shapes(min_dims=1).flatmap(separated_arrays))  # away from 0, where y / x is the gradient
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    check_op(lambda t: t.cumsum(dim), [x], lambda a: np.cumsum(a, axis=dim), device)
    check_op(lambda t: mg.cumprod(t, dim), [x], lambda a: np.cumprod(a, axis=dim), device)


@given(data=st.data())
def test_cumprod_and_prod_with_zeros(device, data):
    x = data.draw(shapes(min_dims=1).flatmap(separated_arrays))
    x = np.where(data.draw(arrays(x.shape)) > 0.5, 0.0, x)  # some zeros (maybe two on one line)
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    keep = data.draw(st.booleans())
    check_op(lambda t: mg.cumprod(t, dim), [x], lambda a: np.cumprod(a, axis=dim), device)
    check_op(lambda t: t.prod(dim, keep), [x], lambda a: np.prod(a, axis=dim, keepdims=keep), device)
    check_op(lambda t: mg.prod(t), [x], np.prod, device)


def test_prod_gradient_at_one_and_two_zeros():
    x = make_tensor([2.0, 0.0, 3.0], requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 6, 0])
    y = make_tensor([0.0, 0.0, 3.0], requires_grad=True)
    y.prod().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [0, 0, 0])


def test_integer_sums_and_products_are_int64():
    ints = mg.tensor(np.array([1, 2, 3], dtype=np.int32))
    assert ints.cumsum(0).dtype == np.int64 and ints.prod().dtype == np.int64
    assert mg.tensor([True, True]).cumsum(0).numpy().tolist() == [1, 2]
    assert mg.tensor([1.0, 2.0]).cumsum(0, dtype="float64").dtype == np.float64


X = mg.tensor(np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("call, error, message", [
    (lambda: X.sort(dim=2), IndexError, r"sort: Dimension out of range \(expected to be in range of \[-2, 1\], "
                                        r"but got 2\)"),
    (lambda: X.topk(4), RuntimeError, r"topk: selected index k out of range \(k=4 for dimension 1 of size 3"),
    (lambda: X.median(dim=4), IndexError, r"median: Dimension out of range"),
    (lambda: mg.zeros(0).median(), RuntimeError, "median: cannot compute the median of an empty tensor"),
    (lambda: X.amax(dim=(1, 1)), RuntimeError, "amax: dim 1 appears multiple times"),
    (lambda: X.cumsum(3), IndexError, r"cumsum: Dimension out of range \(expected to be in range of \[-2, 1\], "
                                      r"but got 3\)"),
    (lambda: X.prod(-3), IndexError, "prod: Dimension out of range"),
])
def test_errors_name_the_op_and_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("module", [sorting, cumulative])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
