# Shows: writing your own differentiable op and proving its first and second derivatives with gradcheck.
# Takes: about a second on a CPU.
"""Write your own differentiable op, then prove its derivatives right with gradcheck/gradgradcheck.

    python examples/custom_function_gradcheck.py

A `minigan.Function` computes `forward` on raw arrays (NumPy or CuPy) and `backward`
with Tensor ops. Because the backward is made of Tensor ops, it is recorded like any
other computation, so the op supports double backward (gradient penalties,
Hessian-vector products) with no extra code.

The script checks three ops:

1. Swish, x * sigmoid(x), written correctly: gradcheck and gradgradcheck pass.
2. BrokenSwish, whose backward forgot a term: gradcheck fails and says where.
3. ArraySwish, whose backward is computed on raw arrays: its first derivative is right,
   so gradcheck passes, but the backward is invisible to the graph, so second
   derivatives are wrong; gradgradcheck catches it.

Then `minigan.testing.check_op` runs every check an op must pass (forward against a
NumPy reference, float32 forward, gradcheck and gradgradcheck in float64, linearity in
the incoming gradient, every available device) on Swish in one call; `OpTest` is the
same as a class for your pytest suite.

It exits with status 0 when all verdicts come out as described.
"""
from __future__ import annotations

import sys

import numpy as np

import minigan as mg
from minigan import Function, Tensor
from minigan.backend import get_array_module
from minigan.testing import OpTest, available_devices, check_op


class Swish(Function):
    """swish(x) = x * sigmoid(x); d/dx = s + x * s * (1 - s) with s = sigmoid(x)."""

    def forward(self, x):
        xp = get_array_module(x)  # NumPy on the CPU, CuPy on a GPU: the same code runs on both
        return x / (1 + xp.exp(-x))

    def backward(self, gy):
        (x,) = self.inputs  # Tensors, so this expression is itself differentiable
        s = mg.sigmoid(x)
        return gy * (s + x * s * (1 - s))


class BrokenSwish(Swish):
    """The same forward with a term missing from the derivative: a typical slip."""

    def backward(self, gy):
        (x,) = self.inputs
        return gy * mg.sigmoid(x)  # forgot x * s * (1 - s)


class ArraySwish(Swish):
    """A correct first derivative computed on raw arrays: the graph cannot see through it."""

    def backward(self, gy):
        x = self.inputs[0].array
        s = 1 / (1 + get_array_module(x).exp(-x))
        return gy * Tensor(s + x * s * (1 - s))  # a constant as far as double backward knows


def swish(x: Tensor) -> Tensor:
    return Swish()(x)


class TestSwish(OpTest):
    """The same checks as a class: put it in a test file and pytest runs each one."""

    shapes = [(3, 4)]

    def forward(self, x):
        return swish(x)

    def reference(self, x):
        return x / (1 + np.exp(-x))


def main() -> int:
    mg.manual_seed(0)
    # gradcheck compares with finite differences, which need float64 to be accurate
    x = mg.randn(3, 4, dtype=mg.float64, requires_grad=True)

    y = swish(x)
    print("swish(x) =", y)
    y.sum().backward()
    print("d/dx sum(swish(x)) =", x.grad)

    ok = True
    print("\n1. Swish")
    print("   gradcheck:    ", mg.gradcheck(swish, [x]))
    print("   gradgradcheck:", mg.gradgradcheck(swish, [x]))

    print("\n2. BrokenSwish")
    try:
        mg.gradcheck(lambda t: BrokenSwish()(t), [x])
        print("   gradcheck passed: it should not have")
        ok = False
    except mg.GradcheckError as error:
        print("   gradcheck caught it:", error)

    print("\n3. ArraySwish")
    print("   gradcheck:    ", mg.gradcheck(lambda t: ArraySwish()(t), [x]), "(first derivative right)")
    try:
        mg.gradgradcheck(lambda t: ArraySwish()(t), [x])
        print("   gradgradcheck passed: it should not have")
        ok = False
    except mg.GradcheckError as error:
        print("   gradgradcheck caught it:", error)

    print("\n4. minigan.testing.check_op(swish, ...) on", ", ".join(available_devices()))
    check_op(swish, [np.linspace(-2, 2, 12).reshape(3, 4)], lambda a: a / (1 + np.exp(-a)))
    print("   forward, float32, gradcheck, gradgradcheck, linearity: all passed")
    try:
        check_op(lambda t: ArraySwish()(t), [np.linspace(-2, 2, 12).reshape(3, 4)], lambda a: a / (1 + np.exp(-a)))
        print("   check_op passed ArraySwish: it should not have")
        ok = False
    except mg.GradcheckError as error:
        print("   check_op caught ArraySwish:", str(error).splitlines()[0][:100], "...")
    TestSwish().test_double_backward()  # what pytest would run for the class below
    print("   TestSwish(OpTest).test_double_backward passed")

    print("\nall verdicts as expected" if ok else "\nUNEXPECTED VERDICT")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
