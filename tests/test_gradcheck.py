"""minigan/gradcheck.py: gradcheck and gradgradcheck pass right ops, and fail wrong ones with a
message naming the input, the element, both values and the largest error."""
import sys

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
        return gy * Tensor(3 * x.array ** 2)


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
    # the worst element of the Jacobian itself: d out[1, 0] / d x[1, 0] = 3 * 2^2 = 12, analytical 2 * 2^2 = 8
    assert message.startswith("gradcheck failed for input 0 (shape (2, 2)) at element (1, 0): analytical 8, "
                              "numerical 12 (d output 0[1, 0] / d input 0[1, 0], one element of the Jacobian); "
                              "abs error 4, rel error 0.333, tolerance 0.012 (atol 1e-05 + rtol 0.001 * "
                              "|numerical|); 4 of 16 elements fail; largest error 4")
    assert "likely cause: the analytical values are 0.666667 times the numerical ones everywhere" in message
    assert mg.gradcheck(lambda t: WrongCube()(t), [x], raise_exception=False) is False


def test_failure_names_the_right_input(make):
    a, b = make([1.0, 2.0], requires_grad=True), make([3.0, -4.0], requires_grad=True)
    with pytest.raises(GradcheckError, match=r"^gradcheck failed for input 1 \(shape \(2,\)\) at element \(1,\)"):
        mg.gradcheck(lambda p, q: WrongSecondInput()(p, q), [a, b])
    # inputs that do not require grad are not checked
    assert mg.gradcheck(lambda p, q: WrongSecondInput()(p, q), [a, make([3.0, -4.0])])


def test_gradgradcheck_catches_a_backward_built_from_raw_arrays(make):
    x = make([0.5, -1.0, 2.0], requires_grad=True)
    assert mg.gradcheck(lambda t: ArrayCube()(t), [x])  # first order is right...
    with pytest.raises(GradcheckError,
                       match=r"gradgradcheck \(second derivatives\) failed for input 0 \(shape \(3,\)\) at element "
                             r"\(\d,\): analytical 0, numerical -?[\d.]+ \(d output 0\[\d\] / d input 0\[\d\](?s:.*)"
                             r"likely cause: the analytical gradient is exactly 0 where the numerical one is not: "
                             r"the backward is not recorded"):
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
    xt = mg.tensor(x.array.T, requires_grad=True)  # tensor() copies, so make a view by hand:
    xt.array = xt.xp.ascontiguousarray(xt.array).T.copy().T
    assert not xt.array.flags.c_contiguous
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


# ---- reports that explain themselves ----------------------------------------------------

class HalfSoftplus(Function):
    """softplus with a backward off by 2x (the issue's example)."""

    def forward(self, x):
        return np.logaddexp(0, x)

    def backward(self, gy):
        return gy * mg.sigmoid(self.inputs[0]) * 0.5


def test_every_failing_input_is_named_with_its_worst_jacobian_element(make):
    class BothWrong(Function):
        def forward(self, a, b):
            return a * b

        def backward(self, gy):
            a, b = self.inputs
            return gy * b * 2.0, gy * a * 0.0

    a, b = make([1.0, 2.0], requires_grad=True), make([3.0, -4.0], requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        mg.gradcheck(lambda p, q: BothWrong()(p, q), [a, b])
    lines = str(info.value).splitlines()
    assert lines[0].startswith("gradcheck failed for input 0 (shape (2,)) at element (1,): analytical -8, numerical -4")
    assert "likely cause: the analytical values are 2 times the numerical ones" in lines[1]
    assert lines[2].startswith("gradcheck failed for input 1 (shape (2,)) at element (1,): analytical 0, numerical 2")
    assert "analytical gradient is exactly 0" in lines[3]


def test_the_issue_softplus_example_reports_the_true_derivative(make):
    x = make(np.array([[0.1, -0.3], [0.7, 2.0]]), requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        mg.gradcheck(lambda t: HalfSoftplus()(t), [x])
    message = str(info.value)
    # at (1, 1) the true derivative is sigmoid(2) = 0.8808, not a directional derivative
    assert "at element (1, 1): analytical 0.44039854, numerical 0.88079708 (d output 0[1, 1] / d input 0[1, 1]" \
        in message
    assert "0.5 times the numerical ones everywhere" in message


def test_fast_mode_checks_a_random_direction_and_still_explains_with_the_jacobian(make):
    x = make(np.linspace(-1, 1, 6), requires_grad=True)
    assert mg.gradcheck(lambda t: t.tanh(), [x], fast_mode=True)
    with pytest.raises(GradcheckError, match=r"at element \(5,\): analytical 0.36552929, numerical 0.73105858 "
                                             r"\(d output 0\[5\] / d input 0\[5\], one element of the Jacobian\)"):
        mg.gradcheck(lambda t: HalfSoftplus()(t), [x], fast_mode=True)


def test_fast_mode_on_inputs_too_big_to_explain_says_the_values_are_directional(make, monkeypatch):
    module = sys.modules["minigan.gradcheck"]  # minigan.gradcheck is also the function's name
    monkeypatch.setattr(module, "_REPORT_LIMIT", 4)
    x = make(np.linspace(-1, 1, 6), requires_grad=True)
    with pytest.raises(GradcheckError, match="along a fixed random direction v .fast mode: directional derivatives"):
        mg.gradcheck(lambda t: HalfSoftplus()(t), [x], fast_mode=True)


def test_default_is_the_full_jacobian_for_small_outputs_and_fast_above_the_limit(make, monkeypatch):
    module = sys.modules["minigan.gradcheck"]  # minigan.gradcheck is also the function's name
    calls = []
    real = module._analytical
    monkeypatch.setattr(module, "_analytical", lambda *a: calls.append(a[-1]) or real(*a))
    x = make(np.linspace(-1, 1, 6), requires_grad=True)
    mg.gradcheck(lambda t: t.tanh(), [x])
    assert calls == [6]  # one backward per output element
    monkeypatch.setattr(module, "FULL_JACOBIAN_LIMIT", 5)
    mg.gradcheck(lambda t: t.tanh(), [x])
    assert calls == [6, 1]  # one projected backward
    mg.gradcheck(lambda t: t.tanh(), [x], fast_mode=False)
    assert calls == [6, 1, 6]


def test_a_non_deterministic_function_is_called_out(make):
    rng = np.random.default_rng(0)
    x = make(np.linspace(-1, 1, 4), requires_grad=True)

    def noisy(t):  # dropout-like: a fresh mask on every call
        return t * mg.tensor((rng.random(4) > 0.5).astype(np.float64), device=t.device)

    with pytest.raises(GradcheckError, match="^fn is not deterministic: two calls with the same inputs differ"):
        mg.gradcheck(noisy, [x])
