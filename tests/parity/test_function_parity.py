"""Parity with PyTorch: one custom Function source runs under both, and grad_fn names match torch's.

PyTorch is only the reference here: minigan itself never imports it.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import minigan as mg  # noqa: E402
import minigan.nn.functional as F  # noqa: E402


def _define(lib):
    """The PyTorch docs' custom-Function pattern, written once for either library."""

    class LinearFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input, weight, bias=None, scale=1.0):
            ctx.save_for_backward(input, weight, bias)
            ctx.scale = scale
            output = (input @ weight.t()) * scale
            if bias is not None:
                output = output + bias
            return output

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = (grad_output @ weight) * ctx.scale
            if ctx.needs_input_grad[1]:
                grad_weight = (grad_output.t() @ input) * ctx.scale
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias, None

    return LinearFunction


def test_the_same_custom_function_source_gives_torch_s_gradients():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in [(4, 3), (2, 3), (2,)]]
    ours = [mg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_ours = _define(mg).apply(*ours, 0.5)
    out_theirs = _define(torch).apply(*theirs, 0.5)
    np.testing.assert_allclose(out_ours.numpy(), out_theirs.detach().numpy(), rtol=1e-12)
    assert type(out_ours.grad_fn).__name__ == type(out_theirs.grad_fn).__name__ == "LinearFunctionBackward"
    (out_ours ** 2).sum().backward()
    (out_theirs ** 2).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10)


def test_double_backward_through_a_custom_function_matches_torch():
    x = np.array([0.3, -1.2, 2.0])
    grads = []
    for lib in (mg, torch):
        t = lib.tensor(x, requires_grad=True)
        y = _define(lib).apply(t.reshape(1, 3), lib.tensor(np.eye(3)), None, 2.0)
        g, = lib.autograd.grad((y ** 3).sum(), t, create_graph=True)
        gg, = lib.autograd.grad(g.sum(), t)
        grads.append(gg.detach().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10)


CASES = {
    "add": lambda lib, x: x + x, "mul": lambda lib, x: x * 2, "div": lambda lib, x: x / (x + 3),
    "pow": lambda lib, x: x ** 2, "exp": lambda lib, x: x.exp(), "sum": lambda lib, x: x.sum(),
"reshape": lambda lib, x: x.reshape(3, 2),
    "tanh": lambda lib, x: x.tanh(), "sigmoid": lambda lib, x: x.sigmoid(), "abs": lambda lib, x: x.abs(),
    "matmul": lambda lib, x: x @ x.T, "cat": lambda lib, x: lib.cat([x, x]), "max": lambda lib, x: x.max(),
    "relu": lambda lib, x: lib.nn.functional.relu(x), "clone": lambda lib, x: x.clone(),
    "conv": lambda lib, x: lib.nn.functional.conv2d(x.reshape(1, 1, 2, 3), x.reshape(1, 1, 2, 3)[..., :2, :2] * 1),
    "mse": lambda lib, x: lib.nn.functional.mse_loss(x, x.detach() * 2),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_grad_fn_names_match_torch(name):
    x = np.arange(6.0).reshape(2, 3) + 1
    ours = CASES[name](mg, mg.tensor(x, requires_grad=True))
    theirs = CASES[name](torch, torch.tensor(x, requires_grad=True))
    assert type(ours.grad_fn).__name__ == type(theirs.grad_fn).__name__
    if name == "conv":
        return  # torch's convolution node has a third edge, for the bias (None here); minigan's has two
    assert [n is None for n, _ in ours.grad_fn.next_functions] == [n is None for n, _ in theirs.grad_fn.next_functions]


def test_leaky_relu_name_matches():
    x = np.ones(3)
    ours = F.leaky_relu(mg.tensor(x, requires_grad=True), 0.2)
    theirs = torch.nn.functional.leaky_relu(torch.tensor(x, requires_grad=True), 0.2)
    assert ours.grad_fn.name() == theirs.grad_fn.name()
