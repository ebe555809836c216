"""Function: one differentiable operation, and the two the engine itself needs (cast, device copy)."""
from __future__ import annotations

import weakref
from typing import Sequence

import numpy as np

from .. import backend
from ..backend import Device, DeviceError
from .anomaly import _Anomaly, user_frame
from .grad_mode import _GradMode
from .tensor import Tensor, _is_float
from .version import _Clock

class Function:
    """One differentiable operation: `forward` on arrays, `backward` on Tensors.

    Subclass it to write a custom op::

        class Cube(Function):
            def forward(self, x):            # arrays in (NumPy or CuPy), arrays out
                return x ** 3
            def backward(self, gy):          # Tensors in, Tensors out
                x, = self.inputs
                return gy * 3 * x ** 2

        y = Cube()(x)

    The protocol:

    - ``forward(*arrays)`` gets the inputs' raw arrays and returns one array or a
      tuple of arrays (a tuple makes a multi-output op). Use
      ``minigan.backend.get_array_module(x)`` to stay backend-neutral.
    - ``backward(*grads)`` gets one gradient Tensor per output (zeros for an
      unused output) and returns one gradient per input: a Tensor of the input's
      shape, or None where ``self.needs_input_grad[i]`` is False.
    - Write `backward` with Tensor ops on ``self.inputs`` / ``self.outputs``,
      never with ``.data``: then the backward pass is itself recorded under
      ``create_graph=True`` and second derivatives are right. A backward built
      from raw arrays gives correct first but wrong second derivatives
      (`gradgradcheck` catches that).
    - Configuration goes to ``__init__``. Anything `forward` stores on ``self``
      (masks, shapes) is freed after backward unless ``retain_graph=True``.
    - Call ``self.save_outputs()`` in forward when backward needs the outputs
      (exp, tanh, sigmoid) rather than recomputing them; read them as
      ``self.outputs``.

    Check a new op with `minigan.gradcheck` and `minigan.gradgradcheck` in float64;
    ``examples/custom_function_gradcheck.py`` shows the whole routine.
    """

    generation: int = 0
    inputs: tuple = ()
    needs_input_grad: tuple = ()
    _outputs: tuple = ()
    _save_outputs = False
    _freed = False
    _clock = 0  # the version clock when it ran (see version.py)

    def __call__(self, *inputs):
        # the hot path of every op: list comprehensions and plain loops, no generators
        tensors = tuple([x if isinstance(x, Tensor) else Tensor(x) for x in inputs])
        if len(tensors) > 1:
            for t in tensors:
                if type(t.array) is not np.ndarray:  # all NumPy (the common case) is one device
                    _check_same_device(self, tensors)
                    break
        record = False
        if _GradMode.enabled:
            for t in tensors:
                if t._requires_grad:
                    record = True
                    break
        if record:
            self.inputs = tensors
        ys = self.forward(*[t.array for t in tensors])
        single = not isinstance(ys, tuple)
        outputs = (Tensor(ys),) if single else tuple([Tensor(y) for y in ys])
        if record:
            gen = max([t.generation for t in tensors])
            self.generation = gen
            self._clock = _Clock.now
            if _Anomaly.enabled:  # the one flag check anomaly detection costs when it is off
                self._anomaly_frame = user_frame()
            self.needs_input_grad = tuple([t._requires_grad for t in tensors])
            # Outputs are held weakly (Chainer's rule): the graph has no reference cycles, so
            # it goes back to the allocator as soon as the last output tensor is dropped.
            self._outputs = tuple([weakref.ref(o) for o in outputs])
            if not single:
                self._output_meta = tuple([(o.shape, o.dtype) for o in outputs])
            for o in outputs:
                if o.array.dtype.kind in "fc":
                    o._requires_grad = True
                    o.creator = self
                    o.generation = gen + 1
            if self._save_outputs:
                self._saved_outputs = tuple([o.array for o in outputs])
        return outputs[0] if single else outputs

    def save_outputs(self) -> None:
        """Call in forward: backward will read `self.outputs` (Tensors in the graph)."""
        self._save_outputs = True

    @property
    def outputs(self) -> tuple:
        """The output Tensors, for a backward that called `save_outputs()` in forward.

        An output the caller has already dropped is rebuilt from its saved array and
        re-attached to this function, so double backward still flows through it.
        """
        saved = self.__dict__.get("_saved_outputs")
        if saved is None:
            raise RuntimeError(f"{self.name}: self.outputs needs self.save_outputs() in forward "
                               "(or the graph was freed by an earlier backward)")
        outs = []
        refs = list(self._outputs)
        for i, ref in enumerate(refs):
            o = ref()
            if o is None:
                o = Tensor(saved[i])
                if _is_float(o.array.dtype):
                    o._requires_grad = True
                    o.creator = self
                    o.generation = self.generation + 1
                refs[i] = weakref.ref(o)
            outs.append(o)
        self._outputs = tuple(refs)
        return tuple(outs)

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError

    @property
    def name(self) -> str:
        return type(self).__name__

    def _release(self) -> None:
        """Drop inputs and everything forward saved; keep what the engine needs to say so later."""
        gen = self.generation
        outputs = self._outputs
        self.__dict__.clear()
        self.generation = gen
        self._outputs = outputs
        self._freed = True


def _check_same_device(fn: Function, tensors: Sequence[Tensor]) -> None:
    for t in tensors:
        if type(t.array) is not np.ndarray:
            break
    else:
        return  # all NumPy: the common case costs one type check per input
    devices = [t.device for t in tensors]
    first = devices[0]
    for d in devices[1:]:
        if d != first:
            raise DeviceError(
                f"{fn.name}: expected all tensors on the same device, got {first} and {d}; "
                f"move them with .to('{first}')")


class ToDevice(Function):
    """Copy to another device; the gradient copies back."""

    def __init__(self, device: Device):
        self.device = device

    def forward(self, x):
        self.source = backend.device_of(x)
        return backend.to_device(x, self.device)

    def backward(self, gy):
        return ToDevice(self.source)(gy)



class AsType(Function):
    """Cast to another dtype; the gradient casts back to the source dtype."""

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)

    def forward(self, x):
        self.source = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return astype(gy, self.source)


def astype(x: Tensor, dtype) -> Tensor:
    """A differentiable cast: ``astype(x, "float64")``; the same tensor when the dtype already matches."""
    if np.dtype(dtype) == x.array.dtype:
        return x
    return AsType(dtype)(x)
