"""minigan/ops/indexing.py: gather, scatter, scatter_add, index_select, take, masked_fill,
masked_select, nonzero against NumPy; gradcheck and gradgradcheck under hypothesis on every device;
repeated indices accumulate; torch's errors for bad dims, dtypes and shapes."""
import doctest

import numpy as np
import pytest
from conftest import arrays, make_tensor, shapes
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigan as mg
from minigan.ops import indexing
from minigan.testing import check_op


def _index(data, shape, high):
    """An int64 index array of `shape` with entries in [0, high) (repeats likely)."""
    return data.draw(hnp.arrays(np.int64, shape, elements=st.integers(0, high - 1)))


def _gather_setup(data, min_dims=1):
    x = data.draw(shapes(min_dims=min_dims).flatmap(arrays))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    d = dim % x.ndim
    # the index may be smaller than x outside dim and of any size along it
    ishape = tuple(data.draw(st.integers(1, 4)) if i == d else data.draw(st.integers(1, s))
                   for i, s in enumerate(x.shape))
    return x, dim, _index(data, ishape, x.shape[d])


def _crop(a, shape):
    return a[tuple(slice(0, n) for n in shape)]


@given(data=st.data())
def test_gather(device, data):
    x, dim, idx = _gather_setup(data)

    def ref(a):
        return np.take_along_axis(_crop(a, tuple(n if i != dim % a.ndim else a.shape[i]
                                                 for i, n in enumerate(idx.shape))), idx, axis=dim)
    check_op(lambda t: mg.gather(t, dim, mg.tensor(idx, device=device)), [x], ref, device)
    check_op(lambda t: t.gather(dim, mg.tensor(idx, device=device)), [x], ref, device, second_order=False)


def _scatter_ref(a, dim, idx, src, add):
    out = a.copy()
    key = list(np.indices(idx.shape, sparse=True))
    key[dim % a.ndim] = idx
    if add:
        np.add.at(out, tuple(key), _crop(src, idx.shape))
    else:
        out[tuple(key)] = _crop(src, idx.shape)
    return out


@given(data=st.data())
def test_scatter_add(device, data):
    x, dim, idx = _gather_setup(data)
    src = data.draw(arrays(tuple(n + data.draw(st.integers(0, 1)) for n in idx.shape)))
    check_op(lambda t, s: mg.scatter_add(t, dim, mg.tensor(idx, device=device), s), [x, src],
             lambda a, s: _scatter_ref(a, dim, idx, s, True), device)


@given(data=st.data())
def test_scatter_with_distinct_indices(device, data):
    x = data.draw(shapes(min_dims=1).flatmap(arrays))
    dim = data.draw(st.integers(0, x.ndim - 1))
    # a permutation along dim, cut short: every position written at most once, so the result is defined
    perm = data.draw(st.permutations(range(x.shape[dim])))
    k = data.draw(st.integers(1, x.shape[dim]))
    idx = np.broadcast_to(np.asarray(perm[:k]).reshape((1,) * dim + (k,) + (1,) * (x.ndim - dim - 1)),
                          x.shape[:dim] + (k,) + x.shape[dim + 1:]).copy()
    src = data.draw(arrays(idx.shape))
    check_op(lambda t, s: t.scatter(dim, mg.tensor(idx, device=device), s), [x, src],
             lambda a, s: _scatter_ref(a, dim, idx, s, False), device)
    check_op(lambda t: mg.scatter(t, dim, mg.tensor(idx, device=device), 0.5), [x],
             lambda a: _scatter_ref(a, dim, idx, np.full(idx.shape, 0.5), False), device, second_order=False)


@given(data=st.data())
def test_index_select_and_take(device, data):
    x = data.draw(shapes(min_dims=1).flatmap(arrays))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    idx = _index(data, (data.draw(st.integers(0, 4)),), x.shape[dim])
    check_op(lambda t: t.index_select(dim, mg.tensor(idx, device=device)), [x],
             lambda a: np.take(a, idx, axis=dim), device)
    flat = data.draw(hnp.arrays(np.int64, data.draw(shapes(max_dims=2)), elements=st.integers(-x.size, x.size - 1)))
    check_op(lambda t: mg.take(t, mg.tensor(flat, device=device)), [x], lambda a: a.reshape(-1)[flat], device)


@given(data=st.data())
def test_masked_fill_and_masked_select(device, data):
    x = data.draw(shapes().flatmap(arrays))
    # a mask that broadcasts to x's shape: each dimension kept or 1, leading ones maybe dropped
    mshape = tuple(data.draw(st.sampled_from([1, s])) for s in x.shape)[data.draw(st.integers(0, x.ndim)):]
    mask = data.draw(hnp.arrays(np.bool_, mshape))
    check_op(lambda t: t.masked_fill(mg.tensor(mask, device=device), -1.5), [x],
             lambda a: np.where(mask, -1.5, a), device)
    check_op(lambda t, v: mg.masked_fill(t, mg.tensor(mask, device=device), v), [x, np.array(0.25)],
             lambda a, v: np.where(mask, v, a), device)
    check_op(lambda t: t.masked_select(mg.tensor(mask, device=device)), [x],
             lambda a: np.broadcast_to(a, np.broadcast_shapes(a.shape, mask.shape))[
                 np.broadcast_to(mask, np.broadcast_shapes(a.shape, mask.shape))], device)


def test_masked_fill_in_place_inside_the_graph():
    x = make_tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y.masked_fill_(mg.tensor([True, False, True]), 0.0)
    assert y._version == 1
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 2, 0])


def test_scatter_add_in_place_and_scatter_in_place():
    x = mg.zeros(3)
    x.scatter_add_(0, mg.tensor([0, 0, 2]), mg.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.numpy(), [3, 0, 3])
    x.scatter_(0, mg.tensor([1]), 7.0)
    np.testing.assert_array_equal(x.numpy(), [3, 7, 3])


def test_repeated_indices_accumulate_their_gradients():
    x = make_tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    mg.gather(x, 1, mg.tensor([[2, 2, 0, 2]])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 0, 3]])
    x.grad = None
    x.index_select(1, mg.tensor([1, 1])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 2, 0]])
    x.grad = None
    mg.take(x, mg.tensor([[0, -3], [2, 2]])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 0, 2]])
    src = make_tensor([1.0, 2.0, 3.0], requires_grad=True)
    (mg.scatter_add(mg.zeros(2, dtype="float64"), 0, mg.tensor([1, 1, 0]), src) * make_tensor([10.0, 20.0])).sum() \
        .backward()
    np.testing.assert_array_equal(src.grad.numpy(), [20, 20, 10])


def test_nonzero(device):
    a = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    x = make_tensor(a, device)
    nz = x.nonzero()
    assert nz.dtype == np.int64 and nz.device == mg.Device(device)
    np.testing.assert_array_equal(nz.numpy(), np.argwhere(a))
    rows, cols = mg.nonzero(x, as_tuple=True)
    np.testing.assert_array_equal(rows.numpy(), [0, 1, 1])
    np.testing.assert_array_equal(cols.numpy(), [1, 0, 2])
    np.testing.assert_array_equal(x[rows, cols].numpy(), [1.5, 2.0, -1.0])
    assert mg.tensor(3.0).nonzero().shape == (1, 0) and mg.tensor(0.0).nonzero().shape == (0, 0)
    assert [t.numpy().tolist() for t in mg.tensor(3.0).nonzero(as_tuple=True)] == [[0]]


def test_index_outputs_stay_out_of_the_graph():
    x = make_tensor([[3.0, 1.0]], requires_grad=True)
    assert not x.nonzero().requires_grad


X = mg.tensor(np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("call, error, message", [
    (lambda: X.gather(5, mg.tensor([[0]])), IndexError,
     r"gather: Dimension out of range \(expected to be in range of \[-2, 1\], but got 5\)"),
    (lambda: X.gather(1, mg.tensor([[0.0]])), TypeError, "gather: expected an int64 or int32 tensor for index, "
                                                         "got float32"),
    (lambda: X.gather(1, mg.tensor([0])), RuntimeError, "gather: index tensor must have the same number of "
                                                        r"dimensions as input, got index \(1,\) and input \(2, 3\)"),
    (lambda: X.gather(0, mg.tensor([[0, 1, 0, 1]])), RuntimeError, r"gather: size of index \(1, 4\) exceeds"),
    (lambda: X.gather(1, mg.tensor([[3]])), IndexError, "gather: index 3 is out of bounds for dimension 1 with size 3"),
    (lambda: X.gather(1, mg.tensor([[-1]])), IndexError, "gather: index -1 is out of bounds"),
    (lambda: X.scatter(1, mg.tensor([[0]]), None), TypeError, "scatter: missing src"),
    (lambda: X.scatter_add(1, mg.tensor([[0, 1]]), mg.ones(1, 1)), RuntimeError,
     r"scatter_add: size of index \(1, 2\) exceeds the source's \(1, 1\)"),
    (lambda: X.index_select(0, mg.tensor([0.0])), TypeError, "index_select: expected an int64 or int32 tensor"),
    (lambda: X.index_select(0, mg.tensor([[0]])), IndexError, "index_select: index is supposed to be a vector"),
    (lambda: X.index_select(0, mg.tensor([2])), IndexError,
     "index_select: index 2 is out of bounds for dimension 0 with size 2"),
    (lambda: X.take(mg.tensor([7])), IndexError, "take: out of range: tried to access index 7 on a tensor of 6"),
    (lambda: X.masked_fill(mg.tensor([1, 0, 1]), 1.0), TypeError, "masked_fill: expected a bool tensor for mask, "
                                                                  "got int64"),
    (lambda: X.masked_fill(mg.tensor([[[True]]]), 1.0), RuntimeError,
     r"masked_fill: mask of shape \(1, 1, 1\) cannot be broadcast to input's shape \(2, 3\)"),
    (lambda: X.masked_fill(mg.tensor([True, False, True]), mg.ones(2)), RuntimeError,
     "masked_fill: value must be a number or a 0-d tensor"),
    (lambda: X.masked_select(mg.tensor([True, False])), RuntimeError, "masked_select: mask of shape"),
])
def test_errors_name_the_op_and_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_docstring_examples():
    result = doctest.testmod(indexing, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
