"""Samplers with PyTorch's names (torch.utils.data): the order a DataLoader visits a dataset in.

`RandomSampler` draws its permutations from `generator`: an int seed (a NumPy Generator made from it
once, so successive epochs differ but the sequence repeats run to run) or a ``numpy.random.Generator``.
minigan has no Generator object of its own; without one the sampler takes a fresh seed from minigan's
generator each epoch, so ``minigan.manual_seed(s)`` makes the order reproducible::

    minigan.manual_seed(0)
    for batch in BatchSampler(RandomSampler(range(10)), batch_size=4, drop_last=False): ...
"""
from __future__ import annotations

import numbers
from typing import Iterator, Sized

import numpy as np

from .. import backend

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "BatchSampler", "as_numpy_generator"]


def as_numpy_generator(generator) -> np.random.Generator:
    """A numpy Generator from `generator`: itself, one seeded by an int, or (None) one seeded from minigan's
    generator (so ``minigan.manual_seed`` decides it)."""
    if isinstance(generator, np.random.Generator):
        return generator
    if generator is None:
        seed = int(backend.rng_for(backend.Device("cpu")).integers(0, 2 ** 63 - 1))
        return np.random.default_rng(seed)
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(f"generator must be an int seed or a numpy.random.Generator, got {type(generator).__name__} "
                    f"(minigan has no Generator object)")


class Sampler:
    """Base class: ``__iter__`` yields dataset indices (or, for a batch sampler, lists of them)."""

    def __iter__(self) -> Iterator:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Sized):
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation each epoch, or ``num_samples`` draws with ``replacement``."""

    def __init__(self, data_source: Sized, replacement: bool = False, num_samples: int | None = None,
                 generator=None):
        self.data_source, self.replacement, self._num_samples = data_source, replacement, num_samples
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")
        # an int seed becomes one Generator now, so each epoch continues its stream (torch.Generator's behaviour)
        self.generator = generator if generator is None else as_numpy_generator(generator)

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        rng = as_numpy_generator(self.generator)
        if self.replacement:
            yield from rng.integers(0, n, size=self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[: self.num_samples % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group another sampler's indices into lists of ``batch_size``; the short last one is kept unless
    ``drop_last``."""

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
