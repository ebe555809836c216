"""Checks every differentiable op or layer must pass, for custom ops and for minigan's own.

Chainer's ``testing.FunctionTestCase`` is the model: one call (`check_op`) or one small
class (`OpTest`) per op, and it checks, on every device minigan reports available
(`available_devices`):

1. forward against a reference function (NumPy) in float64, values, shape and device;
2. float32 inputs give float32 outputs, close to the reference at float32 tolerances;
3. backward by `gradcheck` and double backward by `gradgradcheck`, in float64;
4. backward is linear in the incoming gradient:
   grad(y, x, a*g1 + b*g2) == a*grad(y, x, g1) + b*grad(y, x, g2).

    from minigan.testing import check_op
    check_op(lambda x: x.tanh(), [np.linspace(-1, 1, 6)], np.tanh)
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .. import backend
from ..autograd import Tensor, grad
from ..backend import Device
from ..creation import tensor
from ..gradcheck import gradcheck, gradgradcheck


class OpCheckError(AssertionError):
    """An op failed one of the checks; the message names the check, the device and the values."""


def available_devices() -> list[str]:
    """"cpu", plus "cuda" when minigan can use CuPy (a GPU, or the CPU stand-in when selected)."""
    return ["cpu"] + (["cuda"] if backend.cuda_available() else [])


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _leaves(arrays: Sequence, device: str, dtype, requires_grad: bool = True) -> list[Tensor]:
    return [tensor(np.asarray(a, dtype=dtype), device=device, requires_grad=requires_grad) for a in arrays]


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise OpCheckError(message)


def check_forward(fn: Callable, arrays: Sequence, reference: Callable, device: str = "cpu", *,
                  rtol: float = 1e-7, atol: float = 1e-9) -> None:
    """fn on float64 tensors matches ``reference(*arrays)`` in shape, values, dtype and device."""
    ys = _as_tuple(fn(*_leaves(arrays, device, np.float64)))
    refs = _as_tuple(reference(*[np.asarray(a, dtype=np.float64) for a in arrays]))
    _require(len(ys) == len(refs), f"forward on {device}: {len(ys)} outputs but the reference gives {len(refs)}")
    for k, (y, ref) in enumerate(zip(ys, refs)):
        ref = np.asarray(ref)
        _require(y.shape == ref.shape, f"forward on {device}: output {k} has shape {y.shape}, reference {ref.shape}")
        _require(y.dtype == np.float64, f"forward on {device}: output {k} is {y.dtype} for float64 inputs")
        _require(y.device == Device(device), f"forward on {device}: output {k} came back on {y.device}")
        try:
            np.testing.assert_allclose(y.numpy(), ref, rtol=rtol, atol=atol)
        except AssertionError as exc:
            raise OpCheckError(f"forward on {device}: output {k} differs from the reference:{exc}") from None


def check_float32(fn: Callable, arrays: Sequence, reference: Callable | None = None, device: str = "cpu", *,
                  rtol: float = 1e-3, atol: float = 1e-4) -> None:
    """float32 inputs give float32 outputs (no silent float64), close to the float64 reference."""
    ys = _as_tuple(fn(*_leaves(arrays, device, np.float32)))
    for k, y in enumerate(ys):
        _require(y.dtype == np.float32, f"float32 forward on {device}: output {k} is {y.dtype}, not float32")
    if reference is None:
        return
    refs = _as_tuple(reference(*[np.asarray(a, dtype=np.float64) for a in arrays]))
    for k, (y, ref) in enumerate(zip(ys, refs)):
        try:
            np.testing.assert_allclose(y.numpy(), np.asarray(ref), rtol=rtol, atol=atol)
        except AssertionError as exc:
            raise OpCheckError(f"float32 forward on {device}: output {k} is off the reference:{exc}") from None


def check_backward(fn: Callable, arrays: Sequence, device: str = "cpu", *, second_order: bool = True,
                   **gradcheck_options) -> None:
    """gradcheck, and unless `second_order` is False gradgradcheck, in float64 on `device`."""
    xs = _leaves(arrays, device, np.float64)
    gradcheck(fn, xs, **gradcheck_options)
    if second_order:
        gradgradcheck(fn, xs, **gradcheck_options)


def check_linearity(fn: Callable, arrays: Sequence, device: str = "cpu", *, seed: int = 0) -> None:
    """The backward is linear in the incoming gradient (a backward that reads its gy nonlinearly is wrong)."""
    xs = _leaves(arrays, device, np.float64)
    ys = _as_tuple(fn(*xs))
    rng = np.random.default_rng(seed)
    g1 = [tensor(rng.standard_normal(y.shape), device=device) for y in ys]
    g2 = [tensor(rng.standard_normal(y.shape), device=device) for y in ys]
    a, b = 0.7, -1.3
    r1 = grad(ys, xs, g1, retain_graph=True, allow_unused=True)
    r2 = grad(ys, xs, g2, retain_graph=True, allow_unused=True)
    r3 = grad(ys, xs, [u * a + v * b for u, v in zip(g1, g2)], allow_unused=True)
    for i, (x, u, v, w) in enumerate(zip(xs, r1, r2, r3)):
        if w is None:
            continue
        _require(w.shape == x.shape and w.dtype == x.dtype,
                 f"backward on {device}: gradient of input {i} is {w.shape} {w.dtype} for an input {x.shape} {x.dtype}")
        try:
            np.testing.assert_allclose(w.numpy(), a * u.numpy() + b * v.numpy(), rtol=1e-9, atol=1e-12)
        except AssertionError as exc:
            raise OpCheckError(f"backward on {device}: the gradient of input {i} is not linear in the incoming "
                               f"gradient:{exc}") from None


def check_op(fn: Callable, arrays: Sequence, reference: Callable | None, device: str | None = None, *,
             rtol: float = 1e-7, atol: float = 1e-9, second_order: bool = True, check_float32: bool = True,
             float32_rtol: float = 1e-3, float32_atol: float = 1e-4) -> None:
    """All the checks above for `fn` (Tensors in, a Tensor or tuple out) at float64 NumPy `arrays`.

    `device` None runs every available device; `reference` None skips the value checks.
    Raises `OpCheckError` (or `GradcheckError`) naming what failed; returns None when all pass.

    >>> import numpy as np
    >>> check_op(lambda x, y: x * y, [np.ones(3), np.arange(3.0)], np.multiply)
    >>> check_op(lambda x: x * 2, [np.ones(3)], lambda a: a * 3)
    Traceback (most recent call last):
    minigan.testing.op_test.OpCheckError: forward on cpu: output 0 differs from the reference: ...
    """
    for dev in ([device] if device is not None else available_devices()):
        if reference is not None:
            check_forward(fn, arrays, reference, dev, rtol=rtol, atol=atol)
        if check_float32:
            _check_float32(fn, arrays, reference, dev, rtol=float32_rtol, atol=float32_atol)
        check_backward(fn, arrays, dev, second_order=second_order)
        check_linearity(fn, arrays, dev)


_check_float32 = check_float32  # check_op's flag of the same name shadows the function inside it


class OpTest:
    """A test class per op, Chainer's FunctionTestCase style; pytest collects subclasses named ``Test*``.

    Set `forward` (Tensors in) and `reference` (arrays in), and the inputs by `shapes`
    (random normal values) or by overriding `generate_inputs`::

        class TestSwish(OpTest):
            shapes = [(3, 4)]
            def forward(self, x):
                return x * x.sigmoid()
            def reference(self, x):
                return x / (1 + np.exp(-x))

    Every ``test_*`` method runs on every available device.
    """

    shapes: Sequence[tuple] = ((2, 3),)
    seed = 0
    rtol, atol = 1e-7, 1e-9
    float32_rtol, float32_atol = 1e-3, 1e-4
    second_order = True
    float32 = True

    def forward(self, *xs: Tensor):
        raise NotImplementedError("OpTest: define forward(self, *tensors)")

    def reference(self, *arrays: np.ndarray):
        raise NotImplementedError("OpTest: define reference(self, *arrays) (NumPy)")

    def generate_inputs(self) -> list[np.ndarray]:
        rng = np.random.default_rng(self.seed)
        return [rng.standard_normal(s) for s in self.shapes]

    def _each_device(self, check) -> None:
        arrays = self.generate_inputs()
        for device in available_devices():
            check(arrays, device)

    def test_forward(self) -> None:
        self._each_device(lambda a, d: check_forward(self.forward, a, self.reference, d, rtol=self.rtol,
                                                     atol=self.atol))

    def test_float32(self) -> None:
        if self.float32:
            self._each_device(lambda a, d: check_float32(self.forward, a, self.reference, d,
                                                         rtol=self.float32_rtol, atol=self.float32_atol))

    def test_backward(self) -> None:
        self._each_device(lambda a, d: check_backward(self.forward, a, d, second_order=False))

    def test_double_backward(self) -> None:
        if self.second_order:
            self._each_device(lambda a, d: gradgradcheck(self.forward, _leaves(a, d, np.float64)))

    def test_linearity(self) -> None:
        self._each_device(lambda a, d: check_linearity(self.forward, a, d, seed=self.seed))
