"""Tensor, Function and the reverse-mode engine.

A `Function` computes its forward on raw arrays (NumPy or CuPy) and its backward
with Tensor ops, so the backward pass is itself recorded when `create_graph=True`:
that single rule (Chainer's) is what gives higher-order gradients everywhere.

The engine walks the graph with a heap keyed on each function's generation
(its depth from the leaves), never by recursion, so a 100,000-op chain works.
After a backward pass each function drops what it saved unless
`retain_graph=True`, so memory goes back as soon as gradients are out.
"""
from __future__ import annotations

import heapq
import itertools
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from . import backend
from .backend import Device, DeviceError

# ---- grad mode ------------------------------------------------------------------------------


class _GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    return _GradMode.enabled


class set_grad_enabled:
    """Turn graph recording on or off; a context manager and a decorator, as in PyTorch."""

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)
        self._prev: list[bool] = []

    def __enter__(self):
        self._prev.append(_GradMode.enabled)
        _GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _GradMode.enabled = self._prev.pop()
        return False

    def __call__(self, func: Callable) -> Callable:
        mode = self.mode

        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        wrapper.__name__ = getattr(func, "__name__", "wrapper")
        wrapper.__doc__ = getattr(func, "__doc__", None)
        wrapper.__wrapped__ = func
        return wrapper


class no_grad(set_grad_enabled):
    """Record no graph: for evaluation, sampling and optimiser updates.

    ``with no_grad():``, ``@no_grad()`` and ``@no_grad`` all work.
    """

    def __new__(cls, func: Callable | None = None):
        if func is not None:  # used bare, as @no_grad
            return set_grad_enabled(False)(func)
        return super().__new__(cls)

    def __init__(self, func: Callable | None = None):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record the graph again inside a `no_grad` block (a context manager and a decorator)."""

    def __new__(cls, func: Callable | None = None):
        if func is not None:
            return set_grad_enabled(True)(func)
        return super().__new__(cls)

    def __init__(self, func: Callable | None = None):
        super().__init__(True)


# ---- dtypes -------------------------------------------------------------------------------

DEFAULT_DTYPE = np.float32


def _is_float(dtype) -> bool:
    return np.dtype(dtype).kind in "fc"


# ---- Tensor -------------------------------------------------------------------------------


class Tensor:
    """An array with a gradient and the function that made it.

    ``data`` is a NumPy or CuPy array; ``creator`` is the `Function` whose output
    this is (None for leaves); ``generation`` orders the backward pass.
    """

    __slots__ = ("data", "grad", "_requires_grad", "creator", "generation", "_retains_grad",
                 "_hooks", "name", "__weakref__")
    # Make `ndarray + tensor` defer to Tensor.__radd__ instead of looping element-wise.
    __array_ufunc__ = None
    __array_priority__ = 1000

    def __init__(self, data: Any, requires_grad: bool = False, name: str | None = None):
        if type(data) is not np.ndarray:  # the hot path (every op output) skips all of this
            if isinstance(data, Tensor):
                data = data.data
            elif isinstance(data, np.generic):
                # NumPy turns 0-d results into scalars; keep an array (writable, with its dtype)
                data = np.asarray(data)
            elif not isinstance(data, np.ndarray) and not _is_cupy_array(data):
                data = np.asarray(data)  # Python numbers and lists: floats become float32
                if data.dtype == np.float64:
                    data = data.astype(DEFAULT_DTYPE)
        self.data = data
        self.grad: Tensor | None = None
        self._requires_grad = False
        self.creator: Function | None = None
        self.generation = 0
        self._retains_grad = False
        self._hooks: list | None = None
        self.name = name
        if requires_grad:
            self.requires_grad = True

    # -- descriptive properties
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self) -> Device:
        return backend.device_of(self.data)

    @property
    def xp(self):
        return backend.get_array_module(self.data)

    @property
    def is_leaf(self) -> bool:
        return self.creator is None

    @property
    def grad_fn(self) -> "Function | None":
        return self.creator

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and not _is_float(self.data.dtype):
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.data.dtype}")
        if not value and self.creator is not None:
            raise RuntimeError("requires_grad can only be switched off on leaf tensors; use detach()")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __repr__(self) -> str:
        body = np.array2string(backend.as_numpy(self.data), separator=", ", precision=4,
                               threshold=50, prefix="tensor(")
        extras = []
        if self.device.type != "cpu":
            extras.append(f"device='{self.device}'")
        if self.data.dtype != DEFAULT_DTYPE:
            extras.append(f"dtype={self.data.dtype}")
        if self.creator is not None:
            extras.append(f"grad_fn=<{type(self.creator).__name__}Backward>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    __hash__ = object.__hash__

    # -- conversions
    def numpy(self) -> np.ndarray:
        """A host NumPy array (copied from the GPU when needed); never part of the graph."""
        return backend.as_numpy(self.data)

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor with shape {self.shape} is ambiguous")
        return bool(self.item())

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr.astype(dtype) if dtype is not None else arr

    def detach(self) -> "Tensor":
        """The same data, cut from the graph."""
        return Tensor(self.data)

    def to(self, device: "str | Device | None" = None, dtype=None) -> "Tensor":
        """Move (differentiably) to a device and/or cast to a dtype.

        ``t.to("cuda")``, ``t.to("cpu", "float64")``, ``t.to(minigan.float64)`` and
        ``t.to(np.float32)`` all work; the gradient flows back to the original device and dtype.
        """
        if device is not None and not isinstance(device, Device) and not (
                isinstance(device, str) and device.strip().lower().startswith(("cpu", "cuda"))):
            device, dtype = None, device  # t.to(np.float64) or t.to("float64")
        out = self
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            from .ops.arith import astype
            out = astype(out, dtype)
        if device is not None and Device(device) != out.device:
            out = ToDevice(Device(device))(out)
        return out

    def cpu(self) -> "Tensor":
        return self.to("cpu")

    def cuda(self, index: int | None = None) -> "Tensor":
        return self.to("cuda" if index is None else f"cuda:{index}")

    def float(self) -> "Tensor":
        return self.to(dtype=np.float32)

    def double(self) -> "Tensor":
        return self.to(dtype=np.float64)

    # -- autograd API
    def retain_grad(self) -> None:
        """Keep `.grad` on a non-leaf tensor after backward (leaves always keep it)."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        if self.creator is not None:
            self._retains_grad = True

    def register_hook(self, hook: Callable[["Tensor"], "Tensor | None"]):
        """Call `hook(grad)` when this tensor's gradient is ready; a returned tensor replaces it.

        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    def zero_grad(self) -> None:
        self.grad = None

    def backward(self, gradient: "Tensor | Any | None" = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad`."""
        backward([self], [gradient], retain_graph=retain_graph, create_graph=create_graph)


def _is_cupy_array(obj) -> bool:
    cp = backend._cupy
    return cp is not None and isinstance(obj, cp.ndarray)


class _HookHandle:
    """What `register_hook` returns: ``remove()`` takes the hook off again."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook: Callable):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        for i, h in enumerate(self._hooks):
            if h is self._hook:
                del self._hooks[i]
                return


# ---- Function --------------------------------------------------------------------------------


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

    def __call__(self, *inputs):
        # the hot path of every op: list comprehensions and plain loops, no generators
        tensors = tuple([x if isinstance(x, Tensor) else Tensor(x) for x in inputs])
        if len(tensors) > 1:
            _check_same_device(self, tensors)
        record = False
        if _GradMode.enabled:
            for t in tensors:
                if t._requires_grad:
                    record = True
                    break
        if record:
            self.inputs = tensors
        ys = self.forward(*[t.data for t in tensors])
        single = not isinstance(ys, tuple)
        outputs = (Tensor(ys),) if single else tuple([Tensor(y) for y in ys])
        if record:
            gen = max([t.generation for t in tensors])
            self.generation = gen
            self.needs_input_grad = tuple([t._requires_grad for t in tensors])
            # Outputs are held weakly (Chainer's rule): the graph has no reference cycles, so
            # it goes back to the allocator as soon as the last output tensor is dropped.
            self._outputs = tuple([weakref.ref(o) for o in outputs])
            if not single:
                self._output_meta = tuple([(o.shape, o.dtype) for o in outputs])
            for o in outputs:
                if o.data.dtype.kind in "fc":
                    o._requires_grad = True
                    o.creator = self
                    o.generation = gen + 1
            if self._save_outputs:
                self._saved_outputs = tuple([o.data for o in outputs])
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
                if _is_float(o.data.dtype):
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
        if type(t.data) is not np.ndarray:
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


# ---- the engine --------------------------------------------------------------------------


def _as_grad_tensor(g, like: Tensor) -> Tensor:
    """The gradient given for output `like`: ones for None; same shape, device and dtype."""
    if g is None:
        with like.device.scope():
            return Tensor(like.xp.ones_like(like.data))
    if not isinstance(g, Tensor):
        arr = g if _is_cupy_array(g) else np.asarray(g)
        g = Tensor(backend.to_device(arr, like.device))
    if g.shape != like.shape:
        raise RuntimeError(f"backward: gradient has shape {g.shape} but the tensor has shape {like.shape}")
    if g.device != like.device:
        raise DeviceError(f"backward: gradient is on {g.device} but the tensor is on {like.device}")
    if g.data.dtype != like.data.dtype:
        from .ops.arith import astype
        g = astype(g, like.data.dtype)
    return g


def _fit_grad(fn: Function, x: Tensor, gx) -> Tensor:
    """Check a gradient from `fn.backward` and match its input's dtype."""
    if not isinstance(gx, Tensor):
        gx = Tensor(gx)
    if gx.shape != x.shape:
        raise RuntimeError(
            f"{fn.name}.backward returned a gradient of shape {gx.shape} for an input of shape {x.shape}")
    if gx.data.dtype != x.data.dtype:
        from .ops.arith import astype
        gx = astype(gx, x.data.dtype)
    return gx


def _accumulate(store: dict, t: Tensor, g: Tensor) -> None:
    key = id(t)
    entry = store.get(key)
    if entry is None:
        store[key] = (t, g)  # holding t keeps its id from being reused mid-backward
    elif _GradMode.enabled:
        store[key] = (t, entry[1] + g)
    else:
        store[key] = (t, Tensor(entry[1].data + g.data))


def _store_grad(t: Tensor, g: Tensor, create_graph: bool, handed_out: set) -> None:
    """Accumulate into `t.grad`, as PyTorch does.

    Without create_graph, each `.grad` owns its array, so an optimiser may update it in
    place: a view (a read-only broadcast, a reshape of another gradient) or an array
    already handed to another tensor (both operands of an add get the same one, the
    caller holds the root gradient) is copied; a fresh array is kept as it is.
    """
    if create_graph:
        t.grad = g if t.grad is None else t.grad + g
    elif t.grad is None:
        data = g.data
        if data.base is not None or id(data) in handed_out:
            data = data.copy()
        handed_out.add(id(data))
        t.grad = Tensor(data)
    else:
        t.grad = Tensor(t.grad.data + g.data)


def _run_hooks(t: Tensor, g: Tensor) -> Tensor:
    if t._hooks:
        for hook in list(t._hooks):
            out = hook(g)
            if out is not None:
                g = out if isinstance(out, Tensor) else Tensor(out)
    return g


def _zero_grad_for_output(f: Function, i: int, like: Tensor) -> Tensor:
    """Zeros for output `i` of a multi-output `f` that got no gradient (perhaps long dropped)."""
    shape, dtype = f._output_meta[i]
    device = like.device
    with device.scope():
        return Tensor(like.xp.zeros(shape, dtype=dtype))


def _needed_functions(roots: Sequence[Tensor], targets: set[int]) -> set[int]:
    """ids of functions on some path from a root down to a target tensor."""
    functions: dict[int, Function] = {}
    stack = [t.creator for t in roots if t.creator is not None]
    while stack:
        f = stack.pop()
        if id(f) in functions:
            continue
        functions[id(f)] = f
        for x in f.inputs:
            if x.creator is not None and id(x.creator) not in functions:
                stack.append(x.creator)
    needed: set[int] = set()
    for f in sorted(functions.values(), key=lambda f: f.generation):
        if f._freed:  # its inputs are gone; running it raises the retain_graph error
            needed.add(id(f))
            continue
        for x in f.inputs:
            if id(x) in targets or (x.creator is not None and id(x.creator) in needed):
                needed.add(id(f))
                break
    return needed


def _run_backward(roots: Sequence[Tensor], root_grads: Sequence, *, retain_graph: bool,
                  create_graph: bool, targets: Sequence[Tensor] | None) -> dict:
    """The engine. Returns {id(target): grad} when `targets` is given, else fills `.grad`.

    Functions come off a heap highest generation first, so each runs once, after
    every consumer of its outputs has delivered its gradient.
    """
    target_ids = {id(t) for t in targets} if targets is not None else None
    needed = _needed_functions(roots, target_ids) if target_ids is not None else None
    grads: dict[int, tuple] = {}
    leaves: dict[int, Tensor] = {}
    results: dict[int, Tensor] = {}
    handed_out: set[int] = set()  # ids of arrays some tensor's .grad (or the caller) holds
    heap: list = []
    seen: set[int] = set()
    tie = itertools.count()

    def push(f: Function) -> None:
        if id(f) not in seen and (needed is None or id(f) in needed):
            seen.add(id(f))
            heapq.heappush(heap, (-f.generation, next(tie), f))

    with set_grad_enabled(create_graph):
        for t, g in zip(roots, root_grads):
            if not t._requires_grad:
                raise RuntimeError("backward: a tensor given as output does not require grad and has no grad_fn")
            g = _as_grad_tensor(g, t)
            handed_out.add(id(g.data))
            _accumulate(grads, t, g)
            if t.creator is None:
                leaves[id(t)] = t
            else:
                push(t.creator)

        while heap:
            f = heapq.heappop(heap)[2]
            if f._freed:
                raise RuntimeError(
                    f"trying to backward through {f.name} a second time: its saved values were freed "
                    "after the first backward. Pass retain_graph=True to the first backward "
                    "(or to grad()) if you need to go through the graph again.")
            gys = []
            first = None
            for ref in f._outputs:
                o = ref()
                entry = grads.pop(id(o), None) if o is not None else None
                if entry is None:
                    gys.append(None)
                    continue
                g = _run_hooks(o, entry[1])
                if target_ids is not None:
                    if id(o) in target_ids:
                        results[id(o)] = g
                elif o._retains_grad:
                    _store_grad(o, g, create_graph, handed_out)
                gys.append(g)
                first = g
            if first is None:  # no gradient reached any output
                if not retain_graph:
                    f._release()
                continue
            if len(gys) > 1:
                gys = [g if g is not None else _zero_grad_for_output(f, i, first) for i, g in enumerate(gys)]
            inputs = f.inputs
            if needed is None:
                f.needs_input_grad = tuple(x._requires_grad for x in inputs)
            else:
                f.needs_input_grad = tuple(
                    x._requires_grad and (id(x) in target_ids or (x.creator is not None and id(x.creator) in needed))
                    for x in inputs)
            gxs = f.backward(*gys)
            if not isinstance(gxs, tuple):
                gxs = tuple(gxs) if isinstance(gxs, list) else (gxs,)
            if len(gxs) != len(inputs):
                raise RuntimeError(f"{f.name}.backward returned {len(gxs)} gradients for {len(inputs)} inputs")
            for x, gx, need in zip(inputs, gxs, f.needs_input_grad):
                if gx is None or not need:
                    continue
                _accumulate(grads, x, _fit_grad(f, x, gx))
                if x.creator is None:
                    leaves[id(x)] = x
                else:
                    push(x.creator)
            if not retain_graph:
                f._release()

        for key, leaf in leaves.items():
            entry = grads.pop(key, None)
            if entry is None:
                continue
            g = _run_hooks(leaf, entry[1])
            if target_ids is None:
                _store_grad(leaf, g, create_graph, handed_out)
            elif key in target_ids:
                results[key] = g
        if targets is not None:
            # a non-leaf target whose own creator needed no gradient: its gradient is still waiting
            for t in targets:
                entry = grads.pop(id(t), None)
                if entry is not None:
                    results[id(t)] = _run_hooks(t, entry[1])
    return results


def _as_list(x) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def backward(tensors: "Tensor | Sequence[Tensor]", grad_tensors: "Tensor | Sequence | None" = None, *,
             retain_graph: bool | None = None, create_graph: bool = False) -> None:
    """Accumulate gradients of `tensors` into the `.grad` of every leaf behind them.

    `grad_tensors` gives d(loss)/d(tensor) for each tensor (None: ones, scalars only).
    The graph is freed afterwards unless `retain_graph` (default: `create_graph`).
    """
    tensors = _as_list(tensors)
    grad_tensors = [None] * len(tensors) if grad_tensors is None else _as_list(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise ValueError(f"backward: {len(grad_tensors)} gradients for {len(tensors)} tensors")
    for t, g in zip(tensors, grad_tensors):
        if g is None and t.data.size != 1:
            raise RuntimeError(
                f"backward: grad can be created implicitly only for scalar outputs, got shape {t.shape}; "
                "pass gradient= a tensor of that shape")
    if retain_graph is None:
        retain_graph = create_graph
    _run_backward(tensors, grad_tensors, retain_graph=retain_graph, create_graph=create_graph, targets=None)


def grad(outputs: "Tensor | Sequence[Tensor]", inputs: "Tensor | Sequence[Tensor]",
         grad_outputs: "Tensor | Sequence | None" = None, create_graph: bool = False,
         retain_graph: bool | None = None, allow_unused: bool = False) -> tuple:
    """d(outputs)/d(inputs) as a tuple with one entry per input, without touching any `.grad`.

    `grad_outputs` weights each output (None: ones, scalar outputs only); `inputs` may
    be leaves or intermediate tensors. With ``create_graph=True`` the returned
    gradients are themselves differentiable (gradient penalties, Hessian-vector
    products). The graph is freed unless `retain_graph` (default: `create_graph`).
    An input the outputs do not depend on raises, or gives None with `allow_unused`.
    """
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs] * len(outputs)
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for o, g in zip(outputs, grad_outputs):
        if g is None and o.data.size != 1:
            raise RuntimeError(
                f"grad: grad can be created implicitly only for scalar outputs, got shape {o.shape}; "
                "pass grad_outputs=")
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x._requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    results = _run_backward(outputs, grad_outputs, retain_graph=retain_graph,
                            create_graph=create_graph, targets=inputs)
    out = []
    for i, x in enumerate(inputs):
        g = results.get(id(x))
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {x.shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it")
        if g is not None and not create_graph:
            g = g.detach()
        out.append(g)
    return tuple(out)
