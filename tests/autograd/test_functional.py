"""minigan.autograd.functional: vjp, jvp, jacobian, hessian, hvp, vhp against finite differences,
with tuples of inputs/outputs, create_graph and strict (torch parity is in tests/parity/test_layers.py)."""
import numpy as np
import pytest
from conftest import arrays, make_tensor, shapes
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp

EPS = 1e-6


def numeric_jacobian(f, arrays_in, k):
    """d f(arrays)/d arrays[k] by central differences, shape out.shape + in.shape."""
    base = [a.copy() for a in arrays_in]
    out = np.asarray(f(*base))
    jac = np.zeros(out.shape + base[k].shape)
    for idx in np.ndindex(*base[k].shape):
        plus = [a.copy() for a in base]
        minus = [a.copy() for a in base]
        plus[k][idx] += EPS
        minus[k][idx] -= EPS
        jac[(Ellipsis,) + idx] = (np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * EPS)
    return jac


def tensor_fn(x, y):
    return (x.tanh() * y).sum(axis=-1) + (x * x).sin().mean()


def numpy_fn(x, y):
    return (np.tanh(x) * y).sum(axis=-1) + np.sin(x * x).mean()


def scalar_fn(x, y):
    return ((x.tanh() * y).sum() + (x * x * y).sum()) * 0.5


def scalar_np(x, y):
    return ((np.tanh(x) * y).sum() + (x * x * y).sum()) * 0.5


@given(shape=shapes(min_dims=1, max_dims=2), data=st.data())
def test_jacobian_matches_finite_differences(shape, data):
    a, b = data.draw(arrays(shape)), data.draw(arrays(shape[-1:]))
    J = jacobian(tensor_fn, (make_tensor(a), make_tensor(b)))
    for k in range(2):
        np.testing.assert_allclose(J[k].numpy(), numeric_jacobian(numpy_fn, [a, b], k), atol=1e-7)
    single = jacobian(lambda x: x.exp(), make_tensor(a))
    np.testing.assert_allclose(single.numpy(), numeric_jacobian(np.exp, [a], 0), rtol=1e-6, atol=1e-7)


@given(shape=shapes(min_dims=1, max_dims=2), data=st.data())
def test_vjp_and_jvp_match_the_jacobian(shape, data):
    a, b = data.draw(arrays(shape)), data.draw(arrays(shape[-1:]))
    J = [numeric_jacobian(numpy_fn, [a, b], k) for k in range(2)]
    out_shape = J[0].shape[:len(J[0].shape) - len(shape)]
    rng = np.random.default_rng(0)
    v_out = rng.standard_normal(out_shape)
    v_in = (rng.standard_normal(shape), rng.standard_normal(shape[-1:]))
    out, (ga, gb) = vjp(tensor_fn, (make_tensor(a), make_tensor(b)), make_tensor(v_out))
    np.testing.assert_allclose(out.numpy(), numpy_fn(a, b), rtol=1e-12)
    np.testing.assert_allclose(ga.numpy(), np.tensordot(v_out, J[0], v_out.ndim), atol=1e-7)
    np.testing.assert_allclose(gb.numpy(), np.tensordot(v_out, J[1], v_out.ndim), atol=1e-7)
    _, jv = jvp(tensor_fn, (make_tensor(a), make_tensor(b)), tuple(make_tensor(v) for v in v_in))
    expected = np.tensordot(J[0], v_in[0], len(shape)) + np.tensordot(J[1], v_in[1], 1)
    np.testing.assert_allclose(jv.numpy(), expected, atol=1e-7)


@given(shape=shapes(min_dims=1, max_dims=2), data=st.data())
def test_hessian_hvp_vhp_match_finite_differences(shape, data):
    a, b = data.draw(arrays(shape)), data.draw(arrays(shape[-1:]))
    n = a.size

    def grad_np(x, y):  # the gradient of scalar_np in closed form, flattened over both inputs
        gx = 0.5 * ((1 - np.tanh(x) ** 2) * y + 2 * x * y)
        gy = 0.5 * (np.tanh(x) + x * x).reshape(-1, y.size).sum(0)
        return np.concatenate([gx.reshape(-1), gy])

    H = mg.autograd.functional.hessian(scalar_fn, (make_tensor(a), make_tensor(b)))
    full = np.block([[H[0][0].numpy().reshape(n, n), H[0][1].numpy().reshape(n, b.size)],
                     [H[1][0].numpy().reshape(b.size, n), H[1][1].numpy().reshape(b.size, b.size)]])
    numeric = np.concatenate([numeric_jacobian(grad_np, [a, b], k).reshape(n + b.size, -1) for k in range(2)], 1)
    np.testing.assert_allclose(full, numeric, atol=1e-7)
    v = (np.random.default_rng(1).standard_normal(shape), np.random.default_rng(2).standard_normal(b.shape))
    flat_v = np.concatenate([v[0].reshape(-1), v[1].reshape(-1)])
    for transform in (hvp, vhp):
        value, (ha, hb) = transform(scalar_fn, (make_tensor(a), make_tensor(b)), tuple(make_tensor(u) for u in v))
        np.testing.assert_allclose(value.numpy(), scalar_np(a, b), rtol=1e-12)
        hv = full @ flat_v
        np.testing.assert_allclose(np.concatenate([ha.numpy().reshape(-1), hb.numpy().reshape(-1)]), hv,
                                   atol=1e-8)


def test_single_tensor_inputs_give_single_results():
    x = make_tensor([1.0, 2.0])
    assert isinstance(jacobian(lambda t: t * 2, x), mg.Tensor)
    np.testing.assert_allclose(hessian(lambda t: (t ** 3).sum(), x).numpy(), np.diag([6.0, 12.0]))
    out, g = vjp(lambda t: (t ** 2).sum(), x)
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
    out, h = hvp(lambda t: (t ** 3).sum(), x, mg.ones(2, dtype="float64"))
    np.testing.assert_allclose(h.numpy(), [6.0, 12.0])
    assert not out.requires_grad and not h.requires_grad


def test_tuple_outputs_nest_as_torch():
    x, y = make_tensor([1.0, 2.0]), make_tensor([3.0])
    J = jacobian(lambda a, b: (a * b, b.exp()), (x, y))
    assert [[j.shape for j in row] for row in J] == [[(2, 2), (2, 1)], [(1, 2), (1, 1)]]
    np.testing.assert_allclose(J[0][1].numpy(), [[1.0], [2.0]])
    np.testing.assert_array_equal(J[1][0].numpy(), [[0.0, 0.0]])


def test_create_graph_results_are_differentiable():
    x = make_tensor([0.5, -1.0], requires_grad=True)
    _, g = vjp(lambda t: (t ** 3).sum(), x, create_graph=True)
    (gx,) = mg.grad(g.sum(), x)
    np.testing.assert_allclose(gx.numpy(), 6 * x.numpy())
    H = hessian(lambda t: (t ** 4).sum(), x, create_graph=True)
    H.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 24 * x.numpy())
    _, jv = jvp(lambda t: t.sin(), x, mg.ones(2, dtype="float64"), create_graph=True)
    (gj,) = mg.grad(jv.sum(), x)
    np.testing.assert_allclose(gj.numpy(), -np.sin(x.numpy()))


def test_strict_raises_for_an_independent_input():
    x, y = make_tensor([1.0]), make_tensor([2.0])
    for transform, args in ((jacobian, ()), (vjp, ()), (jvp, ((mg.ones(1, dtype="float64"),) * 2,)),
                            (hvp, ((mg.ones(1, dtype="float64"),) * 2,))):
        f = (lambda a, b: (a * a).sum())
        with pytest.raises(RuntimeError, match="independent of input 1|strict"):
            transform(f, (x, y), *args, strict=True)
        transform(f, (x, y), *args)  # strict=False: zeros


def test_bad_v_names_the_problem():
    x = make_tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"entry 0 of v has shape \(3,\) but outputs 0 has shape \(2,\)"):
        vjp(lambda t: t * 2, x, mg.ones(3, dtype="float64"))
    with pytest.raises(RuntimeError, match="v may be omitted only"):
        vjp(lambda t: t * 2, x)
    with pytest.raises(TypeError, match="input 0 must be a minigan Tensor"):
        jacobian(lambda t: t, np.ones(2))
