"""minigan/ops/elementwise.py and matrix.py: rounding (zero gradient; frac's is 1), log1p, expm1,
log2, log10, exp2, rsqrt, reciprocal, square, lerp, isnan/isinf/isfinite, all/any; mm, bmm, addmm,
dot, outer, diag, trace, tril, triu. NumPy references, gradients under hypothesis on every device."""
import doctest

import numpy as np
import pytest
from conftest import arrays, make_tensor, positive_arrays, separated_arrays, shapes
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan.ops import elementwise, matrix
from minigan.testing import check_op


@pytest.mark.parametrize("name, ref", [("log1p", np.log1p), ("log2", np.log2), ("log10", np.log10),
                                       ("rsqrt", lambda a: 1 / np.sqrt(a)), ("reciprocal", np.reciprocal)])
@given(x=shapes().flatmap(positive_arrays))
def test_functions_of_positive_numbers(device, name, ref, x):
    check_op(lambda t: getattr(t, name)(), [x], ref, device)
    check_op(getattr(mg, name), [x], ref, device, second_order=False)


@pytest.mark.parametrize("name, ref", [("expm1", np.expm1), ("exp2", np.exp2), ("square", np.square),
                                       ("frac", lambda a: a - np.trunc(a))])
@given(x=shapes().flatmap(separated_arrays))  # never an integer: frac is smooth there
def test_smooth_functions(device, name, ref, x):
    check_op(lambda t: getattr(t, name)(), [x], ref, device)


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round"])
@given(x=shapes().flatmap(separated_arrays))  # k/10 + 0.05: never at a step, never a tie of round
def test_rounding_has_zero_gradient(device, name, x):
    check_op(lambda t: getattr(t, name)(), [x], getattr(np, name), device)


@given(x=shapes().flatmap(arrays), decimals=st.integers(-1, 2))
def test_round_to_decimals(device, x, decimals):
    y = make_tensor(x, device).round(decimals=decimals)
    np.testing.assert_array_equal(y.numpy(), np.round(x, decimals))


@given(data=st.data())
def test_lerp(device, data):
    shape = data.draw(shapes())
    a, b, w = (data.draw(arrays(shape)) for _ in range(3))
    check_op(lambda s, e, t: s.lerp(e, t), [a, b, w], lambda s, e, t: s + t * (e - s), device)
    check_op(lambda s, e: mg.lerp(s, e, 0.25), [a, b], lambda s, e: s + 0.25 * (e - s), device)


def test_rounding_follows_torch():
    x = mg.tensor([-1.5, -0.5, 0.5, 1.5, 2.5, -1.25])
    np.testing.assert_array_equal(x.round().numpy(), [-2, -0, 0, 2, 2, -1])  # half to even
    np.testing.assert_array_equal(mg.tensor([15.0, 25.0]).round(decimals=-1).numpy(), [20, 20])
    np.testing.assert_allclose(x.frac().numpy(), [-0.5, -0.5, 0.5, 0.5, 0.5, -0.25])
    ints = mg.tensor([1, 2])
    assert ints.floor().dtype == ints.round().dtype == ints.square().dtype == np.int64
    assert ints.reciprocal().dtype == ints.rsqrt().dtype == ints.log1p().dtype == np.float32
    t = make_tensor([0.3, 1.7], requires_grad=True)
    (t.floor() + t.frac()).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [1, 1])


def test_tests_and_logical_reductions(device):
    x = make_tensor([[1.0, np.nan], [np.inf, 0.0]], device)
    np.testing.assert_array_equal(x.isnan().numpy(), [[False, True], [False, False]])
    np.testing.assert_array_equal(mg.isinf(x).numpy(), [[False, False], [True, False]])
    np.testing.assert_array_equal(x.isfinite().numpy(), [[True, False], [False, True]])
    assert x.isnan().dtype == np.bool_ and x.isnan().device == mg.Device(device)
    assert mg.any(x.isnan()).item() is True and x.all().item() is False
    np.testing.assert_array_equal(x.all(dim=1).numpy(), [True, False])
    np.testing.assert_array_equal(mg.any(x == 0, dim=(0, 1), keepdim=True).numpy(), [[True]])
    with pytest.raises(IndexError, match="all: Dimension out of range"):
        x.all(dim=2)


# ---- matrix ----------------------------------------------------------------------------------------

@given(data=st.data())
def test_mm_bmm_addmm(device, data):
    n, k, m, b = (data.draw(st.integers(1, 3)) for _ in range(4))
    a1, a2 = data.draw(arrays((n, k))), data.draw(arrays((k, m)))
    check_op(lambda x, y: x.mm(y), [a1, a2], np.matmul, device)
    c = data.draw(arrays((m,)))
    check_op(lambda z, x, y: mg.addmm(z, x, y, beta=0.5, alpha=2.0), [c, a1, a2],
             lambda z, x, y: 0.5 * z + 2.0 * (x @ y), device)
    b1, b2 = data.draw(arrays((b, n, k))), data.draw(arrays((b, k, m)))
    check_op(mg.bmm, [b1, b2], np.matmul, device)


@given(data=st.data())
def test_dot_outer(device, data):
    n, m = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    u, v, w = data.draw(arrays((n,))), data.draw(arrays((n,))), data.draw(arrays((m,)))
    check_op(lambda x, y: x.dot(y), [u, v], np.dot, device)
    check_op(mg.outer, [u, w], np.outer, device)


@given(data=st.data())
def test_diag_trace_tril_triu(device, data):
    k = data.draw(st.integers(-2, 2))
    v = data.draw(arrays((data.draw(st.integers(1, 3)),)))
    check_op(lambda t: mg.diag(t, k), [v], lambda a: np.diag(a, k), device)
    m = data.draw(shapes(min_dims=2, max_dims=2).flatmap(arrays))
    check_op(lambda t: t.diag(k), [m], lambda a: np.diag(a, k), device)
    check_op(mg.trace, [m], np.trace, device)
    batch = data.draw(shapes(min_dims=2).flatmap(arrays))
    check_op(lambda t: t.tril(k), [batch], lambda a: np.tril(a, k), device)
    check_op(lambda t: mg.triu(t, k), [batch], lambda a: np.triu(a, k), device)


def test_triangles_keep_infinities_out_of_the_zeros():
    x = mg.tensor([[1.0, np.inf], [np.inf, 2.0]])
    np.testing.assert_array_equal(x.tril().numpy(), [[1, 0], [np.inf, 2]])


V, M = mg.ones(3), mg.ones(2, 3)


@pytest.mark.parametrize("call, message", [
    (lambda: mg.mm(V, M), r"mm: self must be a matrix, got shape \(3,\)"),
    (lambda: mg.mm(M, M), r"mm: mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)"),
    (lambda: mg.bmm(M, M), "bmm: batch1 must be a 3D tensor"),
    (lambda: mg.bmm(mg.ones(2, 2, 3), mg.ones(3, 3, 2)), "bmm: batch1 of shape"),
    (lambda: mg.dot(M, M), "dot: 1D tensors expected, but got 2D and 2D tensors"),
    (lambda: mg.dot(V, mg.ones(2)), "dot: inconsistent tensor size"),
    (lambda: mg.outer(M, V), "outer: Expected 1-D argument self, but got 2-D"),
    (lambda: mg.trace(mg.ones(2, 2, 2)), "trace: expected a matrix, but got tensor with dim 3"),
    (lambda: mg.diag(mg.ones(2, 2, 2)), "diag: expected a 1D or 2D tensor"),
    (lambda: mg.tril(V), "tril: input tensor must have at least 2 dimensions"),
])
def test_errors_name_the_op_and_the_argument(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


def test_lerp_and_frac_refuse_integers():
    with pytest.raises(TypeError, match="frac: expected a floating-point tensor, got int64"):
        mg.tensor([1, 2]).frac()
    with pytest.raises(TypeError, match="lerp: expected floating-point tensors, got int64"):
        mg.lerp(mg.tensor([1, 2]), mg.tensor([3, 4]), 0.5)


@pytest.mark.parametrize("module", [elementwise, matrix])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
