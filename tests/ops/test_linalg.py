"""minigan/ops/linalg.py: matmul in every NumPy case (1-D, 2-D, batched, broadcast batch dimensions)
against NumPy, with gradcheck, gradgradcheck and linearity; shape errors."""
import operator

import numpy as np
import pytest
from conftest import arrays
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigan as mg
from minigan.testing import check_op


@st.composite
def matmul_shapes(draw):
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    batch_a, batch_b = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2)).input_shapes
    kind_a = draw(st.sampled_from(["vector", "matrix"]))
    kind_b = draw(st.sampled_from(["vector", "matrix"]))
    shape_a = (k,) if kind_a == "vector" else batch_a + (m, k)
    shape_b = (k,) if kind_b == "vector" else batch_b + (k, n)
    return shape_a, shape_b


@given(data=st.data())
def test_matmul(device, data):
    shape_a, shape_b = data.draw(matmul_shapes())
    a, b = data.draw(arrays(shape_a)), data.draw(arrays(shape_b))
    check_op(operator.matmul, [a, b], np.matmul, device)
    check_op(mg.matmul, [a, b], np.matmul, device, second_order=False, check_float32=False)


@pytest.mark.parametrize("shape_a, shape_b", [
    ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((2, 1, 2, 3), (5, 3, 4)), ((4, 3), (2, 1, 3, 2)),
])
def test_matmul_every_case(device, shape_a, shape_b):
    rng = np.random.default_rng(1)
    check_op(operator.matmul, [rng.standard_normal(shape_a), rng.standard_normal(shape_b)], np.matmul, device)


def test_matmul_with_numpy_operand_keeps_float32(make):
    w = make(np.ones((3, 2)), dtype=np.float32, requires_grad=True)
    x = np.arange(6.0).reshape(2, 3)  # float64
    y = x @ w
    assert y.dtype == np.float32 and y.shape == (2, 2)
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.repeat(x.sum(0)[:, None], 2, axis=1))


def test_matmul_shape_errors_name_op_and_shapes(make):
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) do not align"):
        make(np.ones((2, 3))) @ make(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"matmul: batch dimensions of \(2, 2, 3\) and \(3, 3, 4\)"):
        make(np.ones((2, 2, 3))) @ make(np.ones((3, 3, 4)))
    with pytest.raises(ValueError, match=r"matmul: operands must be at least 1-D"):
        make(2.0) @ make(np.ones(3))


@given(data=st.data())
def test_matmul_any_layout(device, data):
    """any_layout products (outer products, transposed orientation when N > M) give a@b and its
    derivatives to any order; only the memory order may differ."""
    m, k, n = (data.draw(st.integers(1, 6)) for _ in range(3))
    a, b = data.draw(arrays((m, k))), data.draw(arrays((k, n)))
    check_op(lambda x, y: mg.matmul(x, y, any_layout=True), [a, b], np.matmul, device)


@pytest.mark.parametrize("m, k, n", [(4, 1, 9), (9, 1, 4), (3, 5, 8), (8, 5, 3)])
def test_gemm_orientation_and_layout(m, k, n):
    from minigan.ops.linalg import gemm
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    np.testing.assert_allclose(gemm(a, b), a @ b, rtol=1e-14, atol=1e-14)
    assert gemm(a, b).flags.c_contiguous  # the default keeps C order
    y = gemm(a, b, any_layout=True)
    np.testing.assert_allclose(y, a @ b, rtol=1e-14, atol=1e-14)
    # the larger output side becomes the rows of the product BLAS computes: feature-major when n > m
    assert y.flags.f_contiguous if n > m else y.flags.c_contiguous


def test_linear_activations_feature_major_weight_grads_c_order():
    """A Linear with more outputs than samples returns a feature-major activation (what batch norm
    and the next layer read fastest) but hands the optimiser C-ordered weight gradients."""
    from minigan import nn
    rng = np.random.default_rng(3)
    lin = nn.Linear(5, 12)
    x = mg.tensor(rng.standard_normal((4, 5)).astype(np.float32), requires_grad=True)
    y = lin(x)
    assert y.array.flags.f_contiguous and not y.array.flags.c_contiguous
    w, bias = lin.weight.numpy(), lin.bias.numpy()
    np.testing.assert_allclose(y.numpy(), x.numpy() @ w.T + bias, rtol=1e-6)
    g = rng.standard_normal((4, 12)).astype(np.float32)
    y.backward(mg.tensor(g))
    assert lin.weight.grad.array.flags.c_contiguous
    np.testing.assert_allclose(lin.weight.grad.numpy(), g.T @ x.numpy(), rtol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), g @ w, rtol=1e-5)
