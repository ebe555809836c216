"""gradcheck and gradgradcheck: analytical gradients against central differences in float64.

Rather than building the full Jacobian, both checks project the outputs on a
fixed random direction v and compare d<v, f(x)>/dx element by element: one
backward pass, two forward passes per input element, and a wrong backward is
caught with probability one (Chainer's `check_backward` does the same).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from . import backend
from .autograd import Tensor, enable_grad, grad


class GradcheckError(AssertionError):
    """The analytical and numerical gradients disagree."""


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(fn: Callable, inputs: Sequence) -> tuple:
    return tuple(o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor) and o.dtype.kind == "f")


def _projection(outputs: Sequence[Tensor], directions: Sequence) -> Tensor:
    total = None
    for o, v in zip(outputs, directions):
        term = (o * Tensor(v)).sum()
        total = term if total is None else total + term
    return total


def _fail(message: str, raise_exception: bool) -> bool:
    if raise_exception:
        raise GradcheckError(message)
    return False


def gradcheck(fn: Callable, inputs: "Tensor | Sequence", *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, seed: int = 0) -> bool:
    """Check `fn`'s backward against finite differences for every input that requires grad.

    `inputs` must be float64 tensors (float32 differences are too coarse). Returns
    True, or raises `GradcheckError` naming the input, the element, both values and
    the largest error (returns False instead with ``raise_exception=False``).
    """
    return _check(fn, _as_tuple(inputs), eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception,
                  seed=seed, what="gradcheck", name=lambda i: f"input {i}")


def _check(fn: Callable, inputs: tuple, *, eps: float, atol: float, rtol: float, raise_exception: bool,
           seed: int, what: str, name: Callable[[int], str]) -> bool:
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError(f"{what}: no input requires grad; mark the inputs to check with requires_grad=True")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise ValueError(f"{what}: {name(i)} is {inputs[i].dtype}; use float64 (x.double()) "
                             "so finite differences are accurate")
    outputs = _outputs(fn, inputs)
    if not outputs:
        raise ValueError(f"{what}: fn returned no floating-point tensor")
    rng = np.random.default_rng(seed)
    directions = [backend.to_device(rng.standard_normal(o.shape), o.device) for o in outputs]
    if not any(o.requires_grad for o in outputs):
        analytical = [inputs[i].xp.zeros_like(inputs[i].data) for i in checked]
    else:
        grads = grad(_projection(outputs, directions), [inputs[i] for i in checked], allow_unused=True)
        analytical = [g.data if g is not None else inputs[i].xp.zeros_like(inputs[i].data)
                      for g, i in zip(grads, checked)]

    def projected() -> float:
        # grad mode stays on: gradgradcheck's fn itself calls grad(create_graph=True)
        with enable_grad():
            return float(_projection(_outputs(fn, inputs), directions).item())

    for slot, i in enumerate(checked):
        x = inputs[i]
        data = x.data
        numeric = np.empty(x.shape)
        # element by element through an index (a reshape(-1) of a non-contiguous array is a copy)
        for index in np.ndindex(*x.shape):
            original = data[index].item()
            data[index] = original + eps
            plus = projected()
            data[index] = original - eps
            minus = projected()
            data[index] = original
            numeric[index] = (plus - minus) / (2 * eps)
        ana = backend.as_numpy(analytical[slot])
        error = np.abs(ana - numeric)
        bad = ~(error <= atol + rtol * np.abs(numeric))  # NaN anywhere counts as a failure
        if bad.any():
            index = tuple(int(j) for j in np.argwhere(bad)[0])
            largest = float(np.nanmax(error)) if not np.isnan(error).all() else float("nan")
            return _fail(
                f"{what} failed for {name(i)} (shape {x.shape}) at element {index}: "
                f"analytical {ana[index]:.8g}, numerical {numeric[index]:.8g}; "
                f"largest error {largest:.3g} (atol={atol}, rtol={rtol})", raise_exception)
    return True


def gradgradcheck(fn: Callable, inputs: "Tensor | Sequence", grad_outputs: "Sequence | None" = None, *,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
                  seed: int = 0) -> bool:
    """Check second derivatives: gradcheck the map (inputs, v) -> d<v, fn(inputs)>/d(inputs).

    The backward pass built with ``create_graph=True`` is differentiated again and
    compared with finite differences of the first backward. `grad_outputs` (the v)
    default to random float64 tensors that also require grad, as in PyTorch.
    """
    inputs = _as_tuple(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradgradcheck: no input requires grad; mark the inputs to check with requires_grad=True")
    outputs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(seed + 1)
        grad_outputs = [Tensor(backend.to_device(rng.standard_normal(o.shape), o.device), requires_grad=True)
                        for o in outputs]
    grad_outputs = list(_as_tuple(grad_outputs))
    n = len(inputs)

    def first_derivative(*args):
        xs, vs = args[:n], args[n:]
        gs = grad(_outputs(fn, xs), [xs[i] for i in checked], grad_outputs=list(vs), create_graph=True,
                  allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return _check(first_derivative, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                  raise_exception=raise_exception, seed=seed + 2, what="gradgradcheck (second derivatives)",
                  name=lambda i: f"input {i}" if i < n else f"grad_output {i - n}")
