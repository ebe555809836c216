"""minigan/autograd.py, the user-facing side: backward, accumulation, detach, requires_grad rules,
retain_grad, no_grad, hooks, grad() and higher-order gradients, custom Functions."""
import numpy as np
import pytest

import minigan as mg
from minigan import Function


def test_backward_accumulates_like_pytorch(make):
    x = make([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 4, 6])
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5, 7, 9])  # added, not replaced
    x.zero_grad()
    assert x.grad is None
    (x ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 4, 6])


def test_a_tensor_used_twice_gets_both_contributions(make):
    x = make(3.0, requires_grad=True)
    y = x * x + x  # x reaches the output by three paths
    y.backward()
    assert x.grad.item() == pytest.approx(7.0)


def test_leaf_grads_own_their_memory(make):
    a, b = make([1.0, 2.0], requires_grad=True), make([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # Add hands the same gradient array to both inputs
    a.grad.array *= 10  # an optimiser may scale a gradient in place
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])
    assert 0 not in a.grad.array.strides + b.grad.array.strides  # not a broadcast view (CuPy has no writeable flag)
    a.grad = b.grad = None
    ((a + b) * make([2.0, 3.0])).sum().backward()  # now that gradient is a fresh array
    a.grad.array *= 10
    np.testing.assert_array_equal(b.grad.numpy(), [2.0, 3.0])
    g = make([1.0, 1.0])
    a.grad = None
    a.backward(g)  # the caller keeps the root gradient
    a.grad.array += 1
    np.testing.assert_array_equal(g.numpy(), [1.0, 1.0])


def test_default_dtype_is_float32_and_grads_keep_it(make):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert x.dtype == np.float32
    y = (x * 2.5 + 1).exp().mean()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_detach_cuts_the_graph_and_shares_data(make):
    x = make([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    y = (x * d).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])  # d is a constant


def test_requires_grad_rules(make):
    x = make([1.0, 2.0])
    assert not x.requires_grad
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    y = make([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="only be switched off on leaf tensors; use detach"):
        y.requires_grad_(False)


def test_integer_tensors_cannot_require_grad(make):
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients, got dtype int64"):
        mg.tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point dtype"):
        mg.arange(3).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point dtype"):
        make([1, 2], dtype=np.int32).requires_grad = True
    # an op on an integer tensor never makes a differentiable one
    x = make([1.0, 2.0], requires_grad=True)
    assert not x.argmax().requires_grad


def test_backward_on_non_scalar_needs_a_gradient(make):
    x = make([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"grad can be created implicitly only for scalar outputs, got shape \(2,\)"):
        y.backward()
    y.backward(make([1.0, -1.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -2.0])
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but the tensor has shape \(2,\)"):
        (x * 2).backward(make([1.0, 1.0, 1.0]))
    with pytest.raises(RuntimeError, match="does not require grad"):
        make([1.0]).backward()


def test_gradient_argument_may_be_an_array_and_is_cast(make):
    x = make([1.0, 2.0], dtype=np.float32, requires_grad=True)
    (x * 3).backward(np.array([1.0, 2.0]))  # float64 NumPy gradient for a float32 output
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 6.0])


def test_retain_grad_on_non_leaf(make):
    x = make([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    m = x * 5  # not retained
    y = (h * h + m).sum()
    y.backward(retain_graph=True)
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 12.0])
    assert m.grad is None
    y.backward()
    np.testing.assert_allclose(h.grad.numpy(), [12.0, 24.0])  # accumulates too


def test_no_grad_as_context_manager_and_decorator(make):
    x = make([1.0], requires_grad=True)
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        y = x * 2
        with mg.enable_grad():
            assert (x * 2).requires_grad
    assert mg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None

    @mg.no_grad()
    def called():
        return x * 2

    @mg.no_grad
    def bare():
        return x * 2

    assert not called().requires_grad and not bare().requires_grad
    assert bare.__name__ == "bare"
    assert mg.is_grad_enabled()
    with mg.set_grad_enabled(False):
        assert not (x * 2).requires_grad


def test_no_grad_restores_mode_after_an_exception(make):
    with pytest.raises(ValueError):
        with mg.no_grad():
            raise ValueError
    assert mg.is_grad_enabled()


def test_hooks_see_replace_and_remove(make):
    x = make([1.0, 2.0], requires_grad=True)
    h = x * 3
    seen = []
    handle = h.register_hook(lambda g: seen.append(g.numpy().copy()))
    h.register_hook(lambda g: g * 10)  # replaces the gradient flowing on
    (h * h).sum().backward()
    np.testing.assert_allclose(seen[0], [6.0, 12.0])
    np.testing.assert_allclose(x.grad.numpy(), [180.0, 360.0])

    leaf_handle = x.register_hook(lambda g: g * 0)
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    leaf_handle.remove()
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        make([1.0]).register_hook(lambda g: g)


def test_tensor_and_module_hooks_share_one_handle(make):
    x = make([1.0, 2.0], requires_grad=True)
    seen = []
    with x.register_hook(lambda g: seen.append(1)) as handle:
        (x * 1).sum().backward()
    (x * 1).sum().backward()  # removed at the end of the block
    assert seen == [1] and isinstance(handle, mg.nn.RemovableHandle)
    assert type(mg.nn.Linear(1, 1).register_forward_hook(lambda *a: None)) is type(handle)


def test_a_hook_returning_the_wrong_shape_raises_at_once(make):
    w = make(np.ones((2, 2)), requires_grad=True)
    w.register_hook(lambda g: mg.ones(3))
    with pytest.raises(RuntimeError, match=r"shape \(3,\) for a tensor of shape \(2, 2\)"):
        (w * 2).sum().backward()
    h = w * 2  # a non-leaf: the same check
    h.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match=r"shape \(\) for a tensor of shape \(2, 2\)"):
        h.sum().backward()


def test_assigning_a_grad_checks_its_shape(make):
    x = make([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"assigned grad has shape \(5,\) but the tensor has shape \(2,\)"):
        x.grad = mg.ones(5)
    with pytest.raises(TypeError, match="must be a Tensor or None"):
        x.grad = [1.0, 2.0]
    assert x.grad is None
    if x.device.type != "cpu":
        with pytest.raises(RuntimeError, match=r"assigned grad is on cpu but the tensor is on cuda"):
            x.grad = mg.ones(2)
    x.grad = mg.ones(2).to(x.device)
    (x * 2).sum().backward()  # a valid assignment accumulates as before
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_to_an_unknown_name_says_it_is_neither_device_nor_dtype(make):
    x = make([1.0])
    with pytest.raises(TypeError, match=r"'gpu' is neither a device \('cpu', 'cuda', 'cuda:N'\) nor a dtype"):
        x.to("gpu")
    assert x.to("float64").dtype == np.float64 and x.to(x.device) is x
    with pytest.raises(TypeError, match=r"'gpu' is neither a device \('cpu', 'cuda', 'cuda:N'\) nor a dtype"):
        mg.nn.Linear(2, 2).to("gpu")  # a Module says the same


def test_grad_api(make):
    x = make([1.0, 2.0], requires_grad=True)
    w = make([3.0, -1.0], requires_grad=True)
    unused = make([0.0], requires_grad=True)
    y = (x * w).sum()
    gx, gw = mg.grad(y, [x, w], retain_graph=True)
    np.testing.assert_allclose(gx.numpy(), [3.0, -1.0])
    np.testing.assert_allclose(gw.numpy(), [1.0, 2.0])
    assert x.grad is None and w.grad is None  # grad() leaves .grad alone
    assert not gx.requires_grad

    with pytest.raises(RuntimeError, match=r"input 1 \(shape \(1,\)\) was not used.*allow_unused=True"):
        mg.grad(y, [x, unused], retain_graph=True)
    gx2, none = mg.grad(y, [x, unused], allow_unused=True, retain_graph=True)
    assert none is None
    with pytest.raises(RuntimeError, match="input 0 does not require grad"):
        mg.grad(y, [make([1.0])])
    # grad_outputs weights the outputs; a single tensor is accepted for a single output
    z = x * w
    (gx3,) = mg.grad(z, x, grad_outputs=make([1.0, 10.0]))
    np.testing.assert_allclose(gx3.numpy(), [3.0, -10.0])


def test_grad_with_respect_to_an_intermediate_tensor(make):
    x = make([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = (h * h).sum()
    (gh,) = mg.grad(y, h, retain_graph=True)
    np.testing.assert_allclose(gh.numpy(), [4.0, 8.0])
    gh, gx = mg.grad(y, [h, x])
    np.testing.assert_allclose(gx.numpy(), [8.0, 16.0])


def test_higher_order_gradients(make):
    x = make([0.5, -1.0, 2.0], requires_grad=True)
    y = (x ** 3).sum()
    (g,) = mg.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), 3 * x.numpy() ** 2)
    assert g.requires_grad
    (h,) = mg.grad(g.sum(), x, create_graph=True)
    np.testing.assert_allclose(h.numpy(), 6 * x.numpy())
    (t,) = mg.grad(h.sum(), x)
    np.testing.assert_allclose(t.numpy(), [6.0, 6.0, 6.0])


def test_second_derivative_of_tanh_through_backward_create_graph(make):
    x = make([0.3, -0.7], requires_grad=True)
    y = mg.tanh(x).sum()
    y.backward(create_graph=True)
    g = x.grad  # 1 - tanh^2, itself differentiable
    assert g.requires_grad
    x.grad = None
    g.sum().backward()
    t = np.tanh(x.numpy())
    np.testing.assert_allclose(x.grad.numpy(), -2 * t * (1 - t ** 2))


def test_gradient_penalty_style_double_backward(make):
    # the WGAN-GP pattern: a loss on the norm of an input gradient, differentiated w.r.t. weights
    w = make([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    x = make([[0.2, 0.4]], requires_grad=True)
    out = mg.tanh(x @ w).sum()
    (gx,) = mg.grad(out, x, create_graph=True)
    penalty = ((gx * gx).sum().sqrt() - 1) ** 2
    penalty.backward()
    assert w.grad is not None and w.grad.shape == (2, 2) and np.isfinite(w.grad.numpy()).all()

    def penalty_of(w_):
        x_ = make([[0.2, 0.4]], requires_grad=True)
        (g_,) = mg.grad(mg.tanh(x_ @ w_).sum(), x_, create_graph=True)
        return ((g_ * g_).sum().sqrt() - 1) ** 2

    mg.gradcheck(penalty_of, [make(w.numpy(), requires_grad=True)])


def test_backward_function_with_several_roots(make):
    x = make([1.0, 2.0], requires_grad=True)
    mg.backward([(x * 2).sum(), (x * x).sum()])
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 6.0])
    mg.backward((x * 3).sum())
    np.testing.assert_allclose(x.grad.numpy(), [7.0, 9.0])


class Cube(Function):
    def forward(self, x):
        return x ** 3

    def backward(self, gy):
        (x,) = self.inputs
        return gy * 3 * x ** 2


class SplitSum(Function):
    """A two-output custom op: (sum of x, sum of x squared)."""

    def forward(self, x):
        return x.sum(), (x * x).sum()

    def backward(self, g_sum, g_sq):
        (x,) = self.inputs
        return g_sum.broadcast_to(x.shape) + g_sq * 2 * x


def test_custom_function_first_and_second_order(make):
    x = make([1.0, -2.0], requires_grad=True)
    y = Cube()(x)
    np.testing.assert_allclose(y.numpy(), [1.0, -8.0])
    assert y.creator.name == "Cube" and y.grad_fn.name() == "CubeBackward"
    mg.gradcheck(lambda t: Cube()(t), [x])
    mg.gradgradcheck(lambda t: Cube()(t), [x])


def test_custom_multi_output_function(make):
    x = make([1.0, 2.0, 3.0], requires_grad=True)
    s, q = SplitSum()(x)
    np.testing.assert_allclose([s.item(), q.item()], [6.0, 14.0])
    (s * 2 + q).backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 6.0, 8.0])
    x.grad = None
    SplitSum()(x)[1].backward()  # the first output is dropped unused: its gradient is zeros
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
    mg.gradcheck(lambda t: SplitSum()(t), [x])
    mg.gradgradcheck(lambda t: SplitSum()(t), [x])


def test_backward_returning_a_wrong_shape_is_reported(make):
    class Bad(Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            return gy.sum()

    with pytest.raises(RuntimeError, match=r"Bad.backward returned a gradient of shape \(\) for an input of shape \(3,\)"):
        Bad()(make([1.0, 2.0, 3.0], requires_grad=True)).sum().backward()


def test_to_and_dtype_conversion_is_differentiable(make):
    x = make([1.0, 2.0], dtype=np.float32, requires_grad=True)
    for y in (x.to(mg.float64), x.to("float64"), x.to(np.float64), x.double(), x.to("cpu", "float64")):
        assert y.dtype == np.float64 and y.requires_grad
    assert x.to(x.device) is x and x.float() is x
    (x.double() * 2).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_tensor_basics(make):
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.shape == (2, 2) and x.ndim == 2 and x.size() == (2, 2) and x.numel() == 4 and len(x) == 2
    assert x.is_leaf and x.device == "cpu" and str(x.device) == "cpu"
    assert x[1, 0].item() == 3.0 and float(x[0, 1]) == 2.0
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert isinstance(x.numpy(), np.ndarray)
    assert "tensor(" in repr(x) and "grad_fn=<MulBackward0>" in repr(mg.tensor([1.0], requires_grad=True) * 2)
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x)
    assert [row.shape for row in x] == [(2,), (2,)]
    # a new tensor never aliases the caller's array
    a = np.ones(3, dtype=np.float32)
    t = mg.tensor(a)
    a[0] = 5
    assert t.numpy()[0] == 1
    # 0-d results are arrays, never NumPy scalars
    s = (mg.tensor(2.0) * mg.tensor(3.0))
    assert isinstance(s.array, np.ndarray) and s.array.shape == ()
