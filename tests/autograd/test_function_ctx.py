"""PyTorch's custom-Function protocol (static forward/backward with a ctx, Function.apply), beside minigan's own."""
import gc
import weakref

import numpy as np
import pytest
from conftest import arrays, shapes
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan.autograd import Function
from minigan.testing import check_op


class Exp(Function):
    """Saves its output: double backward must flow through the saved output."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        y, = ctx.saved_tensors
        return grad_output * y


class ScaledPow(Function):
    """A non-Tensor argument (its gradient is None) and a saved input; ctx attributes."""

    @staticmethod
    def forward(ctx, x, power, scale=1.0):
        ctx.save_for_backward(x)
        ctx.power, ctx.scale = power, scale
        return x ** power * scale

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * ctx.scale * ctx.power * x ** (ctx.power - 1), None, None


class MulAdd(Function):
    """Two Tensor inputs, two outputs; needs_input_grad decides what backward computes."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b, a + b

    @staticmethod
    def backward(ctx, grad_product, grad_sum):
        a, b = ctx.saved_tensors
        ga = grad_product * b + grad_sum if ctx.needs_input_grad[0] else None
        gb = grad_product * a + grad_sum if ctx.needs_input_grad[1] else None
        return ga, gb


class Square(Function):
    """forward without ctx plus setup_context (PyTorch 2's split form)."""

    @staticmethod
    def forward(x):
        return x * x

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, = inputs
        ctx.save_for_backward(x)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return 2 * x * grad_output


@given(data=st.data())
def test_exp_first_and_second_order(device, data):
    x = data.draw(shapes().flatmap(arrays))
    check_op(Exp.apply, [x], np.exp, device)


@given(data=st.data())
def test_non_tensor_arguments_and_ctx_attributes(device, data):
    x = data.draw(shapes().flatmap(lambda s: arrays(s, 0.5, 2.0)))
    check_op(lambda t: ScaledPow.apply(t, 3, 0.5), [x], lambda a: a ** 3 * 0.5, device)


@given(data=st.data())
def test_two_inputs_two_outputs(device, data):
    a, b = data.draw(shapes().flatmap(lambda s: st.tuples(arrays(s), arrays(s))))
    check_op(lambda s, t: MulAdd.apply(s, t), [a, b], lambda p, q: (p * q, p + q), device)


@given(data=st.data())
def test_setup_context_form(device, data):
    x = data.draw(shapes().flatmap(arrays))
    check_op(Square.apply, [x], np.square, device)


def test_forward_sees_tensors_with_grad_disabled_and_needs_input_grad(make):
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, y, n):
            seen.update(grad=mg.is_grad_enabled(), types=(type(x), type(n)), needs=ctx.needs_input_grad,
                        ctx=type(ctx).__name__)
            return x * y * n

        @staticmethod
        def backward(ctx, g):
            seen["backward_needs"] = ctx.needs_input_grad
            return g, g, None

    x = make([1.0, 2.0], requires_grad=True)
    out = Probe.apply(x, make([3.0, 4.0]), 2)
    assert seen == {"grad": False, "types": (mg.Tensor, int), "needs": (True, False, False), "ctx": "ProbeBackward"}
    assert out.requires_grad and type(out.grad_fn).__name__ == "ProbeBackward"
    out.sum().backward()
    assert seen["backward_needs"] == (True, False, False)
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_needs_input_grad_in_backward_follows_grad_inputs(make):
    a, b = make([1.0, 2.0], requires_grad=True), make([3.0, 4.0], requires_grad=True)
    product, _ = MulAdd.apply(a, b)
    ga, = mg.grad(product.sum(), [a])  # only a is asked for: b's gradient is not computed
    np.testing.assert_allclose(ga.numpy(), [3.0, 4.0])


def test_no_grad_records_nothing(make):
    x = make([1.0], requires_grad=True)
    with mg.no_grad():
        y = Exp.apply(x)
    assert not y.requires_grad and y.grad_fn is None


def test_mark_non_differentiable_and_integer_outputs(make):
    class ValuesAndIndex(Function):
        @staticmethod
        def forward(ctx, x):
            doubled, mask = x * 2, (x > 0).to(x.dtype)
            ctx.mark_non_differentiable(mask)
            return doubled, mask, x.argmax()

        @staticmethod
        def backward(ctx, g_doubled, g_mask, g_index):
            assert float(g_mask.abs().sum()) == 0.0  # materialised zeros for the unused output
            return g_doubled * 2

    x = make([-1.0, 2.0], requires_grad=True)
    doubled, mask, index = ValuesAndIndex.apply(x)
    assert doubled.requires_grad and not mask.requires_grad and not index.requires_grad
    assert mask.grad_fn is None
    doubled.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_set_materialize_grads_false_passes_none(make):
    received = []

    class Pair(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g_first, g_second):
            received.append((g_first is None, g_second is None))
            return g_first * 2

    x = make([1.0], requires_grad=True)
    first, _ = Pair.apply(x)
    first.sum().backward()
    assert received == [(False, True)]


def test_mark_dirty_returns_the_input_now_made_by_the_step(make):
    class DoubleInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    x = make([1.0, -3.0], requires_grad=True)
    h = x * 1
    out = DoubleInPlace.apply(h)
    assert out is h and type(h.grad_fn).__name__ == "DoubleInPlaceBackward" and h._version == 1
    (h * h).sum().backward()  # d/dx (2x)^2 = 8x
    np.testing.assert_allclose(x.grad.numpy(), [8.0, -24.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in an in-place"):
        DoubleInPlace.apply(x)
    saved = x.exp()  # Exp saves its output: changing it in place must fail at backward
    DoubleInPlace.apply(saved)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        saved.sum().backward()


def test_version_counter_catches_a_saved_input_changed_later(make):
    h = make([1.0, 2.0], requires_grad=True) * 1
    y = ScaledPow.apply(h, 2)
    h.add_(1.0)
    with pytest.raises(RuntimeError, match=r"input 0 of ScaledPow\) is at version 1; expected version 0"):
        y.sum().backward()


def test_anomaly_names_the_backward_and_the_user_line(make):
    class NanBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = make([1.0], requires_grad=True)
    with mg.autograd.detect_anomaly():
        y = NanBackward.apply(x)  # the-creation-line
        with pytest.raises(RuntimeError, match="Function 'NanBackwardBackward' returned nan values") as info:
            y.sum().backward()
    assert "the-creation-line" in str(info.value)


def test_backward_twice_and_saved_tensors_after_free(make):
    x = make([1.0], requires_grad=True)
    y = Exp.apply(x)
    node = y.grad_fn
    assert len(node.saved_tensors) == 1  # PyTorch's grad_fn is the ctx: its attributes show through
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        node.saved_tensors
    with pytest.raises(RuntimeError, match="a second time"):
        y.sum().backward()
    z = Exp.apply(x)
    z.sum().backward(retain_graph=True)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.exp([1.0]))


def test_wrong_gradient_count_and_shape_name_the_function(make):
    def make_function(backward_fn):
        class Bad(Function):
            @staticmethod
            def forward(ctx, x, n=2):
                return x * n

            backward = staticmethod(backward_fn)

        return Bad

    x = make([1.0, 2.0, 3.0], requires_grad=True)
    cases = [
        (lambda ctx, g: g, r"function BadBackward returned an incorrect number of gradients \(expected 2, got 1\)"),
        (lambda ctx, g: (g, None, g), r"incorrect number of gradients \(expected 2, got 3\)"),
        (lambda ctx, g: (g, g), "returned a gradient different than None at position 2, but the corresponding "
                                "forward input was not a Tensor"),
        (lambda ctx, g: (g[:2], None), r"Function BadBackward returned an invalid gradient at index 0 - got \[2\] but "
                                       r"expected shape compatible with \[3\]"),
        (lambda ctx, g: (np.ones(3), None), "returned a ndarray at position 1; expected a Tensor or None"),
    ]
    for backward, message in cases:
        with pytest.raises((RuntimeError, TypeError), match=message):
            make_function(backward).apply(x, 3).sum().backward()
    # extra Nones are allowed, and a gradient that broadcasts over the input is summed down to it
    make_function(lambda ctx, g: (g, None, None)).apply(x, 3).sum().backward()
    make_function(lambda ctx, g: (g.reshape(1, 3).broadcast_to((2, 3)), None)).apply(x, 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0, 3.0])


def test_protocol_errors():
    with pytest.raises(TypeError, match=r"Plain.forward\(ctx, ...\) must be a @staticmethod"):
        class Plain(Function):
            def forward(ctx, x):
                return x

    with pytest.raises(TypeError, match="needs a @staticmethod backward"):
        class HalfStatic(Function):
            @staticmethod
            def forward(ctx, x):
                return x

            def backward(self, g):
                return g

    with pytest.raises(RuntimeError, match=r"call Exp.apply\(...\), not Exp\(\)\(...\)"):
        Exp()(mg.tensor([1.0]))
    with pytest.raises(TypeError, match="must return Tensors, got int for output 0"):
        class ReturnsInt(Function):
            @staticmethod
            def forward(ctx, x):
                return 3

            @staticmethod
            def backward(ctx, g):
                return g

        ReturnsInt.apply(mg.tensor([1.0], requires_grad=True))
    with pytest.raises(TypeError, match="save_for_backward: argument 0 is a float"):
        class SavesFloat(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(1.0)
                return x * 1

            @staticmethod
            def backward(ctx, g):
                return g

        SavesFloat.apply(mg.tensor([1.0]))


def test_minigan_protocol_unchanged_and_apply_works_for_it(make):
    class Cube(Function):
        def forward(self, x):
            return x ** 3

        def backward(self, gy):
            x, = self.inputs
            return gy * 3 * x ** 2

    x = make([2.0], requires_grad=True)
    Cube.apply(x).sum().backward()
    Cube()(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [24.0])


def test_graph_is_freed_without_a_collector(make):
    x = make(np.ones(50), requires_grad=True)
    gc.disable()
    try:
        y = Exp.apply(x * 2)  # saves its output: no reference cycle may come of it
        data = weakref.ref(y.array)
        step = weakref.ref(y.creator)
        del y
        assert data() is None and step() is None
    finally:
        gc.enable()

