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
