"""The tensor API a PyTorch user guesses: dim=/keepdim= beside axis=/keepdims=, and the ops
sin, cos, norm, std, var, clone, numel, t(), einsum, where on tensors, clamp with tensor bounds,
abs at 0. Each new op: NumPy reference, gradcheck and gradgradcheck under hypothesis."""
import numpy as np
import pytest
from conftest import arrays, make_tensor, positive_arrays, separated_arrays, shapes
from hypothesis import assume, given
from hypothesis import strategies as st

import minigan as mg
from minigan.testing import check_op

# ---- both spellings ----------------------------------------------------------------------------

X = np.arange(24.0).reshape(2, 3, 4) / 7.0


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "max", "min", "logsumexp"])
def test_reductions_take_dim_and_keepdim(name):
    x = make_tensor(X)
    a = getattr(x, name)(axis=1, keepdims=True)
    b = getattr(x, name)(dim=1, keepdim=True)
    if name in ("max", "min"):  # torch.max(x, dim) gives (values, indices) and takes one int dim
        b = b.values
    c = getattr(mg, name)(x, **({"axis": (0, 2)} if name in ("max", "min") else {"dim": (0, 2)}))
    d = getattr(mg, name)(x, axis=(0, 2))
    assert a.shape == (2, 1, 4)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(c.numpy(), d.numpy())
    with pytest.raises(TypeError, match=f"{name}: got both axis=1 and dim=2"):
        getattr(x, name)(axis=1, dim=2)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_arg_reductions_take_dim(name):
    x = make_tensor(X)
    np.testing.assert_array_equal(getattr(x, name)(dim=2, keepdim=True).numpy(),
                                  getattr(X, name)(axis=2, keepdims=True))


def test_softmax_and_log_softmax_take_dim_and_axis():
    x = make_tensor(X)
    for f in (mg.softmax, mg.log_softmax):
        np.testing.assert_array_equal(f(x, dim=1).numpy(), f(x, axis=1).numpy())
        np.testing.assert_array_equal(f(x).numpy(), f(x, -1).numpy())
    np.testing.assert_array_equal(x.softmax(dim=0).numpy(), x.softmax(0).numpy())


def test_shape_ops_take_axis_as_well_as_dim():
    x = make_tensor(X)
    assert mg.cat([x, x], axis=1).shape == mg.concat([x, x], dim=1).shape == (2, 6, 4)
    assert mg.stack([x, x], axis=3).shape == (2, 3, 4, 2)
    assert mg.unsqueeze(x, axis=0).shape == x.unsqueeze(dim=0).shape == (1, 2, 3, 4)
    assert x.unsqueeze(0).squeeze(axis=0).shape == (2, 3, 4)
    assert [t.shape for t in x.split(2, axis=2)] == [(2, 3, 2), (2, 3, 2)]
    with pytest.raises(TypeError, match="concat: got both dim=1 and axis=0"):
        mg.cat([x, x], dim=1, axis=0)


# ---- the new ops: reference, gradcheck, gradgradcheck ------------------------------------------

@given(x=shapes().flatmap(arrays))
def test_sin_cos(device, x):
    check_op(mg.sin, [x], np.sin, device)
    check_op(lambda t: t.cos(), [x], np.cos, device)


@given(x=shapes(min_dims=1).flatmap(arrays), data=st.data())
def test_std_and_var_with_correction(device, x, data):
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1))
    n = x.size if axis is None else x.shape[axis]
    assume(n > 1)  # the std of one element is 0, where sqrt has no derivative
    correction = data.draw(st.sampled_from([0, 1]))
    x = x + np.arange(x.size).reshape(x.shape) * 0.3  # no constant slice: std's sqrt stays differentiable
    check_op(lambda t: t.std(dim=axis, correction=correction), [x], lambda a: np.std(a, axis=axis, ddof=correction),
             device)
    check_op(lambda t: mg.var(t, dim=axis, unbiased=bool(correction)), [x],
             lambda a: np.var(a, axis=axis, ddof=correction), device)


@pytest.mark.parametrize("p", [2, 1, float("inf"), 3])
@given(x=shapes(min_dims=1).flatmap(separated_arrays), keep=st.booleans())
def test_norm(device, p, x, keep):
    dim = -1
    # max|x| has a kink where two |x| tie; finite differences (eps 1e-6) must not cross one, so keep a margin
    assume(p != float("inf") or x.size == 1 or np.diff(np.sort(np.abs(x).reshape(-1))).min() > 1e-3)

    def ref(a):
        return np.linalg.norm(a, ord=p, axis=dim, keepdims=keep)
    check_op(lambda t: t.norm(p=p, dim=dim, keepdim=keep), [x], ref, device)
    check_op(lambda t: mg.norm(t, p), [x], lambda a: np.linalg.norm(a.reshape(-1), ord=p), device)


def test_norm_at_zero_has_gradient_zero():
    x = make_tensor(np.zeros(3), requires_grad=True)
    x.norm().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0])


@given(x=shapes().flatmap(arrays))
def test_clone(device, x):
    check_op(mg.clone, [x], np.copy, device)


def test_clone_owns_its_array():
    x = make_tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    y[0] = 5.0
    assert x.array[0] == 1.0 and y.array[0] == 5.0


def test_numel_and_t():
    x = make_tensor(X)
    assert x.numel() == 24
    m = make_tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(m.t().numpy(), m.numpy().T)
    assert make_tensor([1.0, 2.0]).t().shape == (2,)
    with pytest.raises(ValueError, match=r"t\(\) expects a tensor of at most 2 dimensions"):
        x.t()


EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("i,j->ij", [(3,), (2,)]),
    ("ij,ij->i", [(2, 3), (2, 3)]),
    ("ijk->kji", [(2, 3, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    ("ij,jk", [(2, 3), (3, 2)]),  # implicit output: "ik"
    ("ab,cd->abd", [(2, 2), (3, 2)]),  # c summed away from the second operand only
]


@pytest.mark.parametrize("spec, shape_list", EINSUM_CASES)
@given(data=st.data())
def test_einsum(device, spec, shape_list, data):
    xs = [data.draw(arrays(s)) for s in shape_list]
    check_op(lambda *ts: mg.einsum(spec, *ts), xs, lambda *a: np.einsum(spec, *a), device)


def test_einsum_errors():
    a = mg.zeros(2, 3)
    assert mg.einsum("...i->i", a).shape == (3,)  # '...' is supported (tests/ops/test_einsum_ellipsis.py)
    with pytest.raises(ValueError, match="names 2 operands but 1"):
        mg.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match="repeated label"):
        mg.einsum("ii->i", mg.zeros(2, 2))
    with pytest.raises(ValueError, match=r"does not fit shapes \(2, 3\), \(2, 3\)"):
        mg.einsum("ij,jk->ik", a, a)


@given(ab=shapes().flatmap(lambda s: st.tuples(arrays(s), arrays(s), arrays(s))))
def test_where_on_tensors_method(device, ab):
    a, b, c = ab
    cond = c > 0
    check_op(lambda x, y: x.where(mg.tensor(cond, device=device), y), [a, b], lambda x, y: np.where(cond, x, y),
             device)


@given(x=shapes().flatmap(separated_arrays), data=st.data())
def test_clamp_with_tensor_bounds(device, x, data):
    lo = data.draw(separated_arrays(x.shape, offset=0.02)) - 0.5
    hi = lo + data.draw(positive_arrays(x.shape, 0.3, 1.5)) + 0.01
    # keep x away from the bounds: the kinks of clamp are not differentiable
    x = np.where(np.abs(x - lo) < 0.01, x + 0.04, x)
    x = np.where(np.abs(x - hi) < 0.01, x + 0.04, x)
    check_op(lambda t, a, b: t.clamp(a, b), [x, lo, hi], lambda t, a, b: np.minimum(np.maximum(t, a), b), device)
    check_op(lambda t, a: mg.clip(t, min=a), [x, lo], lambda t, a: np.maximum(t, a), device)


def test_clamp_gradients_go_to_the_bound_taken():
    x = make_tensor([-2.0, 0.0, 2.0], requires_grad=True)
    lo = make_tensor([-1.0, -1.0, -1.0], requires_grad=True)
    hi = make_tensor([1.0, 1.0, 1.0], requires_grad=True)
    x.clamp(lo, hi).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 0])
    np.testing.assert_array_equal(lo.grad.numpy(), [1, 0, 0])
    np.testing.assert_array_equal(hi.grad.numpy(), [0, 0, 1])


def test_abs_at_zero_has_subgradient_zero():
    x = make_tensor([0.0, -1.0, 2.0], requires_grad=True)
    (g,) = mg.grad(x.abs().sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), [0, -1, 1])
    assert mg.gradgradcheck(lambda t: t.abs(), [make_tensor([0.5, -1.0], requires_grad=True)])
