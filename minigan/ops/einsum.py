"""einsum: Einstein summation over labelled axes, differentiable to any order.

The gradient for an operand is itself an einsum: contract the output gradient with the
other operands onto that operand's labels ("ij,jk->ik" gives "ik,jk->ij" for the first).
A label only that operand carries (summed away in the output) comes back as a broadcast.
Because the backward is made of einsum and shape ops, double backward comes for free.
The forward is NumPy's einsum with ``optimize=True``, which contracts pairs with tensordot.
"""
from __future__ import annotations

import string

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from .arith import as_operand
from .shape import broadcast_to, reshape


def _parse(spec: str, n: int) -> tuple[list[str], str]:
    spec = spec.replace(" ", "")
    lhs, arrow, out = spec.partition("->")
    subs = lhs.split(",")
    if len(subs) != n:
        raise ValueError(f"einsum: {spec!r} names {len(subs)} operands but {n} were given")
    letters = "".join(subs)
    if not all(c.isalpha() for c in letters + out):
        raise ValueError(f"einsum: {spec!r}: labels must be letters")
    for s in subs:
        if len(set(s)) != len(s):
            raise ValueError(f"einsum: repeated label within one operand ({s!r}: a diagonal) is not supported")
    if not arrow:  # implicit form: the labels seen once, in alphabetical order
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if len(set(out)) != len(out) or any(c not in letters for c in out):
        raise ValueError(f"einsum: output labels {out!r} must be distinct and appear in an operand")
    return subs, out


def _expand_ellipsis(spec: str, operands: list) -> tuple[str, list]:
    """Name the dimensions each ``...`` stands for with unused letters, right-aligned across the
    operands, and broadcast the operands whose ``...`` dimensions are shorter or of size 1
    (a differentiable broadcast: its gradient sums back). The implicit output puts them first."""
    spec = spec.replace(" ", "")
    if "." not in spec:
        return spec, operands
    lhs, arrow, out = spec.partition("->")
    subs = lhs.split(",")
    if spec.count(".") != 3 * spec.count("...") or any(s.count("...") > 1 for s in subs + [out]):
        raise ValueError(f"einsum: {spec!r}: '.' may only appear as one '...' per operand")
    if len(subs) != len(operands):
        raise ValueError(f"einsum: {spec!r} names {len(subs)} operands but {len(operands)} were given")
    spans = []  # (where the ellipsis starts, how many dimensions it covers) per operand
    for s, t in zip(subs, operands):
        if "..." in s:
            named = len(s) - 3
            if t.ndim < named:
                raise ValueError(f"einsum: operand {s!r} has {named} labels but shape {t.shape}")
            spans.append((s.index("..."), t.ndim - named))
        else:
            spans.append((0, 0))
    width = max([k for _, k in spans])
    free = [c for c in string.ascii_letters if c not in spec]
    if len(free) < width:
        raise ValueError(f"einsum: {spec!r}: '...' covers more dimensions than there are free letters")
    letters = "".join(free[:width])
    try:
        shape = np.broadcast_shapes(*[t.shape[p:p + k] for t, (p, k) in zip(operands, spans)])
    except ValueError:
        raise ValueError(f"einsum: {spec!r}: the dimensions '...' stands for do not broadcast: "
                         + ", ".join(str(t.shape) for t in operands)) from None
    new_subs, new_operands = [], []
    for s, t, (p, k) in zip(subs, operands, spans):
        if "..." in s:
            if t.shape[p:p + k] != shape:
                t = broadcast_to(reshape(t, t.shape[:p] + (1,) * (width - k) + t.shape[p:]),
                                 t.shape[:p] + shape + t.shape[p + k:])
            s = s.replace("...", letters)
        new_subs.append(s)
        new_operands.append(t)
    if arrow:
        out = out.replace("...", letters)
    else:
        named = "".join(new_subs)
        out = letters + "".join(sorted(c for c in set(named) if named.count(c) == 1 and c not in letters))
    return ",".join(new_subs) + "->" + out, new_operands


class Einsum(Function):
    def __init__(self, subs: list[str], out: str):
        self.subs, self.out = subs, out

    def forward(self, *xs):
        for s, x in zip(self.subs, xs):
            if len(s) != x.ndim:
                raise ValueError(f"einsum: operand {s!r} has {len(s)} labels but shape {x.shape}")
        spec = ",".join(self.subs) + "->" + self.out
        xp = backend.get_array_module(*xs)
        try:
            return xp.einsum(spec, *xs, optimize=True) if xp is np else xp.einsum(spec, *xs)
        except ValueError as exc:
            shapes = ", ".join(str(x.shape) for x in xs)
            raise ValueError(f"einsum: {spec!r} does not fit shapes {shapes}: {exc}") from None

    def backward(self, gy):
        xs = self.inputs
        grads = []
        for k, (target, x) in enumerate(zip(self.subs, xs)):
            if not self.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [j for j in range(len(xs)) if j != k]
            seen = set(self.out).union(*[self.subs[j] for j in others])
            kept = "".join(c for c in target if c in seen)
            g = Einsum([self.out] + [self.subs[j] for j in others], kept)(gy, *[xs[j] for j in others])
            if kept != target:  # labels only this operand had: they were summed, so broadcast back
                g = reshape(g, tuple(n if c in seen else 1 for c, n in zip(target, x.shape)))
                g = broadcast_to(g, x.shape)
            grads.append(g)
        return tuple(grads)


def einsum(spec: str, *operands) -> Tensor:
    """Einstein summation, as torch.einsum without diagonals (a label repeated in one operand).

    ``einsum("bij,bjk->bik", a, b)`` is a batched matmul, ``einsum("ij->", a)`` a sum,
    ``einsum("i,j->ij", u, v)`` an outer product, ``einsum("...ij,...jk", a, b)`` a matmul
    broadcast over any leading dimensions. Operands may also come as one list (torch's
    ``einsum("ij,jk", [a, b])``).

    >>> import minigan as mg
    >>> a = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> mg.einsum("ij,jk->ik", a, a)
    tensor([[ 7., 10.],
            [15., 22.]])
    >>> mg.einsum("ij->j", a)
    tensor([4., 6.])
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: needs at least one operand")
    tensors = [t for t in operands if isinstance(t, Tensor)]
    like = tensors[0] if tensors else Tensor(operands[0])
    operands = [as_operand(t, like) for t in operands]
    spec, operands = _expand_ellipsis(spec, operands)
    subs, out = _parse(spec, len(operands))
    return Einsum(subs, out)(*operands)
