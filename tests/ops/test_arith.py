"""minigan/ops/arith.py: elementwise arithmetic, checked against NumPy, gradcheck, gradgradcheck
and linearity on random broadcasting shapes; operands of every kind; comparisons; dtypes."""
import operator

import numpy as np
import pytest
from conftest import arrays, broadcast_pairs, make_tensor, positive_arrays, separated_arrays, shapes
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan.testing import check_op


def _pair(draw, a_elements=arrays, b_elements=arrays):
    shape_a, shape_b = draw(broadcast_pairs())
    return draw(a_elements(shape_a)), draw(b_elements(shape_b))


@st.composite
def pairs(draw, a_elements=arrays, b_elements=arrays):
    return _pair(draw, a_elements, b_elements)


def nonzero_arrays(shape):
    """Values in ±[0.5, 2]: safe denominators."""
    return arrays(shape, 0.5, 2.0).flatmap(
        lambda a: arrays(shape, -1.0, 1.0).map(lambda s: np.where(s < 0, -a, a)))


# ---- binary ops over broadcasting pairs ------------------------------------------------------


@pytest.mark.parametrize("op, ref", [
    (mg.add, np.add), (mg.sub, np.subtract), (mg.mul, np.multiply),
    (operator.add, np.add), (operator.sub, np.subtract), (operator.mul, np.multiply),
], ids=["add", "sub", "mul", "+", "-", "*"])
@given(ab=pairs())
def test_add_sub_mul_broadcast(device, op, ref, ab):
    check_op(op, ab, ref, device)


@given(ab=pairs(b_elements=nonzero_arrays))
def test_div_broadcast(device, ab):
    check_op(operator.truediv, ab, np.divide, device)
    check_op(mg.div, ab, np.divide, device, second_order=False)


@given(ab=pairs(a_elements=lambda s: positive_arrays(s, 0.5, 2.0), b_elements=lambda s: arrays(s, -2, 2)))
def test_pow_tensor_exponent(device, ab):
    check_op(operator.pow, ab, np.power, device)


@given(x=shapes().flatmap(lambda s: positive_arrays(s, 0.5, 2.0)),
       p=st.sampled_from([0, 1, 2, 3, -1, 0.5, 1.5, -2.5]))
def test_pow_scalar_exponent(device, x, p):
    check_op(lambda t: t ** p, [x], lambda a: a ** p, device)


@given(x=shapes().flatmap(lambda s: arrays(s, -1.5, 1.5)))
def test_rpow_scalar_base(device, x):
    check_op(lambda t: 2.0 ** t, [x], lambda a: 2.0 ** a, device)


@pytest.mark.parametrize("op, ref", [(mg.maximum, np.maximum), (mg.minimum, np.minimum)], ids=["max", "min"])
@given(ab=pairs(a_elements=lambda s: separated_arrays(s, 0.05), b_elements=lambda s: separated_arrays(s, 0.025)))
def test_maximum_minimum(device, op, ref, ab):
    # the two grids never meet, so no tie sits at a kink
    check_op(op, ab, ref, device)


@given(data=st.data())
def test_where(device, data):
    (shape_c, shape_a), shape_b = data.draw(broadcast_pairs()), data.draw(shapes(max_dims=1))
    # three-way broadcast: cond with a, and b of a shape that fits the last axis (or a scalar)
    out = np.broadcast_shapes(shape_c, shape_a)
    shape_b = out[len(out) - len(shape_b):] if len(shape_b) <= len(out) else ()
    cond = data.draw(arrays(shape_c)) > 0
    a, b = data.draw(arrays(shape_a)), data.draw(arrays(shape_b))
    check_op(lambda x, y: mg.where(make_tensor(cond, device, dtype=bool), x, y), [a, b],
             lambda x, y: np.where(cond, x, y), device)


# ---- unary ops -----------------------------------------------------------------------------


@pytest.mark.parametrize("fn, ref, domain", [
    (mg.neg, np.negative, arrays), (operator.neg, np.negative, arrays),
    (mg.exp, np.exp, arrays), (mg.log, np.log, positive_arrays), (mg.sqrt, np.sqrt, positive_arrays),
    (mg.abs, np.abs, separated_arrays), (abs, np.abs, separated_arrays),
], ids=["neg", "-x", "exp", "log", "sqrt", "abs", "abs()"])
@given(data=st.data())
def test_unary(device, fn, ref, domain, data):
    x = data.draw(shapes().flatmap(domain))
    check_op(fn, [x], ref, device)


@given(x=shapes().flatmap(separated_arrays),
       bounds=st.sampled_from([(-0.5, 0.7), (None, 0.3), (-1.0, None), (-3.0, 3.0)]))
def test_clip(device, x, bounds):
    # grid values k/10 + 0.05 never sit on a bound
    lo, hi = bounds
    check_op(lambda t: mg.clip(t, lo, hi), [x], lambda a: np.clip(a, lo, hi), device)
    check_op(lambda t: t.clamp(min=lo, max=hi), [x], lambda a: np.clip(a, lo, hi), device, second_order=False)


def test_clip_gradient_is_zero_where_clipped(make):
    x = make([-2.0, 0.0, 2.0], requires_grad=True)
    x.clip(-1, 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])


def test_maximum_tie_sends_gradient_to_first_operand(make):
    a, b = make([1.0, 2.0], requires_grad=True), make([1.0, 3.0], requires_grad=True)
    mg.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 0.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.0, 1.0])


# ---- operands of every kind ----------------------------------------------------------------


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow])
@pytest.mark.parametrize("other", [2, 1.5, np.float64(1.5), np.array([1.0, 2.0, 0.5]),
                                   np.array([1, 2, 3]), np.float32(2.0)],
                         ids=["int", "float", "np.float64", "f64-array", "int-array", "np.float32"])
def test_scalars_and_arrays_on_either_side(device, op, other):
    x_np = np.array([0.5, 1.0, 2.0], dtype=np.float32)
    x = make_tensor(x_np, device, dtype=np.float32, requires_grad=True)
    for left, right, ref in [(x, other, op(x_np, np.asarray(other, dtype=np.float32))),
                             (other, x, op(np.asarray(other, dtype=np.float32), x_np))]:
        y = op(left, right)
        assert isinstance(y, mg.Tensor)
        assert y.dtype == np.float32, "a scalar or array operand took over the tensor's dtype"
        np.testing.assert_allclose(y.numpy(), ref, rtol=1e-6)
        x.grad = None
        y.sum().backward()
        assert x.grad.dtype == np.float32 and x.grad.shape == (3,)


def test_float32_and_float64_follow_numpy_promotion(make):
    a = make([1.0, 2.0], dtype=np.float32, requires_grad=True)
    b = make([3.0, 4.0], dtype=np.float64, requires_grad=True)
    y = a * b
    assert y.dtype == np.result_type(np.float32, np.float64) == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64  # each grad keeps its input's dtype
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0])


def test_integer_tensor_meeting_float_tensor_takes_the_float_dtype(make):
    x = make([1.0, 2.0], dtype=np.float32, requires_grad=True)
    labels = make([1, 0], dtype=np.int64)
    mask = make([True, False], dtype=bool)
    assert (x * labels).dtype == np.float32
    assert (mask * x).dtype == np.float32
    assert (labels / 2).dtype == np.float32  # integer division gives float32, not float64
    assert mg.mean(labels).dtype == np.float32


def test_comparisons_return_non_differentiable_bool_tensors(device):
    x = make_tensor([1.0, 2.0, 3.0], device, requires_grad=True)
    for y, expected in [(x > 2, [0, 0, 1]), (x >= 2, [0, 1, 1]), (x < 2, [1, 0, 0]), (x <= 2, [1, 1, 0]),
                        (x == 2, [0, 1, 0]), (x != 2, [1, 0, 1]), (2 < x, [0, 0, 1]),
                        (x > make_tensor([0.0, 5.0, 1.0], device), [1, 0, 1])]:
        assert y.dtype == np.bool_ and not y.requires_grad and y.grad_fn is None
        np.testing.assert_array_equal(y.numpy(), np.array(expected, dtype=bool))
    with pytest.raises(RuntimeError, match="floating point dtype"):
        (x > 2).requires_grad_()


def test_add_shape_error_names_op_and_both_shapes(make):
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        make(np.ones((2, 3))) + make(np.ones(4))
    with pytest.raises(ValueError, match=r"mul: shapes \(3,\) and \(2,\)"):
        make(np.ones(3)) * make(np.ones(2))


def test_astype_is_differentiable_and_casts_back(make):
    x = make([1.5, -2.0], requires_grad=True)
    y = x.astype(np.float32)
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), [3.0, -4.0])
