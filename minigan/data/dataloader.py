"""DataLoader and default_collate with PyTorch's names, arguments and defaults (torch.utils.data).

    loader = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True)
    for xb, yb in loader: ...        # every sample once per epoch; the last batch may be short

What differs from PyTorch: there are no worker processes (``num_workers > 0`` runs in the main
process, with a warning, and gives the same batches); ``pin_memory`` is accepted and does nothing;
``generator`` is an int seed or a ``numpy.random.Generator`` (minigan has no Generator object), and
without one shuffling draws from minigan's seeded generator, so ``minigan.manual_seed`` repeats it.
For GAN training, `ImageLoader` keeps the whole image set on the device and resumes mid-epoch.
"""
from __future__ import annotations

import collections.abc
import warnings
from typing import Any, Callable, Iterator

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..creation import tensor
from ..ops import stack
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert"]

_COLLATE_TYPES = "tensors, numpy arrays, numbers, dicts or lists"


def default_collate(batch: list) -> Any:
    """Merge a list of samples into a batch, as torch's default_collate: Tensors are stacked on a new
    first axis (N, ...); NumPy arrays and NumPy scalars become stacked Tensors of their dtype; Python
    floats a float64 Tensor (N,), ints an int64 one, bools a bool one; strings stay a list; dicts are
    collated key by key, named tuples field by field, other sequences position by position (a tuple
    becomes a list, as in PyTorch)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if _is_array(elem):  # a NumPy (or CuPy) array
        if elem.dtype.kind in "SUOV":
            raise TypeError(f"default_collate: batch must contain {_COLLATE_TYPES}; found {elem.dtype}")
        return _stack([Tensor(b) for b in batch])
    if isinstance(elem, np.generic):
        if elem.dtype.kind in "SUOV":
            raise TypeError(f"default_collate: batch must contain {_COLLATE_TYPES}; found {elem.dtype}")
        return tensor(np.asarray(batch))
    if isinstance(elem, bool):
        return tensor(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, int):
        return tensor(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        try:
            return type(elem)({key: default_collate([d[key] for d in batch]) for key in elem})
        except TypeError:  # a Mapping type whose constructor takes no dict
            return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple keeps its type
        return type(elem)(*(default_collate(list(samples)) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(list(samples)) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        try:
            return type(elem)(columns)
        except TypeError:
            return columns
    raise TypeError(f"default_collate: batch must contain {_COLLATE_TYPES}; found {type(elem).__name__}")


def default_convert(data: Any) -> Any:
    """What a DataLoader with ``batch_size=None`` applies to each sample: NumPy arrays (and NumPy scalars)
    become Tensors, recursively through dicts and sequences; everything else is left as it is."""
    if _is_array(data) and data.dtype.kind not in "SUOV":
        return tensor(data)
    if isinstance(data, np.generic) and data.dtype.kind not in "SUOV":
        return tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return type(data)({key: default_convert(value) for key, value in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return type(data)([default_convert(d) for d in data]) if isinstance(data, list) else \
            [default_convert(d) for d in data]
    return data


def _is_array(x) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, (np.generic, Tensor))


def _stack(tensors: list) -> Tensor:
    if any(t.requires_grad for t in tensors):
        return stack(tensors, 0)  # through the graph, as torch.stack would
    first = tensors[0]
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != first.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(first.shape)} at entry 0 "
                               f"and {list(t.shape)} at entry {i}")
    xp = backend.get_array_module(first.array)
    return Tensor(xp.stack([t.array for t in tensors]))


class DataLoader:
    """Batches of a dataset: ``for batch in DataLoader(dataset, batch_size=64, shuffle=True)``.

    Each batch is ``collate_fn([dataset[i] for i in indices])`` (default `default_collate`) for the index
    lists of ``batch_sampler`` (default: `BatchSampler` over `RandomSampler` when ``shuffle``, else
    `SequentialSampler`). Every sample is seen once per epoch; the last batch is short unless
    ``drop_last``. ``batch_size=None`` turns batching off (each sample through `default_convert`). An
    `IterableDataset` is batched in the order it yields. ``len(loader)`` is the number of batches.
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn: Callable[[list], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers > 0:
            warnings.warn(f"DataLoader: num_workers={num_workers} runs in the main process (minigan has no worker "
                          f"processes); the batches are the same", UserWarning, stacklevel=2)
        self.dataset, self.num_workers, self.pin_memory, self.timeout = dataset, num_workers, pin_memory, timeout
        self.worker_init_fn, self.generator, self.prefetch_factor = worker_init_fn, generator, prefetch_factor
        self.persistent_workers, self.in_order = persistent_workers, in_order
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got "
                                 f"sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, but "
                                 f"got batch_sampler={batch_sampler}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        elif batch_size is not None and self._iterable:
            BatchSampler(range(0), batch_size, drop_last)  # the same checks of batch_size and drop_last
        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self._auto_collation = batch_sampler is not None or (self._iterable and batch_size is not None)
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)  # TypeError if the stream has no length, as in PyTorch
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else -(-length // self.batch_size)
            return length
        return len(self.batch_sampler if self._auto_collation else self.sampler)

    def __iter__(self) -> Iterator:
        if self._iterable:
            return self._iter_stream()
        if not self._auto_collation:
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        return self.batches(iter(self.batch_sampler))

    def batches(self, index_lists) -> Iterator:
        """The collated batch of each list of indices in `index_lists` (what iteration yields; a resumed
        loop passes the index lists it has not seen yet)."""
        fetch = getattr(self.dataset, "__getitems__", None)
        for indices in index_lists:
            samples = fetch(indices) if callable(fetch) else [self.dataset[i] for i in indices]
            yield self.collate_fn(samples)

    def _iter_stream(self) -> Iterator:
        if self.batch_size is None:
            yield from (self.collate_fn(sample) for sample in self.dataset)
            return
        batch: list = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __repr__(self) -> str:
        return (f"DataLoader(dataset={type(self.dataset).__name__} of {_length(self.dataset)}, "
                f"batch_size={self.batch_size}, sampler={type(self.sampler).__name__}, drop_last={self.drop_last})")


def _length(dataset) -> str:
    try:
        return str(len(dataset))
    except TypeError:
        return "unknown length"
