"""Functional transforms with torch.autograd.functional's names and signatures.

``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``hvp`` and ``vhp`` take a function of
Tensors and the point to evaluate it at (a Tensor or a tuple of them), and return
plain results (tuples where the inputs or outputs were tuples):

>>> import minigan as mg
>>> from minigan.autograd.functional import hvp, jacobian
>>> f = lambda x: (x ** 3).sum()
>>> jacobian(f, mg.tensor([1.0, 2.0]))
tensor([ 3., 12.])
>>> hvp(f, mg.tensor([1.0, 2.0]), mg.ones(2))
(tensor(9.), tensor([ 6., 12.]))

Everything is reverse mode. ``jvp`` uses the double-vjp trick: for u -> J^T u (a vjp,
linear in u), the vjp of that map with respect to u along v is J v. ``jacobian`` runs
one vjp per output element (a row of J at a time). ``create_graph=True`` keeps the
results differentiable; ``strict=True`` raises when an output does not depend on an
input (where the result would be all zeros) instead of returning the zeros.
"""
from __future__ import annotations

from typing import Callable

from . import tensor_math as _tensor_module
from .engine import grad as _grad
from .grad_mode import enable_grad
from .tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _as_tuple(x, what: str, fn_name: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(x, (tuple, list))
    xs = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn_name}: {what} {i} must be a minigan Tensor, got {type(t).__name__}")
    return is_tuple, xs


def _grad_preprocess(inputs: tuple, create_graph: bool) -> tuple:
    """Fresh leaves requiring grad that share the inputs' data (as torch's _grad_preprocess).

    With create_graph an input already in a graph stays connected to it (through a
    differentiable identity), so the results can be differentiated with respect to it.
    """
    out = []
    for x in inputs:
        if create_graph and x.requires_grad:
            out.append(x * 1.0)
        else:
            out.append(Tensor(x.array, requires_grad=True))
    return tuple(out)


def _postprocess(values: tuple, create_graph: bool) -> tuple:
    return tuple(v if create_graph or v is None else v.detach() for v in values)


def _zeros_like(x: Tensor) -> Tensor:
    with x.device.scope():
        return Tensor(x.xp.zeros_like(x.array))


def _autograd_grad(outputs: tuple, inputs: tuple, grad_outputs: tuple, create_graph: bool) -> tuple:
    """grad() that tolerates outputs which do not require grad and inputs they do not use (None)."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _grad([o for o, _ in pairs], list(inputs), grad_outputs=[g for _, g in pairs],
                 create_graph=create_graph, retain_graph=True, allow_unused=True)


def _fill_none(grads: tuple, like: tuple, strict: bool, fn_name: str, subject: str) -> tuple:
    """Zeros for the None gradients (an input `subject` does not depend on), or raise with strict."""
    out = []
    for i, (g, x) in enumerate(zip(grads, like)):
        if g is None:
            if strict:
                raise RuntimeError(f"{fn_name}: {subject} is independent of input {i}; strict=True forbids "
                                   "that (pass strict=False to get zeros)")
            g = _zeros_like(x)
        out.append(g)
    return tuple(out)


def _check_v(v, outputs: tuple, fn_name: str, what: str) -> tuple:
    if v is None:
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError(f"{fn_name}: v may be omitted only when the function returns a single "
                               f"one-element tensor, got shapes {[o.shape for o in outputs]}")
        with outputs[0].device.scope():
            return (Tensor(outputs[0].xp.ones_like(outputs[0].array)),)
    _, vs = _as_tuple(v, "v", fn_name)
    if len(vs) != len(outputs):
        raise RuntimeError(f"{fn_name}: v has {len(vs)} entries for {len(outputs)} {what}")
    for i, (a, b) in enumerate(zip(vs, outputs)):
        if a.shape != b.shape:
            raise RuntimeError(f"{fn_name}: entry {i} of v has shape {a.shape} but {what} {i} has shape {b.shape}")
    return vs


def _call(func: Callable, inputs: tuple, fn_name: str) -> tuple[bool, tuple]:
    with enable_grad():
        outputs = func(*inputs)
    return _as_tuple(outputs, "output", fn_name)


def _unpack(values: tuple, is_tuple: bool):
    return values if is_tuple else values[0]


def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J): the vector-Jacobian product, one backward pass.

    `v` has the outputs' shapes (omit it for a one-element output).

    >>> import minigan as mg
    >>> vjp(lambda x: x ** 2, mg.tensor([1.0, 2.0]), mg.ones(2))
    (tensor([1., 4.]), tensor([2., 4.]))
    """
    inputs_is_tuple, inputs = _as_tuple(inputs, "input", "vjp")
    inputs = _grad_preprocess(inputs, create_graph)
    outputs_is_tuple, outputs = _call(func, inputs, "vjp")
    vs = _check_v(v, outputs, "vjp", "outputs")
    grads = _autograd_grad(outputs, inputs, vs, create_graph)
    grads = _fill_none(grads, inputs, strict, "vjp", "the output")
    return (_unpack(_postprocess(outputs, create_graph), outputs_is_tuple),
            _unpack(_postprocess(grads, create_graph), inputs_is_tuple))


def jvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v): the Jacobian-vector product, by the double-vjp trick.

    g(u) = u^T J is linear in u, so the vjp of g along v is J v: two backward passes, no
    forward mode needed.

    >>> import minigan as mg
    >>> jvp(lambda x: x ** 2, mg.tensor([1.0, 2.0]), mg.tensor([1.0, 0.0]))
    (tensor([1., 4.]), tensor([2., 0.]))
    """
    inputs_is_tuple, inputs = _as_tuple(inputs, "input", "jvp")
    inputs = _grad_preprocess(inputs, create_graph)
    outputs_is_tuple, outputs = _call(func, inputs, "jvp")
    if v is None:
        if len(inputs) != 1 or inputs[0].size != 1:
            raise RuntimeError("jvp: v may be omitted only for a single one-element input")
        vs = (Tensor(inputs[0].xp.ones_like(inputs[0].array)),)
    else:
        vs = _check_v(v, inputs, "jvp", "inputs")
    # u is a dummy cotangent; J^T u is linear in it, and its vjp along v is J v
    us = []
    for o in outputs:
        with o.device.scope():
            us.append(Tensor(o.xp.zeros_like(o.array), requires_grad=True))
    with enable_grad():
        grad_inputs = _autograd_grad(outputs, inputs, tuple(us), create_graph=True)
    if strict:
        _fill_none(grad_inputs, inputs, strict, "jvp", "the output")
    pairs = [(g, vi) for g, vi in zip(grad_inputs, vs) if g is not None and g.requires_grad]
    if pairs:
        jv = _grad([g for g, _ in pairs], us, grad_outputs=[vi for _, vi in pairs], create_graph=create_graph,
                   retain_graph=True, allow_unused=True)
    else:
        jv = (None,) * len(us)
    jv = _fill_none(jv, outputs, strict, "jvp", "the jvp result")
    return (_unpack(_postprocess(outputs, create_graph), outputs_is_tuple),
            _unpack(_postprocess(jv, create_graph), outputs_is_tuple))


def jacobian(func: Callable, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """The Jacobian d func(inputs)[j] / d inputs[i], of shape output.shape + input.shape.

    Reverse mode, one vjp per output element. With tuples of inputs and/or outputs the
    result nests as torch's: ``J[i][j]`` is output i by input j. ``vectorize`` is
    accepted for torch's signature and changes nothing; only "reverse-mode" exists.

    >>> import minigan as mg
    >>> jacobian(lambda x: x ** 2, mg.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    if strategy != "reverse-mode":
        raise ValueError(f"jacobian: only strategy='reverse-mode' is implemented, got {strategy!r}")
    ops = _tensor_module._ops  # stack and reshape, late-bound like Tensor's methods (ops sit above autograd)
    inputs_is_tuple, inputs = _as_tuple(inputs, "input", "jacobian")
    inputs = _grad_preprocess(inputs, create_graph)
    outputs_is_tuple, outputs = _call(func, inputs, "jacobian")
    result = []
    for i, out in enumerate(outputs):
        rows: list[list[Tensor]] = [[] for _ in inputs]
        for j in range(out.numel()):
            onehot = out.xp.zeros(out.numel(), dtype=out.dtype)
            onehot[j] = 1
            seed = Tensor(onehot.reshape(out.shape))
            grads = _autograd_grad((out,), inputs, (seed,), create_graph)
            for k, g in enumerate(_fill_none(grads, inputs, strict, "jacobian", f"output {i}")):
                rows[k].append(g)
        blocks = []
        for k, x in enumerate(inputs):
            if rows[k]:
                block = ops.reshape(ops.stack(rows[k], 0), out.shape + x.shape)
            else:  # an empty output
                block = Tensor(x.xp.zeros(out.shape + x.shape, dtype=x.dtype))
            blocks.append(block if create_graph else block.detach())
        result.append(tuple(blocks))
    if not outputs_is_tuple:
        return result[0] if inputs_is_tuple else result[0][0]
    return tuple(r if inputs_is_tuple else r[0] for r in result)


def hessian(func: Callable, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar function: shape input.shape + input.shape (nested H[i][j] for tuples).

    The Jacobian of the gradient, built with create_graph so it can be differentiated.

    >>> import minigan as mg
    >>> hessian(lambda x: (x ** 3).sum(), mg.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    inputs_is_tuple, inputs = _as_tuple(inputs, "input", "hessian")

    def gradient(*xs):
        _, outs = _call(func, xs, "hessian")
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError(f"hessian: func must return a single one-element tensor, got shapes "
                               f"{[o.shape for o in outs]}")
        out = outs[0]
        ones = Tensor(out.xp.ones_like(out.array))
        grads = _autograd_grad((out,), xs, (ones,), create_graph=True)
        return _fill_none(grads, xs, strict, "hessian", "the output")

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict, strategy=outer_jacobian_strategy)
    return result if inputs_is_tuple else result[0][0]


def vhp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H) for a scalar function: the vector-Hessian product, two backward passes.

    >>> import minigan as mg
    >>> vhp(lambda x: (x ** 3).sum(), mg.tensor([1.0, 2.0]), mg.tensor([1.0, 0.0]))
    (tensor(9.), tensor([6., 0.]))
    """
    return _vhp(func, inputs, v, create_graph, strict, "vhp")


def hvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H v) for a scalar function. The Hessian of a twice continuously
    differentiable function is symmetric, so this is v^T H (torch computes it with the
    double-vjp trick instead; the values are the same).

    >>> import minigan as mg
    >>> hvp(lambda x: (x ** 3).sum(), mg.tensor([1.0, 2.0]), mg.tensor([0.0, 1.0]))
    (tensor(9.), tensor([ 0., 12.]))
    """
    return _vhp(func, inputs, v, create_graph, strict, "hvp")


def _vhp(func: Callable, inputs, v, create_graph: bool, strict: bool, name: str):
    inputs_is_tuple, inputs = _as_tuple(inputs, "input", name)
    inputs = _grad_preprocess(inputs, create_graph)
    _, outputs = _call(func, inputs, name)
    if len(outputs) != 1 or outputs[0].numel() != 1:
        raise RuntimeError(f"{name}: func must return a single one-element tensor, got shapes "
                           f"{[o.shape for o in outputs]}")
    if v is None and len(inputs) == 1 and inputs[0].numel() == 1:
        vs = (Tensor(inputs[0].xp.ones_like(inputs[0].array)),)
    else:
        vs = _check_v(v, inputs, name, "inputs")
    out = outputs[0]
    with enable_grad():
        grads = _autograd_grad((out,), inputs, (Tensor(out.xp.ones_like(out.array)),), create_graph=True)
    grads = _fill_none(grads, inputs, strict, name, "the output")
    pairs = [(g, vi) for g, vi in zip(grads, vs) if g.requires_grad]
    hv = (_grad([g for g, _ in pairs], list(inputs), grad_outputs=[vi for _, vi in pairs],
                create_graph=create_graph, retain_graph=True, allow_unused=True)
          if pairs else (None,) * len(inputs))
    hv = _fill_none(hv, inputs, strict, name, "the gradient")
    return (_postprocess((out,), create_graph)[0], _unpack(_postprocess(hv, create_graph), inputs_is_tuple))
