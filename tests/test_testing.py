"""minigan.testing: check_op and OpTest pass right ops and catch each kind of wrong one."""
import numpy as np
import pytest

import minigan as mg
from minigan import Function, GradcheckError, Tensor
from minigan.testing import (OpCheckError, OpTest, available_devices, check_float32, check_forward, check_linearity,
                             check_op)

X = [np.linspace(-1.0, 1.0, 6).reshape(2, 3)]


class Cube(Function):
    """x ** p for a fixed power p = 3, written right; the subclasses below each break one rule."""

    p = 3

    def forward(self, x):
        return x ** self.p

    def backward(self, gy):
        return gy * self.p * self.inputs[0] ** (self.p - 1)


class NonlinearGy(Cube):
    def backward(self, gy):
        return super().backward(gy) + Tensor(np.abs(gy.array) * 1e-3)  # depends on |gy|: not linear


class Float64Out(Cube):
    def forward(self, x):
        return (x ** 3).astype(np.float64)


class ArrayBackward(Cube):
    def backward(self, gy):
        return gy * Tensor(3 * self.inputs[0].array ** 2)


def test_available_devices_lists_the_cpu_first():
    devices = available_devices()
    assert devices[0] == "cpu"
    assert ("cuda" in devices) == mg.cuda.is_available()


def test_check_op_passes_a_right_op():
    check_op(lambda t: Cube()(t), X, lambda a: a ** 3)
    check_op(lambda t: Cube()(t), X, None)  # no reference: derivatives only


def test_wrong_forward_is_caught():
    with pytest.raises(OpCheckError, match="forward on cpu: output 0 differs from the reference"):
        check_forward(lambda t: Cube()(t), X, lambda a: a ** 3 + 1e-3)


def test_float64_leak_from_float32_inputs_is_caught():
    with pytest.raises(OpCheckError, match="float32 forward on cpu: output 0 is float64, not float32"):
        check_float32(lambda t: Float64Out()(t), X, lambda a: a ** 3)


def test_wrong_double_backward_is_caught_and_first_order_only_passes():
    with pytest.raises(GradcheckError, match="gradgradcheck"):
        check_op(lambda t: ArrayBackward()(t), X, lambda a: a ** 3)
    check_op(lambda t: ArrayBackward()(t), X, lambda a: a ** 3, second_order=False)


def test_nonlinear_backward_is_caught():
    with pytest.raises(OpCheckError, match="not linear in the incoming gradient"):
        check_linearity(lambda t: NonlinearGy()(t), X)


class TestCubeAsAClass(OpTest):
    """The class form: pytest collects and runs its test_* methods on every device."""

    shapes = [(2, 3)]

    def forward(self, x):
        return Cube()(x)

    def reference(self, x):
        return x ** 3


class _BrokenCube(OpTest):  # not collected (no Test prefix): run by hand below
    def forward(self, x):
        return ArrayBackward()(x) * 1.0 + x * 0.5

    def reference(self, x):
        return x ** 3 + x * 0.5


def test_op_test_methods_fail_for_a_broken_op():
    case = _BrokenCube()
    case.test_forward()
    case.test_backward()
    with pytest.raises(GradcheckError):
        case.test_double_backward()
