"""Named results of the ops that return values and indices together, as ``torch.return_types``.

``values, indices = x.max(dim=1)`` and ``x.max(dim=1).indices`` both work; one type per op
so that a result says where it came from in its repr (``max(values=..., indices=...)``).
"""
from __future__ import annotations

from collections import namedtuple

__all__ = ["max", "min", "sort", "topk", "median", "mode", "kthvalue", "aminmax"]

max = namedtuple("max", ["values", "indices"])          # noqa: A001 - torch's name
min = namedtuple("min", ["values", "indices"])          # noqa: A001 - torch's name
sort = namedtuple("sort", ["values", "indices"])
topk = namedtuple("topk", ["values", "indices"])
median = namedtuple("median", ["values", "indices"])
mode = namedtuple("mode", ["values", "indices"])
kthvalue = namedtuple("kthvalue", ["values", "indices"])
aminmax = namedtuple("aminmax", ["min", "max"])
