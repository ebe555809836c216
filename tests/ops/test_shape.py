"""minigan/ops/shape.py: shape ops against NumPy, gradcheck, gradgradcheck and linearity on random
shapes; indexing (basic, advanced, repeated indices); shape errors that name the op and shapes."""
import numpy as np
import pytest
from conftest import arrays, broadcast_pairs, make_tensor, shapes
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigan as mg
from minigan.testing import check_op


@given(data=st.data())
def test_reshape(device, data):
    shape = data.draw(shapes())
    x = data.draw(arrays(shape))
    size = x.size
    target = data.draw(st.sampled_from([(size,), (-1,), (1, size), (size, 1, 1), tuple(reversed(shape)), ()
                                        if size == 1 else (size,)]))
    check_op(lambda t: t.reshape(target), [x], lambda a: a.reshape(target), device)
    check_op(lambda t: mg.reshape(t, *target), [x], lambda a: a.reshape(target), device, second_order=False)


@given(data=st.data())
def test_transpose_and_permute(device, data):
    x = data.draw(shapes().flatmap(arrays))
    perm = data.draw(st.permutations(range(x.ndim)))
    check_op(lambda t: t.permute(*perm), [x], lambda a: a.transpose(perm), device)
    check_op(lambda t: t.T, [x], lambda a: a.T, device, second_order=False)
    if x.ndim >= 2:
        i, j = data.draw(st.integers(-x.ndim, x.ndim - 1)), data.draw(st.integers(-x.ndim, x.ndim - 1))
        check_op(lambda t: t.transpose(i, j), [x], lambda a: np.swapaxes(a, i, j), device, second_order=False)


@given(data=st.data())
def test_flatten(device, data):
    x = data.draw(shapes(min_dims=1).flatmap(arrays))
    start = data.draw(st.integers(0, x.ndim - 1))
    end = data.draw(st.integers(start, x.ndim - 1))

    def ref(a):
        return a.reshape(a.shape[:start] + (-1,) + a.shape[end + 1:])
    check_op(lambda t: mg.flatten(t, start, end), [x], ref, device)
    check_op(lambda t: t.flatten(), [x], lambda a: a.reshape(-1), device, second_order=False)


@given(data=st.data())
def test_broadcast_to_and_expand(device, data):
    shape, other = data.draw(broadcast_pairs())
    target = np.broadcast_shapes(shape, other)
    x = data.draw(arrays(shape))
    check_op(lambda t: mg.broadcast_to(t, target), [x], lambda a: np.broadcast_to(a, target), device)
    # expand: -1 keeps an existing dimension
    keep = tuple(-1 if i >= len(target) - len(shape) and shape[i - len(target) + len(shape)] == s else s
                 for i, s in enumerate(target))
    check_op(lambda t: t.expand(*keep), [x], lambda a: np.broadcast_to(a, target), device, second_order=False)


@given(data=st.data())
def test_sum_to(device, data):
    shape, other = data.draw(broadcast_pairs())
    big = np.broadcast_shapes(shape, other)
    x = data.draw(arrays(big))

    def ref(a):  # the adjoint of broadcasting `shape` up to `big`
        lead = a.ndim - len(shape)
        summed = a.sum(axis=tuple(range(lead)))
        return summed.sum(axis=tuple(i for i, s in enumerate(shape) if s == 1), keepdims=True).reshape(shape)
    check_op(lambda t: t.sum_to(shape), [x], ref, device)


@given(data=st.data())
def test_squeeze_unsqueeze(device, data):
    x = data.draw(shapes(max_side=2).flatmap(arrays))
    check_op(mg.squeeze, [x], np.squeeze, device)
    dim = data.draw(st.integers(-x.ndim - 1, x.ndim))
    check_op(lambda t: t.unsqueeze(dim), [x], lambda a: np.expand_dims(a, dim), device)
    if x.ndim:
        d = data.draw(st.integers(-x.ndim, x.ndim - 1))
        check_op(lambda t: t.squeeze(d), [x], lambda a: np.squeeze(a, d) if a.shape[d] == 1 else a, device,
                 second_order=False)


@st.composite
def concat_inputs(draw):
    base = draw(shapes(min_dims=1))
    axis = draw(st.integers(-len(base), len(base) - 1))
    count = draw(st.integers(1, 3))
    parts = []
    for _ in range(count):
        shape = list(base)
        shape[axis] = draw(st.integers(1, 3))
        parts.append(draw(arrays(tuple(shape))))
    return parts, axis


@given(inputs=concat_inputs())
def test_concat(device, inputs):
    parts, axis = inputs
    check_op(lambda *ts: mg.concat(ts, axis), parts, lambda *a: np.concatenate(a, axis), device)


@given(data=st.data())
def test_stack(device, data):
    shape = data.draw(shapes())
    parts = [data.draw(arrays(shape)) for _ in range(data.draw(st.integers(1, 3)))]
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check_op(lambda *ts: mg.stack(ts, axis), parts, lambda *a: np.stack(a, axis), device)


@given(data=st.data())
def test_split(device, data):
    x = data.draw(shapes(min_dims=1).flatmap(arrays))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[axis]
    chunk = data.draw(st.integers(1, n))
    bounds = list(range(chunk, n, chunk))
    check_op(lambda t: mg.split(t, chunk, axis), [x], lambda a: tuple(np.split(a, bounds, axis)), device)
    cuts = sorted(data.draw(st.sets(st.integers(1, n - 1)))) if n > 1 else []
    sizes = np.diff([0, *cuts, n]).tolist()  # a list of section sizes adding up to n
    check_op(lambda t: t.split(sizes, axis), [x], lambda a: tuple(np.split(a, cuts, axis)), device,
             second_order=False)


def test_split_with_unused_chunks_backpropagates_zeros(device):
    x = make_tensor(np.arange(6.0), device, requires_grad=True)
    first = mg.split(x, 2)[0]  # the other chunks are dropped at once
    (first * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3, 0, 0, 0, 0])


@given(data=st.data())
def test_pad(device, data):
    x = data.draw(shapes(min_dims=1).flatmap(arrays))
    widths = tuple(data.draw(st.tuples(st.integers(0, 2), st.integers(0, 2))) for _ in range(x.ndim))
    value = data.draw(st.sampled_from([0.0, -1.5]))
    check_op(lambda t: mg.pad(t, widths, value), [x], lambda a: np.pad(a, widths, constant_values=value), device)
    # PyTorch's flat form pads the last dimension first
    flat = widths[-1]
    check_op(lambda t: t.pad(flat), [x], lambda a: np.pad(a, ((0, 0),) * (a.ndim - 1) + (flat,)), device,
             second_order=False)


@st.composite
def basic_index(draw, shape):
    key = []
    for side in shape:
        kind = draw(st.sampled_from(["int", "slice", "full"]))
        if kind == "int":
            key.append(draw(st.integers(-side, side - 1)))
        elif kind == "slice":
            start = draw(st.integers(0, side - 1))
            key.append(slice(start, draw(st.integers(start + 1, side)), draw(st.sampled_from([1, 2]))))
        else:
            key.append(slice(None))
    if draw(st.booleans()):
        key.insert(draw(st.integers(0, len(key))), None)
    return tuple(key)


@given(data=st.data())
def test_getitem_basic(device, data):
    x = data.draw(shapes(min_dims=1).flatmap(arrays))
    key = data.draw(basic_index(x.shape))
    check_op(lambda t: t[key], [x], lambda a: a[key], device)


@given(data=st.data())
def test_getitem_advanced_with_repeated_indices(device, data):
    x = data.draw(shapes(min_dims=1).flatmap(arrays))
    n = x.shape[0]
    idx = np.array(data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=6)))  # repeats likely
    check_op(lambda t: t[idx], [x], lambda a: a[idx], device)
    check_op(lambda t: t[make_tensor(idx, device, dtype=np.int64)], [x], lambda a: a[idx], device,
             second_order=False)
    if x.ndim >= 2:
        m = x.shape[1]
        idx2 = np.array(data.draw(st.lists(st.integers(0, m - 1), min_size=len(idx), max_size=len(idx))))
        check_op(lambda t: t[idx, idx2], [x], lambda a: a[idx, idx2], device, second_order=False)
        check_op(lambda t: t[:, idx2], [x], lambda a: a[:, idx2], device, second_order=False)
    mask = data.draw(hnp.arrays(bool, x.shape))
    if mask.any():
        check_op(lambda t: t[mask], [x], lambda a: a[mask], device, second_order=False)


def test_getitem_duplicate_indices_accumulate(device):
    x = make_tensor([1.0, 2.0, 3.0], device, requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])
    y = make_tensor(np.ones((2, 3)), device, requires_grad=True)
    (y[[1, 1], [2, 2]] * make_tensor([2.0, 5.0], device)).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [[0, 0, 0], [0, 0, 7]])


# ---- shape errors name the op and the shapes -----------------------------------------------


def test_reshape_error_names_both_shapes(make):
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\).*into shape \(4, 2\)"):
        make(np.ones((2, 3))).reshape(4, 2)


def test_concat_error_names_both_shapes(make):
    with pytest.raises(ValueError, match=r"concat: shapes \(2, 3\) and \(2, 4\) differ outside dimension 0"):
        mg.concat([make(np.ones((2, 3))), make(np.ones((2, 4)))])
    with pytest.raises(ValueError, match=r"stack: .*\(2,\) and \(3,\)"):
        mg.stack([make(np.ones(2)), make(np.ones(3))])


def test_other_shape_errors(make):
    x = make(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"broadcast_to: cannot broadcast shape \(2, 3\) to \(4, 3\)"):
        mg.broadcast_to(x, (4, 3))
    with pytest.raises(ValueError, match=r"expand"):
        make(np.ones(3)).expand(-1, 3)
    with pytest.raises(ValueError, match=r"split: sections \[1, 1\] do not add up to 3"):
        mg.split(x, [1, 1], dim=1)
    with pytest.raises(ValueError, match=r"permute: axes \(0,\)"):
        x.permute(0)
    with pytest.raises(ValueError, match=r"transpose: axis 2 is out of range"):
        x.transpose(0, 2)
    with pytest.raises(IndexError, match=r"getitem: .*shape \(2, 3\)"):
        x[5]
    with pytest.raises(ValueError, match=r"pad: "):
        mg.pad(x, ((1, 1),))
