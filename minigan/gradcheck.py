"""gradcheck and gradgradcheck: analytical gradients against central differences in float64.

Two modes, PyTorch's split:

- the full Jacobian (default while the outputs have at most `FULL_JACOBIAN_LIMIT` elements,
  or ``fast_mode=False``): every d out[j] / d in[i] is compared, one backward pass per
  output element and two forward passes per input element;
- ``fast_mode=True`` (the default above the limit): the outputs are projected on a fixed
  random direction v and d<v, f(x)>/dx is compared element by element: one backward pass,
  and a wrong backward is still caught with probability one (Chainer's `check_backward`).

A failure names every failing input and, for each, the worst element of the Jacobian
itself (both values, the absolute and relative error and the tolerance), and says what
the pattern usually means: an analytical value of exactly 0 (a backward that is not
recorded), a constant factor, NaN, or a function that is not deterministic.

    mg.gradcheck(lambda t: (t ** 3).tanh(), mg.randn(4, dtype="float64", requires_grad=True))
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from . import backend
from .autograd import Tensor, enable_grad, grad

FULL_JACOBIAN_LIMIT = 256  # output elements; above it the default check is the random-direction one
_REPORT_LIMIT = 200_000    # Jacobian elements a fast-mode failure computes in full to explain itself


class GradcheckError(AssertionError):
    """The analytical and numerical gradients disagree."""


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(fn: Callable, inputs: Sequence) -> tuple:
    return tuple(o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor) and o.dtype.kind == "f")


def _fail(message: str, raise_exception: bool) -> bool:
    if raise_exception:
        raise GradcheckError(message)
    return False


def _flat_outputs(fn: Callable, inputs: Sequence) -> np.ndarray:
    # grad mode stays on: gradgradcheck's fn itself calls grad(create_graph=True)
    with enable_grad():
        outs = _outputs(fn, inputs)
    if not outs:
        return np.zeros(0)
    return np.concatenate([backend.as_numpy(o.array).reshape(-1).astype(np.float64) for o in outs])


def _numerical(fn: Callable, inputs: tuple, i: int, eps: float, directions: np.ndarray | None) -> np.ndarray:
    """Central differences: (n_out, n_in) for the full Jacobian, or (1, n_in) along `directions`."""
    x = inputs[i]
    data = x.array
    columns = []
    # element by element through an index (a reshape(-1) of a non-contiguous array is a copy)
    for index in np.ndindex(*x.shape):
        original = data[index].item()
        data[index] = original + eps
        plus = _flat_outputs(fn, inputs)
        data[index] = original - eps
        minus = _flat_outputs(fn, inputs)
        data[index] = original
        column = (plus - minus) / (2 * eps)
        columns.append(column if directions is None else np.array([column @ directions]))
    if not columns:  # an empty input
        return np.zeros((1 if directions is not None else len(_flat_outputs(fn, inputs)), 0))
    return np.stack(columns, axis=1)


def _analytical(outputs: tuple, xs: list, rows, n_rows: int) -> list[np.ndarray]:
    """One backward pass per row; each row is a list of grad_outputs (arrays, one per output)."""
    result = [np.zeros((n_rows, x.numel())) for x in xs]
    live = [k for k, o in enumerate(outputs) if o.requires_grad]
    if not live:
        return result
    for r, gos in enumerate(rows):
        gs = grad([outputs[k] for k in live], xs, grad_outputs=[Tensor(gos[k]) for k in live],
                  retain_graph=True, allow_unused=True)
        for slot, g in enumerate(gs):
            if g is not None:
                result[slot][r] = backend.as_numpy(g.array).reshape(-1)
    return result


def _onehot_rows(outputs: tuple):
    """The grad_outputs that pick each output element in turn (generated: n_out of them)."""
    for k, o in enumerate(outputs):
        for j in range(o.numel()):
            row = []
            for m, p in enumerate(outputs):
                arr = np.zeros(p.numel())
                if m == k:
                    arr[j] = 1.0
                row.append(backend.to_device(arr.reshape(p.shape), p.device))
            yield row


def gradcheck(fn: Callable, inputs: "Tensor | Sequence", *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, seed: int = 0, fast_mode: bool | None = None) -> bool:
    """Check `fn`'s backward against finite differences for every input that requires grad.

    `inputs` must be float64 tensors (float32 differences are too coarse). Each Jacobian
    element (or, in fast mode, each directional derivative) must satisfy
    ``|analytical - numerical| <= atol + rtol * |numerical|``. Returns True, or raises
    `GradcheckError` explaining every failing input (False with ``raise_exception=False``).
    ``fast_mode``: None picks the full Jacobian for small outputs, True forces the
    random-direction check, False the full Jacobian.

    >>> import minigan as mg
    >>> mg.gradcheck(lambda t: (t ** 3).tanh(), mg.tensor([0.5, -1.0], dtype="float64", requires_grad=True))
    True
    """
    return _check(fn, _as_tuple(inputs), eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception,
                  seed=seed, fast_mode=fast_mode, what="gradcheck", name=lambda i: f"input {i}")


def _check(fn: Callable, inputs: tuple, *, eps: float, atol: float, rtol: float, raise_exception: bool,
           seed: int, fast_mode: bool | None, what: str, name: Callable[[int], str]) -> bool:
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
    xs = [inputs[i] for i in checked]
    n_out = sum(o.numel() for o in outputs)
    fast = fast_mode if fast_mode is not None else n_out > FULL_JACOBIAN_LIMIT
    if fast:
        rng = np.random.default_rng(seed)
        directions = [rng.standard_normal(o.shape) for o in outputs]
        flat_v = np.concatenate([d.reshape(-1) for d in directions]) if directions else np.zeros(0)
        rows = [[backend.to_device(d, o.device) for d, o in zip(directions, outputs)]]
        analytical = _analytical(outputs, xs, rows, 1)
    else:
        flat_v = None
        analytical = _analytical(outputs, xs, _onehot_rows(outputs), n_out)
    failures = []
    for slot, i in enumerate(checked):
        numeric = _numerical(fn, inputs, i, eps, flat_v)
        ana = analytical[slot]
        if _fails(ana, numeric, atol, rtol):
            if fast and n_out * inputs[i].numel() <= _REPORT_LIMIT:  # explain with the Jacobian itself
                ana = _analytical(outputs, xs, _onehot_rows(outputs), n_out)[slot]
                numeric = _numerical(fn, inputs, i, eps, None)
                failures.append((i, ana, numeric, False))
            else:
                failures.append((i, ana, numeric, fast))
    if not failures:
        return True
    lines = [_describe(what, name(i), inputs[i], outputs, ana, num, directional, atol, rtol)
             for i, ana, num, directional in failures]
    nondeterministic = _nondeterminism(fn, inputs)
    if nondeterministic:
        lines.insert(0, nondeterministic)
    return _fail("\n".join(lines), raise_exception)


def _fails(ana: np.ndarray, num: np.ndarray, atol: float, rtol: float) -> bool:
    return bool((~(np.abs(ana - num) <= atol + rtol * np.abs(num))).any())  # NaN counts as a failure


def _where(outputs: tuple, row: int) -> str:
    for k, o in enumerate(outputs):
        if row < o.numel():
            index = np.unravel_index(row, o.shape) if o.shape else ()
            return f"output {k}{list(int(j) for j in index)}"
        row -= o.numel()
    return "output ?"


def _describe(what: str, label: str, x: Tensor, outputs: tuple, ana: np.ndarray, num: np.ndarray,
              directional: bool, atol: float, rtol: float) -> str:
    error = np.abs(ana - num)
    tolerance = atol + rtol * np.abs(num)
    excess = np.where(np.isnan(error), np.inf, error - tolerance)
    row, col = np.unravel_index(int(np.argmax(excess)), excess.shape)
    index = tuple(int(j) for j in np.unravel_index(col, x.shape)) if x.shape else ()
    a, n, e, t = ana[row, col], num[row, col], error[row, col], tolerance[row, col]
    rel = e / abs(n) if n != 0 else float("inf")
    bad = int((~(error <= tolerance)).sum())
    largest = float(np.nanmax(error)) if not np.isnan(error).all() else float("nan")
    if directional:
        whose = (f"d<v, outputs>/d {label}{list(index)} along a fixed random direction v (fast mode: "
                 "directional derivatives, not single Jacobian elements)")
    else:
        whose = f"d {_where(outputs, row)} / d {label}{list(index)}, one element of the Jacobian"
    message = (f"{what} failed for {label} (shape {x.shape}) at element {index}: analytical {a:.8g}, "
               f"numerical {n:.8g} ({whose}); abs error {e:.3g}, rel error {rel:.3g}, tolerance {t:.3g} "
               f"(atol {atol} + rtol {rtol} * |numerical|); {bad} of {error.size} elements fail; "
               f"largest error {largest:.3g}")
    cause = _likely_cause(ana, num, tolerance)
    return message + (f"\n  likely cause: {cause}" if cause else "")


def _likely_cause(ana: np.ndarray, num: np.ndarray, tolerance: np.ndarray) -> str:
    if not np.isfinite(ana).all():
        return ("the analytical gradient has NaN or inf: a division by zero, or log/sqrt/pow at 0 in the "
                "backward (or in a forward it differentiates)")
    if not np.isfinite(num).all():
        return "the numerical gradient has NaN or inf: the function itself is not finite near this point"
    significant = np.abs(num) > tolerance
    if significant.any() and (ana[significant] == 0).all():
        return ("the analytical gradient is exactly 0 where the numerical one is not: the backward is not "
                "recorded (computed on .data or raw arrays, so double backward sees a constant), returned "
                "None, or the input was detached inside fn")
    if significant.sum() >= 1:
        ratios = ana[significant] / num[significant]
        r0 = float(np.median(ratios))
        if np.all(np.abs(ratios - r0) <= 1e-3 * abs(r0) + 1e-12) and abs(r0 - 1) > 1e-3:
            return (f"the analytical values are {r0:.6g} times the numerical ones everywhere: a constant factor "
                    "is off in the backward")
    return ""


def _nondeterminism(fn: Callable, inputs: tuple) -> str:
    first, second = _flat_outputs(fn, inputs), _flat_outputs(fn, inputs)
    if first.shape == second.shape and np.array_equal(first, second, equal_nan=True):
        return ""
    gap = float(np.nanmax(np.abs(first - second))) if first.shape == second.shape else float("nan")
    return (f"fn is not deterministic: two calls with the same inputs differ (by up to {gap:.3g}), so its "
            "finite differences are meaningless (dropout or other randomness?). Seed it before each call, "
            "or switch the randomness off (module.eval(), p=0), then check again. The numbers below are "
            "not to be trusted:")


def gradgradcheck(fn: Callable, inputs: "Tensor | Sequence", grad_outputs: "Sequence | None" = None, *,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
                  seed: int = 0, fast_mode: bool | None = None) -> bool:
    """Check second derivatives: gradcheck the map (inputs, v) -> d<v, fn(inputs)>/d(inputs).

    The backward pass built with ``create_graph=True`` is differentiated again and
    compared with finite differences of the first backward. `grad_outputs` (the v)
    default to random float64 tensors that also require grad, as in PyTorch.
    ``gradgradcheck(lambda t: t.tanh() * t, [x])``; `fast_mode` as in `gradcheck`.
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
                  raise_exception=raise_exception, seed=seed + 2, fast_mode=fast_mode,
                  what="gradgradcheck (second derivatives)",
                  name=lambda i: f"input {i}" if i < n else f"grad_output {i - n}")
