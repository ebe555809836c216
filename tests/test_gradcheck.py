"""minigan/gradcheck.py: gradcheck and gradgradcheck pass right ops, and fail wrong ones with a
message naming the input, the element, both values and the largest error."""
import numpy as np
import pytest

import minigan as mg
from minigan import Function, GradcheckError, Tensor


class Cube(Function):
    def forward(self, x):
        return x ** 3

    def backward(self, gy):
        (x,) = self.inputs
        return gy * 3 * x ** 2


class WrongCube(Cube):
    def backward(self, gy):
        (x,) = self.inputs
        return gy * 2 * x ** 2  # should be 3 x^2


class ArrayCube(Cube):
    """Right first derivative from raw arrays: double backward sees a constant."""

    def backward(self, gy):
        (x,) = self.inputs
        return gy * Tensor(3 * x.data ** 2)


class WrongSecondInput(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        return gy * b, gy * a * 1.5  # the gradient for b is off


def test_passes_for_correct_ops(make):
    x = make(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    assert mg.gradcheck(lambda t: Cube()(t), [x]) is True
    assert mg.gradgradcheck(lambda t: Cube()(t), [x]) is True
    assert mg.gradcheck(lambda t: (t ** 3).tanh(), (mg.randn(4, dtype="float64", requires_grad=True),))
    assert mg.gradcheck(lambda t: Cube()(t), x)  # a single tensor needs no list


def test_wrong_backward_fails_with_a_precise_message(make):
    x = make([[0.5, -1.0], [2.0, 1.5]], requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        mg.gradcheck(lambda t: WrongCube()(t), [x])
    message = str(info.value)
    assert message.startswith("gradcheck failed for input 0 (shape (2, 2)) at element (0, 0): ")
    assert "analytical " in message and "numerical " in message and "largest error " in message
    # the values are d<v, f(x)>/dx for the random direction v: wrong one = 2/3 of right one
    analytical = float(message.split("analytical ")[1].split(",")[0])
    numerical = float(message.split("numerical ")[1].split(";")[0])
    assert analytical == pytest.approx(numerical * 2 / 3, rel=1e-5)
    assert mg.gradcheck(lambda t: WrongCube()(t), [x], raise_exception=False) is False


def test_failure_names_the_right_input(make):
    a, b = make([1.0, 2.0], requires_grad=True), make([3.0, -4.0], requires_grad=True)
    with pytest.raises(GradcheckError, match=r"gradcheck failed for input 1 \(shape \(2,\)\) at element \(0,\)"):
        mg.gradcheck(lambda p, q: WrongSecondInput()(p, q), [a, b])
    # inputs that do not require grad are not checked
    assert mg.gradcheck(lambda p, q: WrongSecondInput()(p, q), [a, make([3.0, -4.0])])


def test_gradgradcheck_catches_a_backward_built_from_raw_arrays(make):
    x = make([0.5, -1.0, 2.0], requires_grad=True)
    assert mg.gradcheck(lambda t: ArrayCube()(t), [x])  # first order is right...
    with pytest.raises(GradcheckError,
                       match=r"gradgradcheck \(second derivatives\) failed for input 0 \(shape \(3,\)\) at element "
                             r"\(\d,\): analytical 0, numerical -?[\d.]+; largest error"):
        mg.gradgradcheck(lambda t: ArrayCube()(t), [x])  # ...second order is not


def test_gradgradcheck_with_given_grad_outputs(make):
    x = make([0.3, 0.7], requires_grad=True)
    v = make([1.0, -2.0], requires_grad=True)
    assert mg.gradgradcheck(lambda t: t.tanh() * t, [x], [v])


def test_input_checks(make):
    with pytest.raises(ValueError, match=r"gradcheck: input 0 is float32; use float64"):
        mg.gradcheck(lambda t: t * 2, [make([1.0], dtype=np.float32, requires_grad=True)])
    with pytest.raises(ValueError, match="no input requires grad"):
        mg.gradcheck(lambda t: t * 2, [make([1.0])])
    with pytest.raises(ValueError, match="no input requires grad"):
        mg.gradgradcheck(lambda t: t * 2, [make([1.0])])


def test_non_contiguous_input(make):
    x = make(np.arange(6.0).reshape(2, 3) / 5)
    xt = mg.tensor(x.data.T, requires_grad=True)  # tensor() copies, so make a view by hand:
    xt.data = xt.xp.ascontiguousarray(xt.data).T.copy().T
    assert not xt.data.flags.c_contiguous
    assert mg.gradcheck(lambda t: (t * t).sum(axis=0), [xt])


def test_nan_gradient_fails(make):
    class NanGrad(Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            return gy * float("nan")

    with pytest.raises(GradcheckError, match="analytical nan"):
        mg.gradcheck(lambda t: NanGrad()(t), [make([1.0], requires_grad=True)])


def test_functions_with_several_outputs_and_constants(make):
    x = make([1.0, 2.0, 3.0], requires_grad=True)
    assert mg.gradcheck(lambda t: (t.exp(), t.sum(), mg.argmax(t)), [x])  # int outputs are skipped
    assert mg.gradcheck(lambda t: mg.split(t, 1), [x])
