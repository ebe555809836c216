"""Map-style and iterable datasets with PyTorch's names (torch.utils.data): Dataset, TensorDataset,
ConcatDataset, Subset, random_split, IterableDataset.

A map-style dataset is anything with ``__getitem__(i)`` and ``__len__``; `DataLoader` batches it::

    ds = TensorDataset(mg.tensor(x), mg.tensor(y))       # x: (N, ...), y: (N,)
    train, val = random_split(ds, [0.9, 0.1], generator=0)
    for xb, yb in DataLoader(train, batch_size=128, shuffle=True): ...
"""
from __future__ import annotations

import bisect
import math
from typing import Any, Iterator, Sequence

import numpy as np

from ..autograd import Tensor
from .sampler import as_numpy_generator

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "Subset", "random_split"]


class Dataset:
    """Base class of map-style datasets: subclasses write ``__getitem__(index)`` and ``__len__()``;
    ``a + b`` is ``ConcatDataset([a, b])``."""

    def __getitem__(self, index) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of datasets that are streams: subclasses write ``__iter__``. DataLoader batches what it
    yields, in order (no sampler, no shuffle)."""

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __add__(self, other):
        raise TypeError("ConcatDataset does not support IterableDataset")


class TensorDataset(Dataset):
    """Sample i is ``tuple(t[i] for t in tensors)``; every tensor (or NumPy array) has the same first size N.

        ds = TensorDataset(images, labels)     # images (N, C, H, W), labels (N,)
        x, y = ds[0]                           # (C, H, W), ()
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        sizes = [_first_size(t) for t in tensors]
        if any(size != sizes[0] for size in sizes):
            raise ValueError(f"Size mismatch between tensors: first dimensions {sizes}")
        self.tensors = tuple(tensors)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return _first_size(self.tensors[0])


class ConcatDataset(Dataset):
    """The datasets one after the other: index ``len(a) + j`` is ``b[j]``."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        offset = idx if which == 0 else idx - self.cumulative_sizes[which - 1]
        return self.datasets[which][offset]


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list:
        # the dataset's own batch fetch when it has one, else one sample at a time
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator=None) -> list[Subset]:
    """Split into non-overlapping random Subsets of the given lengths (or fractions summing to 1, the
    remainder shared round-robin, as PyTorch). `generator`: an int seed or a numpy Generator; None draws
    from minigan's seeded generator (``minigan.manual_seed``)."""
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            counts.append(int(math.floor(n * frac)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = as_numpy_generator(generator).permutation(n).tolist()
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, order[start:start + length]))
        start += length
    return out


def _first_size(t) -> int:
    if isinstance(t, Tensor) or hasattr(t, "shape"):
        if len(t.shape) == 0:
            raise ValueError("TensorDataset: a 0-d tensor has no first dimension to index")
        return int(t.shape[0])
    return len(t)
