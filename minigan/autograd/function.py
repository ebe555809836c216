"""Function: one differentiable operation, and the two the engine itself needs (cast, device copy)."""
from __future__ import annotations

import inspect
import weakref
from typing import Sequence

import numpy as np

from .. import backend
from ..backend import Device, DeviceError
from .anomaly import _Anomaly, user_frame
from .function_ctx import FunctionCtx
from .grad_mode import _GradMode, no_grad
from .tensor import Tensor, _is_float
from .version import _Clock

class Function:
    """One differentiable operation, in either of two protocols.

    minigan's own (Chainer's): an instance per call, `forward` on arrays, `backward` on Tensors::

        class Cube(Function):
            def forward(self, x):            # arrays in (NumPy or CuPy), arrays out
                return x ** 3
            def backward(self, gy):          # Tensors in, Tensors out
                x, = self.inputs
                return gy * 3 * x ** 2

        y = Cube()(x)

    PyTorch's: static methods and a ``ctx`` (see function_ctx.py), called with ``apply``::

        class Exp(Function):
            @staticmethod
            def forward(ctx, x):             # Tensors in (grad disabled), Tensors out
                y = x.exp()
                ctx.save_for_backward(y)
                return y
            @staticmethod
            def backward(ctx, grad_output):  # Tensors in, one gradient (or None) per forward argument
                y, = ctx.saved_tensors
                return grad_output * y

        y = Exp.apply(x)

    A static ``forward`` selects PyTorch's protocol; its forward may take non-Tensor
    arguments (their gradient is None), return several outputs and use ``ctx``
    (``save_for_backward``, ``needs_input_grad``, ``mark_non_differentiable``,
    ``mark_dirty``, ``set_materialize_grads``, any attribute). ``forward(*args)`` with a
    static ``setup_context(ctx, inputs, output)`` works too.

    minigan's protocol:

    - ``forward(*arrays)`` gets the inputs' raw arrays and returns one array or a
      tuple of arrays (a tuple makes a multi-output op). Use
      ``minigan.backend.get_array_module(x)`` to stay backend-neutral.
    - ``backward(*grads)`` gets one gradient Tensor per output (zeros for an
      unused output) and returns one gradient per input: a Tensor of the input's
      shape, or None where ``self.needs_input_grad[i]`` is False.
    - Configuration goes to ``__init__``. Anything `forward` stores on ``self``
      (masks, shapes) is freed after backward unless ``retain_graph=True``.
    - Call ``self.save_outputs()`` in forward when backward needs the outputs
      (exp, tanh, sigmoid) rather than recomputing them; read them as
      ``self.outputs``.

    In both, write `backward` with Tensor ops (on ``self.inputs`` / ``self.outputs``, or on
    ``ctx.saved_tensors``), never on raw arrays: then the backward pass is itself recorded
    under ``create_graph=True`` and second derivatives are right. A backward built from raw
    arrays gives correct first but wrong second derivatives (`gradgradcheck` catches that).
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
    _materialize_grads = True  # the engine gives zeros to an output no gradient reached
    _ctx_style = False  # PyTorch's protocol (a static forward): see __init_subclass__

    def __init_subclass__(cls, **kwargs):
        # Which protocol: PyTorch's when forward is a staticmethod (as torch's docs require).
        super().__init_subclass__(**kwargs)
        forward = inspect.getattr_static(cls, "forward")
        if not isinstance(forward, staticmethod):
            if inspect.isfunction(forward) and list(inspect.signature(forward).parameters)[:1] == ["ctx"]:
                raise TypeError(f"{cls.__name__}.forward(ctx, ...) must be a @staticmethod (PyTorch's protocol); "
                                "minigan's own protocol is forward(self, *arrays)")
            return
        if not isinstance(inspect.getattr_static(cls, "backward"), staticmethod):
            raise TypeError(f"{cls.__name__}: a @staticmethod forward needs a @staticmethod backward(ctx, *grad_outputs)")
        cls._ctx_style = True
        cls._setup_context = isinstance(inspect.getattr_static(cls, "setup_context", None), staticmethod)
        cls._ctx_class = type(cls.__name__ + "Backward", (FunctionCtx,), {"__module__": cls.__module__})
        cls.__call__ = _refuse_instance_call

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the op and record it: ``Exp.apply(x)`` (PyTorch's protocol), or ``cls()(*args)`` (minigan's).

        Returns what forward returns: one Tensor, or a tuple of them.
        """
        if not cls._ctx_style:
            return cls()(*args, **kwargs)
        return _CtxStep.run(cls, args, kwargs)

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


def _refuse_instance_call(self, *args, **kwargs):
    name = type(self).__name__
    raise RuntimeError(f"{name} has a static forward (PyTorch's protocol): call {name}.apply(...), not {name}()(...)")


class _CtxStep(Function):
    """The graph step of a PyTorch-style Function: runs its static forward and backward with a ctx.

    It is a minigan Function over the Tensor arguments, so the engine, version counters and
    anomaly detection treat both protocols alike; non-Tensor arguments ride along in `args`.
    """

    def __init__(self, function_cls: type, args: tuple, kwargs: dict):
        self.function_cls = function_cls
        self.args, self.kwargs = args, kwargs
        self.ctx = function_cls._ctx_class(self)

    @classmethod
    def run(cls, function_cls: type, args: tuple, kwargs: dict):
        step = cls(function_cls, args, kwargs)
        tensors = [a for a in args if isinstance(a, Tensor)]
        if not tensors:
            raise TypeError(f"{function_cls.__name__}.apply: needs at least one Tensor argument")
        enabled = _GradMode.enabled
        step.ctx.needs_input_grad = tuple([enabled and isinstance(a, Tensor) and a._requires_grad for a in args])
        outputs = step(*tensors)
        single = not isinstance(outputs, tuple)
        outs = [outputs] if single else list(outputs)
        for i in step._non_differentiable:
            outs[i]._requires_grad = False
            outs[i].creator = None
        for i, t in step._dirty:  # an input changed in place is returned as itself, now made by this step
            if outs[i].creator is step:
                t.creator, t.generation, t._requires_grad = step, outs[i].generation, True
                step._outputs = tuple([weakref.ref(t) if j == i else r for j, r in enumerate(step._outputs)])
            outs[i] = t
        return outs[0] if single else tuple(outs)

    @property
    def name(self) -> str:
        return self.function_cls.__name__

    def forward(self, *arrays):
        cls, ctx = self.function_cls, self.ctx
        with no_grad():  # as in PyTorch: forward's own ops are not recorded
            if cls._setup_context:
                result = cls.forward(*self.args, **self.kwargs)
                cls.setup_context(ctx, self.args, result)
            else:
                result = cls.forward(ctx, *self.args, **self.kwargs)
        outputs = result if isinstance(result, tuple) else (result,)
        for i, o in enumerate(outputs):
            if not isinstance(o, Tensor):
                raise TypeError(f"{cls.__name__}.forward must return Tensors, got {type(o).__name__} for output {i}")
        self._dirty = self._take_dirty(ctx._dirty, outputs)
        saved_output, self._non_differentiable = ctx._bind_outputs(self.args, outputs, ctx._dirty)
        if saved_output:
            self.save_outputs()
        arrays = tuple([o.array for o in outputs])
        return arrays if isinstance(result, tuple) else arrays[0]

    def _take_dirty(self, dirty: tuple, outputs: tuple) -> tuple:
        """(output index, input) for each input forward changed in place (``ctx.mark_dirty``).

        In the graph, the input's history moves to a stand-in Tensor that becomes this step's
        input, and the input itself becomes the output (as ops/inplace.py does for ``x.mul_``).
        """
        name = self.function_cls.__name__
        taken = []
        for t in dirty:
            index = next((i for i, o in enumerate(outputs) if o is t), None)
            if index is None:
                raise RuntimeError(f"{name}: some elements marked as dirty during the forward method were not "
                                   "returned as output")
            taken.append((index, t))
            inputs = self.__dict__.get("inputs")  # set only when the step is recorded
            if inputs is None:
                continue
            if t.creator is None and t._requires_grad:
                raise RuntimeError(f"{name}: a leaf Variable that requires grad has been used in an in-place operation")
            old = Tensor(t.array)
            old._requires_grad, old.creator, old.generation = t._requires_grad, t.creator, t.generation
            old._writes = None if t._writes is None else list(t._writes)  # a Function that saved t sees the write
            if t.creator is not None:
                t.creator._outputs = tuple([weakref.ref(old) if r() is t else r for r in t.creator._outputs])
            self.inputs = tuple([old if x is t else x for x in inputs])
        return tuple(taken)

    def backward(self, *grad_outputs):
        cls, ctx, args = self.function_cls, self.ctx, self.args
        needs = iter(self.needs_input_grad)  # the engine's, one per Tensor argument
        ctx.needs_input_grad = tuple([next(needs) if isinstance(a, Tensor) else False for a in args])
        grads = cls.backward(ctx, *grad_outputs)
        if not isinstance(grads, tuple):
            grads = tuple(grads) if isinstance(grads, list) else (grads,)
        n = len(args)
        if len(grads) != n:
            if len(grads) < n or any(g is not None for g in grads[n:]):
                raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of gradients "
                                   f"(expected {n}, got {len(grads)})")
            grads = grads[:n]
        result = []
        for i, (a, g) in enumerate(zip(args, grads)):
            if not isinstance(a, Tensor):
                if g is not None:
                    raise RuntimeError(f"function {cls.__name__}Backward returned a gradient different than None at "
                                       f"position {i + 1}, but the corresponding forward input was not a Tensor")
                continue
            if g is not None:
                if not isinstance(g, Tensor):
                    raise TypeError(f"function {cls.__name__}Backward returned a {type(g).__name__} at position "
                                    f"{i + 1}; expected a Tensor or None")
                if g.shape != a.shape:
                    # a gradient that broadcasts over the input is summed down to it, as in PyTorch
                    try:
                        fits = np.broadcast_shapes(a.shape, g.shape) == g.shape
                    except ValueError:
                        fits = False
                    if not fits:
                        raise RuntimeError(f"Function {cls.__name__}Backward returned an invalid gradient at index {i} "
                                           f"- got {list(g.shape)} but expected shape compatible with {list(a.shape)}")
                    g = g.sum_to(a.shape)
            result.append(g)
        return tuple(result)

    def _release(self) -> None:
        cls, ctx = self.function_cls, self.ctx
        super()._release()
        ctx._free()
        self.function_cls, self.ctx = cls, ctx


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
