"""minigan/ops/arith.py: PyTorch's dtype promotion, // and %, isclose/allclose/equal, where(cond)."""
import numpy as np
import pytest
from conftest import arrays, broadcast_pairs, make_tensor
from hypothesis import given

import minigan as mg
from minigan.testing import check_op

i64, f32, f64 = np.int64, np.float32, np.float64


@pytest.mark.parametrize("a, b, expected", [
    (([1, 2], i64), 1.5, f32),               # int tensor + Python float: the default float
    (([1, 2], i64), 3, i64),
    (([1, 2], np.int32), 3, np.int32),       # a Python int does not widen an int32 tensor
    (([True, False], np.bool_), ([True, True], np.bool_), np.bool_),
    (([True, False], np.bool_), 1, i64),
    (([True, False], np.bool_), 1.5, f32),
    (([1, 2], i64), ([1.0, 2.0], f32), f32),  # a higher category wins whatever its size (NumPy: float64)
    (([1, 2], i64), ([1.0, 2.0], np.float16), np.float16),
    (([1, 2], np.uint8), ([1, 2], np.int8), np.int16),
    (([1.0, 2.0], f32), ([1.0, 2.0], f64), f64),
    (([1.0, 2.0], f32), (1.0, f64), f32),    # a 0-d tensor does not widen a dimensioned one of its category
    (([1, 2], i64), (1.0, f64), f64),        # ... but a higher category still wins
    (([1, 2], np.int32), (1, i64), np.int32),
])
def test_promotion_follows_torch(device, a, b, expected):
    x = make_tensor(a[0], device, dtype=a[1]) if isinstance(a, tuple) else a
    y = make_tensor(b[0], device, dtype=b[1]) if isinstance(b, tuple) else b
    assert (x + y).dtype == expected and (y * x).dtype == expected


def test_true_division_and_unary_maths_of_integers_give_float32(device):
    i = make_tensor([1, 2, 4], device, dtype=i64)
    assert (i / 2).dtype == f32 and (i / i).dtype == f32
    for y in (i.sqrt(), i.exp(), i.log(), i ** 0.5):
        assert y.dtype == f32
    assert (i ** 2).dtype == i64 and (2 ** i).dtype == i64 and (2.0 ** i).dtype == f32
    np.testing.assert_array_equal((i ** 2).numpy(), [1, 4, 16])


def test_mixed_float_dtypes_send_each_input_its_own_dtype_of_gradient(device):
    a = make_tensor([1.0, 2.0], device, dtype=f32, requires_grad=True)
    b = make_tensor([3.0, 4.0], device, dtype=f64, requires_grad=True)
    y = a * b
    assert y.dtype == f64
    y.sum().backward()
    assert a.grad.dtype == f32 and b.grad.dtype == f64


def test_comparisons_return_bool(device):
    i = make_tensor([1, 2], device, dtype=i64)
    assert (i < 1.5).dtype == np.bool_ and (i == make_tensor([1.0, 2.5], device)).numpy().tolist() == [True, False]


def test_floor_divide_and_remainder_follow_pythons_signs(device):
    x = make_tensor([-7, 7, -8], device, dtype=i64)
    assert (x // 2).dtype == i64 and (x % 3).dtype == i64
    np.testing.assert_array_equal((x // 2).numpy(), [-7 // 2, 7 // 2, -8 // 2])
    np.testing.assert_array_equal((x % 3).numpy(), [-7 % 3, 7 % 3, -8 % 3])
    np.testing.assert_array_equal((x % -3).numpy(), [-7 % -3, 7 % -3, -8 % -3])
    np.testing.assert_array_equal((20 // x).numpy(), [20 // -7, 20 // 7, 20 // -8])
    np.testing.assert_array_equal((20 % x).numpy(), [20 % -7, 20 % 7, 20 % -8])
    f = make_tensor([7.5, -7.5], device)
    np.testing.assert_allclose((f % -2).numpy(), [7.5 % -2, -7.5 % -2])
    assert np.isinf((f // 0).numpy()).all()
    with pytest.raises(ZeroDivisionError, match="floor_divide: integer division by zero"):
        x // 0
    with pytest.raises(ZeroDivisionError, match="remainder: integer division by zero"):
        x % make_tensor([1, 0, 1], device, dtype=i64)


def test_floor_divide_has_no_derivative_as_in_torch(device):
    x = make_tensor([3.5, -2.5], device, requires_grad=True)
    with pytest.raises(RuntimeError, match="floor_divide: the derivative is not implemented"):
        (x // 2.0).sum().backward()


@given(pair=broadcast_pairs().flatmap(lambda s: arrays(s[0]).flatmap(
    lambda a: arrays(s[1], low=0.6, high=2.0).map(lambda b: (a, b)))))
def test_remainder_gradients(device, pair):
    a, b = pair
    q = a / b
    # away from the jumps of floor(a / b), where remainder is not differentiable
    if (np.abs(q - np.round(q)) < 0.05).any():
        return
    check_op(lambda x, y: x % y, [a, b], np.remainder, device)
    check_op(lambda x, y: mg.remainder(x, -y), [a, b], lambda u, v: np.remainder(u, -v), device)


def test_isclose_allclose_equal(device):
    a = make_tensor([1.0, np.nan, 2.0], device)
    b = make_tensor([1.0 + 1e-9, np.nan, 2.1], device)
    assert mg.isclose(a, b).numpy().tolist() == [True, False, False]
    assert a.isclose(b, equal_nan=True).numpy().tolist() == [True, True, False]
    assert not mg.allclose(a, b) and mg.allclose(a, b, atol=0.2, equal_nan=True) and a[:1].allclose(b[:1])
    assert mg.equal(b, b.clone()) is False  # NaN is never equal
    assert mg.equal(a[:1], a[:1].clone()) and not mg.equal(a[:1], a[:2]) and not a[:1].equal(b[:1])


def test_where_with_one_argument_gives_the_indices(device):
    cond = make_tensor([[True, False], [False, True]], device, dtype=np.bool_)
    rows, cols = mg.where(cond)
    assert rows.dtype == i64 and rows.numpy().tolist() == [0, 1] and cols.numpy().tolist() == [0, 1]
    x = make_tensor([[1.0, 2.0], [3.0, 4.0]], device)
    np.testing.assert_array_equal(x[mg.where(cond)].numpy(), [1.0, 4.0])
    assert [t.numpy().tolist() for t in mg.where(make_tensor([0.0, 1.0, 2.0], device))] == [[1, 2]]
    with pytest.raises(TypeError, match="where: expected where"):
        mg.where(cond, x)
