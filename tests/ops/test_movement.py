"""minigan/ops/movement.py: repeat, tile, repeat_interleave, chunk, unbind, flip, roll, movedim,
swapaxes, narrow, unflatten, the *_as forms, contiguous, vstack/hstack/dstack against NumPy, with
gradients under hypothesis on every device, and torch's errors."""
import doctest

import numpy as np
import pytest
from conftest import arrays, make_tensor, shapes
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigan as mg
from minigan.ops import movement
from minigan.testing import check_op


@given(data=st.data())
def test_repeat_and_tile(device, data):
    x = data.draw(shapes().flatmap(arrays))
    extra = data.draw(st.integers(0, 1))
    reps = tuple(data.draw(st.integers(1, 3)) for _ in range(x.ndim + extra))
    check_op(lambda t: t.repeat(*reps), [x], lambda a: np.tile(a, reps), device)
    short = reps[:data.draw(st.integers(0, len(reps)))]
    check_op(lambda t: mg.tile(t, short), [x], lambda a: np.tile(a, short), device, second_order=False)


@given(data=st.data())
def test_repeat_interleave(device, data):
    x = data.draw(shapes(min_dims=1).flatmap(arrays))
    dim = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1))
    r = data.draw(st.integers(0, 3))
    check_op(lambda t: t.repeat_interleave(r, dim), [x], lambda a: np.repeat(a, r, axis=dim), device)
    n = x.size if dim is None else x.shape[dim]
    counts = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, 3)))
    check_op(lambda t: mg.repeat_interleave(t, mg.tensor(counts, device=device), dim), [x],
             lambda a: np.repeat(a, counts, axis=dim), device)


@given(data=st.data())
def test_chunk_and_unbind(device, data):
    x = data.draw(shapes(min_dims=1, max_side=4).flatmap(arrays))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    chunks = data.draw(st.integers(1, 4))
    n = x.shape[dim]
    step = -(-n // chunks)
    bounds = list(range(step, n, step))
    check_op(lambda t: t.chunk(chunks, dim), [x], lambda a: tuple(np.split(a, bounds, axis=dim)), device)
    check_op(lambda t: mg.unbind(t, dim), [x], lambda a: tuple(np.moveaxis(a, dim, 0)), device)


@given(data=st.data())
def test_flip_and_roll(device, data):
    x = data.draw(shapes(min_dims=1).flatmap(arrays))
    dims = data.draw(st.lists(st.integers(0, x.ndim - 1), unique=True, max_size=x.ndim).map(tuple))
    check_op(lambda t: t.flip(dims), [x], lambda a: np.flip(a, dims), device)
    shifts = tuple(data.draw(st.integers(-4, 4)) for _ in dims)
    if dims:
        check_op(lambda t: mg.roll(t, shifts, dims), [x], lambda a: np.roll(a, shifts, dims), device)
    s = data.draw(st.integers(-5, 5))
    check_op(lambda t: t.roll(s), [x], lambda a: np.roll(a, s), device)


@given(data=st.data())
def test_movedim_swapaxes_narrow_unflatten(device, data):
    x = data.draw(shapes(min_dims=1).flatmap(arrays))
    n = x.ndim
    src = data.draw(st.lists(st.integers(-n, n - 1), unique_by=lambda d: d % n, min_size=1, max_size=n))
    dst = data.draw(st.lists(st.integers(0, n - 1), unique=True, min_size=len(src), max_size=len(src)))
    check_op(lambda t: t.movedim(src, dst), [x], lambda a: np.moveaxis(a, src, dst), device)
    i, j = data.draw(st.integers(-n, n - 1)), data.draw(st.integers(-n, n - 1))
    check_op(lambda t: mg.swapaxes(t, i, j), [x], lambda a: np.swapaxes(a, i, j), device, second_order=False)
    check_op(lambda t: t.swapdims(i, j), [x], lambda a: np.swapaxes(a, i, j), device, second_order=False)
    size = x.shape[i]
    start = data.draw(st.integers(-size, size - 1))
    length = data.draw(st.integers(0, size - start % size))
    check_op(lambda t: t.narrow(i, start, length), [x],
             lambda a: np.take(a, np.arange(start % size, start % size + length), axis=i), device)
    split = data.draw(st.sampled_from([(size, 1), (1, -1), (-1,)]))
    target = x.shape[:i % n] + tuple(size if s == -1 else s for s in split) + x.shape[i % n + 1:]
    check_op(lambda t: mg.unflatten(t, i, split), [x], lambda a: a.reshape(target), device)


@given(data=st.data())
def test_as_forms_and_contiguous(device, data):
    shape, other = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_side=1, max_side=3)
                             .map(lambda s: s.input_shapes))
    big = np.broadcast_shapes(shape, other)
    x = data.draw(arrays(shape))
    like = mg.zeros(big, device=device)
    check_op(lambda t: t.expand_as(like), [x], lambda a: np.broadcast_to(a, big), device)
    flat = mg.zeros(x.size, device=device)
    check_op(lambda t: t.view_as(flat), [x], lambda a: a.reshape(-1), device)
    check_op(lambda t: t.reshape_as(flat), [x], lambda a: a.reshape(-1), device, second_order=False)
    check_op(lambda t: t.T.contiguous(), [x], lambda a: a.T, device)


def test_contiguous_copies_only_when_needed(device):
    x = make_tensor(np.arange(6.0).reshape(2, 3), device)
    assert x.contiguous() is x
    y = x.T.contiguous()
    assert y.array.flags.c_contiguous and y.shape == (3, 2)


@given(data=st.data())
def test_stacks(device, data):
    shape = data.draw(shapes(max_dims=3))
    xs = [data.draw(arrays(shape)) for _ in range(data.draw(st.integers(1, 3)))]
    for name in ("vstack", "hstack", "dstack"):
        check_op(lambda *ts: getattr(mg, name)(ts), xs, lambda *a: getattr(np, name)(a), device,
                 second_order=False)


X = mg.tensor(np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("call, error, message", [
    (lambda: X.repeat(2), RuntimeError, "repeat: number of dimensions of repeat dims"),
    (lambda: X.repeat_interleave(mg.tensor([1, 2]), dim=1), RuntimeError,
     "repeat_interleave: repeats must have the same size as input along dim"),
    (lambda: X.repeat_interleave(-1), RuntimeError, "repeat_interleave: repeats must be non-negative"),
    (lambda: X.chunk(0), RuntimeError, "chunk: expects `chunks` to be greater than 0, got: 0"),
    (lambda: X.unbind(2), IndexError, r"unbind: Dimension out of range \(expected to be in range of \[-2, 1\]"),
    (lambda: X.flip(0, 0), RuntimeError, "flip: dim 0 appears multiple times in the list of dims"),
    (lambda: X.roll((1, 2), 0), RuntimeError, "roll: shifts and dimensions must align"),
    (lambda: X.movedim(0, 5), IndexError, r"movedim: Dimension out of range \(expected to be in range of "
                                          r"\[-2, 1\], but got 5\)"),
    (lambda: X.movedim((0, 1), 0), RuntimeError, "movedim: Invalid source or destination dims"),
    (lambda: X.narrow(1, 2, 2), RuntimeError, r"narrow: start \(2\) \+ length \(2\) exceeds dimension size \(3\)"),
    (lambda: X.unflatten(1, (2, 2)), RuntimeError, r"unflatten: Provided sizes \[2, 2\] don't multiply up to the "
                                                   r"size of dim 1 \(3\)"),
    (lambda: mg.vstack([]), RuntimeError, "vstack: expects a non-empty TensorList"),
])
def test_errors_name_the_op_and_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_repeat_interleave_of_counts_alone():
    np.testing.assert_array_equal(mg.repeat_interleave(mg.tensor([1, 2])).numpy(), [0, 1, 1])


def test_docstring_examples():
    result = doctest.testmod(movement, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
