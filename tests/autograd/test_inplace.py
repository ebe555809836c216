"""In-place ops (x[key] = v, add_, mul_, ...) and the version counters that guard the backward pass."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigan as mg
from minigan import nn
from conftest import arrays, make_tensor, shapes

VERSION_ERROR = "modified by an inplace operation"


def _setitem(key):
    def fn(x, v):
        y = x * 1.0
        y[key] = v
        return y
    return fn


# ---- __setitem__ is differentiable ----------------------------------------------------------------

@given(st.data())
def test_setitem_gradcheck_and_gradgradcheck(data):
    shape = data.draw(shapes(min_dims=1), label="shape")
    x = make_tensor(data.draw(arrays(shape)), requires_grad=True)
    axis0 = shape[0]
    start = data.draw(st.integers(0, axis0 - 1), label="start")
    key = (slice(start, axis0),)
    slot = np.empty(shape)[key].shape
    v = make_tensor(data.draw(arrays(slot[-1:] if data.draw(st.booleans()) else slot)), requires_grad=True)
    fn = _setitem(key)
    assert mg.gradcheck(fn, (x, v))
    assert mg.gradgradcheck(fn, (x, v))


def test_setitem_gradient_values_mask_and_value():
    x = make_tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    v = make_tensor([10.0, 20.0, 30.0], requires_grad=True)
    y = x * 2.0
    y[1] = v
    (y * make_tensor(np.arange(1.0, 7.0).reshape(2, 3))).sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), [[0, 2, 4], [10, 20, 30]])
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 4, 6], [0, 0, 0]])  # unmasked part only
    np.testing.assert_array_equal(v.grad.numpy(), [4, 5, 6])


def test_setitem_boolean_mask_and_scalar():
    x = make_tensor([1.0, -2.0, 3.0, -4.0], requires_grad=True)
    y = x * 3.0
    y[x.detach() < 0] = 0.0
    y.sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), [3, 0, 9, 0])
    np.testing.assert_array_equal(x.grad.numpy(), [3, 0, 3, 0])


def test_setitem_outside_graph_writes_the_same_array():
    t = mg.zeros(2, 3)
    arr = t.array
    t[0, 1] = 5.0
    assert t.array is arr and arr[0, 1] == 5.0 and t._version == 1


# ---- the other in-place ops, differentiable inside the graph ------------------------------------

@pytest.mark.parametrize("name, apply", [
    ("add_", lambda y, w: y.add_(w, alpha=0.5)),
    ("sub_", lambda y, w: y.sub_(w)),
    ("mul_", lambda y, w: y.mul_(w)),
    ("div_", lambda y, w: y.div_(w + 3.0)),
    ("clamp_", lambda y, w: y.clamp_(-0.5, 0.7)),
    ("copy_", lambda y, w: y.copy_(w * w)),
    ("fill_", lambda y, w: y.fill_(w.sum())),
    ("zero_", lambda y, w: y.zero_() + w),
])
def test_inplace_ops_gradcheck(name, apply):
    rng = np.random.default_rng(1)
    x = make_tensor(rng.uniform(-1, 1, (2, 3)), requires_grad=True)
    w = make_tensor(rng.uniform(-1, 1, (2, 3)), requires_grad=True)

    def fn(x, w):
        y = x * x + 0.1
        out = apply(y, w)
        return out if out is not None else y

    assert mg.gradcheck(fn, (x, w))
    assert mg.gradgradcheck(fn, (x, w))


def test_inplace_returns_self_and_matches_out_of_place():
    x = make_tensor([1.0, 2.0, 3.0])
    assert x.add_(1.0) is x
    x.mul_(2.0).sub_(1.0).div_(2.0)
    np.testing.assert_allclose(x.numpy(), [1.5, 2.5, 3.5])
    x.clamp_(max=2.0)
    np.testing.assert_allclose(x.numpy(), [1.5, 2.0, 2.0])
    x.fill_(7.0)
    np.testing.assert_allclose(x.numpy(), [7, 7, 7])
    x.zero_()
    np.testing.assert_allclose(x.numpy(), [0, 0, 0])
    x.copy_(np.array([4.0, 5.0, 6.0]))
    np.testing.assert_allclose(x.numpy(), [4, 5, 6])
    assert x._version == 8


def test_plain_tensor_joins_the_graph_through_an_inplace_op():
    t = make_tensor([1.0, 2.0])
    w = make_tensor([3.0, 4.0], requires_grad=True)
    t.mul_(w)
    assert t.requires_grad and t.grad_fn is not None
    t.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0])


# ---- version counters -----------------------------------------------------------------------------

def test_saved_input_modified_raises_pytorch_message():
    a = mg.randn(3, requires_grad=True)
    b = a * 1.0
    b.add_(1.0)                   # version 1
    c = b * a                     # Mul saves b at version 1
    b.add_(1.0)                   # version 2
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: tensor of shape \(3,\).*"
                                           r"input 0 of Mul\) is at version 2; expected version 1"):
        c.sum().backward()


def test_saved_output_modified_raises():
    x = mg.randn(4, requires_grad=True)
    y = x.exp()
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"output 0 of Exp\) is at version 1; expected version 0"):
        y.sum().backward()


def test_modification_under_no_grad_is_caught_too():
    w = mg.randn(3, requires_grad=True)
    x = mg.randn(3)
    y = (w * x).sum()
    with mg.no_grad():
        x.mul_(2.0)
    with pytest.raises(RuntimeError, match=VERSION_ERROR):
        y.backward()


def test_detach_shares_the_version_counter():
    x = mg.randn(3, requires_grad=True)
    y = x.exp()
    y.detach().zero_()
    assert y._version == 1
    with pytest.raises(RuntimeError, match=VERSION_ERROR):
        y.sum().backward()


def test_modification_before_use_is_fine():
    x = make_tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    y.add_(1.0)
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * (2 * x.numpy() + 1))


def test_leaf_requiring_grad_in_place_raises_outside_no_grad():
    p = mg.randn(3, requires_grad=True)
    for op in (lambda: p.add_(1.0), lambda: p.zero_(), lambda: p.__setitem__(0, 1.0)):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            op()
    with mg.no_grad():
        p.add_(1.0)
        p[0] = 0.0
    assert p._version == 2 and p.array[0] == 0


def test_inplace_on_a_view_in_the_graph_is_refused():
    x = mg.randn(2, 3, requires_grad=True)
    v = (x * 1.0).reshape(6)
    with pytest.raises(RuntimeError, match="is a view of another array"):
        v.add_(1.0)


def test_inplace_errors_name_the_problem():
    x = mg.zeros(3)
    with pytest.raises(ValueError, match=r"add_: the result has shape \(2, 3\)"):
        x.add_(mg.zeros(2, 3))
    i = mg.tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match="mul_: result type float"):
        i.mul_(0.5)


def test_optimiser_updates_through_data_stay_unversioned_and_work():
    model = nn.Linear(3, 2)
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    x = mg.randn(4, 3)
    before, version = model.weight.array.copy(), model.weight._version  # nn.init wrote it through copy_
    model(x).sum().backward()
    opt.step()
    assert not np.array_equal(before, model.weight.array)
    assert model.weight._version == version  # p.array writes are PyTorch's .data: no version bump
    model(x).sum().backward()          # and the graph of the next step is unaffected


def test_nn_init_works_in_place_on_parameters():
    lin = nn.Linear(3, 2)
    nn.init.zeros_(lin.weight)
    assert np.all(lin.weight.array == 0)
    with mg.no_grad():
        lin.weight.fill_(1.5)
    assert np.all(lin.weight.array == 1.5)
