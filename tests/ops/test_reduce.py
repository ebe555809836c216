"""minigan/ops/reduce.py: sum, mean, var, max, min, logsumexp over any axes (None, int, negative,
tuple, empty tuple) with keepdims, against NumPy, with gradcheck, gradgradcheck and linearity."""
import numpy as np
import pytest
from conftest import arrays, axes, make_tensor, numpy_axis, separated_arrays, shapes
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan.testing import check_op


def _logsumexp(a, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))


def _population_var(t, axis=None, keepdims=False):
    return mg.var(t, axis=axis, keepdims=keepdims, correction=0)


REDUCTIONS = [
    ("sum", mg.sum, np.sum, arrays),
    ("mean", mg.mean, np.mean, arrays),
    ("var", _population_var, np.var, arrays),  # NumPy's default ddof=0; minigan's (torch's) is 1
    ("logsumexp", mg.logsumexp, _logsumexp, arrays),
    # distinct values at least 0.1 apart: no ties, so max/min are differentiable there
    ("max", mg.max, np.max, separated_arrays),
    ("min", mg.min, np.min, separated_arrays),
]


@pytest.mark.parametrize("name, op, ref, domain", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@given(data=st.data())
def test_reduction(device, name, op, ref, domain, data):
    x = data.draw(shapes().flatmap(domain))
    axis = data.draw(axes(x.ndim))
    keepdims = data.draw(st.booleans())
    np_axis = numpy_axis(axis, x.ndim)
    check_op(lambda t: op(t, axis=axis, keepdims=keepdims), [x],
             lambda a: ref(a, axis=np_axis, keepdims=keepdims), device)
    method = getattr(mg.Tensor, name)
    extra = {"correction": 0} if name == "var" else {}
    check_op(lambda t: method(t, axis=axis, keepdims=keepdims, **extra), [x],
             lambda a: ref(a, axis=np_axis, keepdims=keepdims), device, second_order=False, check_float32=False)


@given(data=st.data())
def test_unbiased_var(device, data):
    x = data.draw(shapes(min_dims=1).filter(lambda s: max(s) > 1).flatmap(arrays))
    axis = int(np.argmax(x.shape))
    check_op(lambda t: mg.var(t, axis, unbiased=True), [x], lambda a: np.var(a, axis=axis, ddof=1), device)


def test_max_splits_gradient_evenly_among_ties(device):
    x = make_tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], device, requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [0.5, 0, 0.5]])


def test_logsumexp_is_stable_for_large_values(device):
    x = make_tensor([1000.0, 1000.0, -1000.0], device, dtype=np.float32, requires_grad=True)
    y = mg.logsumexp(x)
    np.testing.assert_allclose(y.item(), 1000 + np.log(2), rtol=1e-6)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.5, 0.0], atol=1e-6)


def test_reduction_axis_errors(make):
    x = make(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"sum: axis 2 is out of range for a tensor of 2 dimensions"):
        x.sum(axis=2)
    with pytest.raises(ValueError, match=r"mean: repeated axis"):
        x.mean(axis=(1, -1))
    with pytest.warns(UserWarning, match=r"var: degrees of freedom is <= 0"):  # nan, as torch.var
        assert np.isnan(make(np.ones((1, 3))).var(axis=0, unbiased=True).numpy()).all()


def test_argmax_argmin_are_integer_and_not_differentiable(make):
    x = make([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    np.testing.assert_array_equal(x.argmax(axis=1).numpy(), [1, 0])
    np.testing.assert_array_equal(mg.argmin(x, axis=0).numpy(), [0, 1, 0])
    assert x.argmax().item() == 3
    assert not x.argmax().requires_grad and x.argmax().dtype.kind == "i"


@pytest.mark.parametrize("name, arg", [("max", np.argmax), ("min", np.argmin)])
@given(data=st.data())
def test_max_min_with_dim_give_values_and_indices(device, name, arg, data):
    x = data.draw(shapes(min_dims=1).flatmap(separated_arrays))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    keepdim = data.draw(st.booleans())
    ref = getattr(np, name)
    check_op(lambda t: getattr(mg, name)(t, dim, keepdim).values, [x],
             lambda a: ref(a, axis=dim, keepdims=keepdim), device)
    out = getattr(make_tensor(x, device), name)(dim=dim, keepdim=keepdim)
    assert type(out) is getattr(mg.return_types, name) and out.indices.dtype == np.int64
    np.testing.assert_array_equal(out.indices.numpy(), arg(x, axis=dim, keepdims=keepdim))


def test_max_forms_follow_torch(device):
    x = make_tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], device, requires_grad=True)
    values, indices = x.max(1)
    assert indices.numpy().tolist() == [1, 0]
    values.sum().backward()  # with a dim the first largest element takes the whole gradient, as in torch
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])
    assert x.max().item() == 3.0 and x.max(axis=0).numpy().tolist() == [2.0, 3.0, 3.0]
    other = make_tensor([0.0, 5.0, 1.0], device)
    np.testing.assert_array_equal(mg.max(x, other).numpy(), [[1, 5, 3], [2, 5, 1]])
    np.testing.assert_array_equal(x.min(other).numpy(), [[0, 3, 1], [0, 2, 0]])
    assert x.min(0, keepdim=True).values.shape == (1, 3)
    scalar = make_tensor(4.0, device).max(0)
    assert scalar.values.item() == 4.0 and scalar.indices.item() == 0
    with pytest.raises(IndexError, match=r"max: dimension out of range \(expected to be in range of \[-2, 1\]"):
        x.max(2)
    with pytest.raises(TypeError, match="max: dim must be an int"):
        x.max((0, 1))
    with pytest.raises(ValueError, match="max: expected a reduction dim for an empty tensor"):
        make_tensor(np.zeros(0), device).max()


def test_argmax_is_int64_as_in_torch(device):
    x = make_tensor([[1.0, 5.0], [5.0, 2.0]], device)
    assert x.argmax().dtype == np.int64 and x.argmax().item() == 1
    assert x.argmax(keepdim=True).shape == (1, 1) and x.argmin(1, keepdim=True).numpy().tolist() == [[0], [1]]


@given(x=shapes(min_dims=1).filter(lambda s: max(s) > 1).flatmap(arrays))
def test_var_and_std_are_unbiased_by_default(device, x):
    axis = int(np.argmax(x.shape))
    x = x + np.arange(x.size).reshape(x.shape) * 0.3  # no constant slice: std's sqrt stays differentiable
    check_op(lambda t: t.var(axis), [x], lambda a: np.var(a, axis=axis, ddof=1), device)
    check_op(lambda t: mg.std(t, axis, False, True), [x], lambda a: np.std(a, axis=axis, keepdims=True), device)
    v, m = mg.var_mean(make_tensor(x, device), axis)
    s, _ = mg.std_mean(make_tensor(x, device), axis, correction=0)
    np.testing.assert_allclose(v.numpy(), np.var(x, axis=axis, ddof=1))
    np.testing.assert_allclose(s.numpy(), np.std(x, axis=axis))
    np.testing.assert_allclose(m.numpy(), np.mean(x, axis=axis))


def test_var_spellings_conflict_loudly(make):
    x = make(np.arange(4.0))
    assert x.var(ddof=0).item() == pytest.approx(np.var(np.arange(4.0)))
    with pytest.raises(TypeError, match="var: got unbiased and correction"):
        x.var(unbiased=True, correction=0)
    with pytest.raises(TypeError, match="var: std and var only support floating point dtypes"):
        mg.tensor([1, 2]).var()
