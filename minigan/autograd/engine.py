"""The reverse-mode engine: `backward` and `grad`.

Functions come off a heap keyed on their generation (depth from the leaves), never by
recursion, so a 100,000-op chain works. After a pass each function drops what it saved
unless ``retain_graph=True``, so memory goes back as soon as the gradients are out.
"""
from __future__ import annotations

import heapq
import itertools
from typing import Sequence

import numpy as np

from .. import backend, layout
from ..backend import DeviceError
from .anomaly import _Anomaly, check_gradients
from .function import Function, astype
from .grad_mode import _GradMode, set_grad_enabled
from .tensor import Tensor, _is_cupy_array
from .version import _Clock, check_versions

def _as_grad_tensor(g, like: Tensor) -> Tensor:
    """The gradient given for output `like`: ones for None; same shape, device and dtype."""
    if g is None:
        with like.device.scope():
            return Tensor(like.xp.ones_like(like.array))
    if not isinstance(g, Tensor):
        arr = g if _is_cupy_array(g) else np.asarray(g)
        g = Tensor(backend.to_device(arr, like.device))
    if g.shape != like.shape:
        raise RuntimeError(f"backward: gradient has shape {g.shape} but the tensor has shape {like.shape}")
    if g.device != like.device:
        raise DeviceError(f"backward: gradient is on {g.device} but the tensor is on {like.device}")
    if g.array.dtype != like.array.dtype:
        g = astype(g, like.array.dtype)
    return g


def _fit_grad(fn: Function, x: Tensor, gx) -> Tensor:
    """Check a gradient from `fn.backward` and match its input's dtype."""
    if not isinstance(gx, Tensor):
        gx = Tensor(gx)
    if gx.shape != x.shape:
        raise RuntimeError(
            f"{fn.name}.backward returned a gradient of shape {gx.shape} for an input of shape {x.shape}")
    if gx.array.dtype != x.array.dtype:
        gx = astype(gx, x.array.dtype)
    return gx


def _accumulate(store: dict, t: Tensor, g: Tensor) -> None:
    key = id(t)
    entry = store.get(key)
    if entry is None:
        store[key] = (t, g)  # holding t keeps its id from being reused mid-backward
    elif _GradMode.enabled:
        store[key] = (t, entry[1] + g)
    else:
        store[key] = (t, Tensor(entry[1].array + g.array))


def _store_grad(t: Tensor, g: Tensor, create_graph: bool, handed_out: set) -> None:
    """Accumulate into `t.grad`, as PyTorch does.

    Without create_graph, each `.grad` owns a C-order array, so an optimiser may update it in
    place and walk it in the parameter's own order (minigan/layout.py: parameters' gradients
    are never feature-major): a view (a read-only broadcast, a reshape of another gradient),
    an array already handed to another tensor (both operands of an add get the same one, the
    caller holds the root gradient) or one in another layout (a weight gradient a product
    wrote feature-major) is copied to C order; a fresh C-order array is kept as it is.
    """
    # `_grad`, not the checked `grad` property: the engine's gradients already have t's shape
    if create_graph:
        t._grad = g if t._grad is None else t._grad + g
    elif t._grad is None:
        data = g.array
        if data.base is not None or id(data) in handed_out or not data.flags.c_contiguous:
            data = layout.c_order_copy(data)  # a feature-major array in tiles (fast)
        handed_out.add(id(data))
        t._grad = Tensor(data)
    else:
        t._grad = Tensor(t._grad.array + g.array)


def _run_hooks(t: Tensor, g: Tensor) -> Tensor:
    if t._hooks:
        for hook in list(t._hooks.values()):
            out = hook(g)
            if out is not None:
                out = out if isinstance(out, Tensor) else Tensor(out)
                if out.shape != t.shape:
                    raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} returned a gradient of shape "
                                       f"{out.shape} for a tensor of shape {t.shape}")
                g = out
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
            handed_out.add(id(g.array))
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
                g = entry[1] if not o._hooks else _run_hooks(o, entry[1])
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
            if len(gys) > 1 and f._materialize_grads:
                gys = [g if g is not None else _zero_grad_for_output(f, i, first) for i, g in enumerate(gys)]
            inputs = f.inputs
            if _Clock.now != f._clock:  # some in-place write happened after f ran: was it to f's tensors?
                check_versions(f, inputs)
            if needed is None:
                f.needs_input_grad = tuple([x._requires_grad for x in inputs])
            else:
                f.needs_input_grad = tuple(
                    x._requires_grad and (id(x) in target_ids or (x.creator is not None and id(x.creator) in needed))
                    for x in inputs)
            gxs = f.backward(*gys)
            if not isinstance(gxs, tuple):
                gxs = tuple(gxs) if isinstance(gxs, list) else (gxs,)
            if len(gxs) != len(inputs):
                raise RuntimeError(f"{f.name}.backward returned {len(gxs)} gradients for {len(inputs)} inputs")
            if _Anomaly.enabled:
                check_gradients(f, inputs, gxs)
            for x, gx, need in zip(inputs, gxs, f.needs_input_grad):
                if gx is None or not need:
                    continue
                # inline fast paths (this loop runs once per graph edge): a Tensor of the right shape
                # and dtype needs no fitting, and a first gradient no accumulation
                xd = x.array
                if type(gx) is not Tensor or gx.array.shape != xd.shape or gx.array.dtype != xd.dtype:
                    gx = _fit_grad(f, x, gx)
                key = id(x)
                if key in grads:
                    _accumulate(grads, x, gx)
                else:
                    grads[key] = (x, gx)
                creator = x.creator
                if creator is None:
                    leaves[key] = x
                elif id(creator) not in seen:
                    push(creator)
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
        if g is None and t.array.size != 1:
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
        if g is None and o.array.size != 1:
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
