"""EpochLoader: a DataLoader seen through the GAN trainer's loader interface (epochs, a resume position).

The trainer asks a loader for ``len``, ``batch_size``, ``iter_epoch(epoch, start_batch)`` and a
``state_dict``; `ImageLoader` has them, and this wraps a `DataLoader` to give them::

    trainer = GANTrainer(config, data=DataLoader(MNIST("data", transform=lambda x: x * 2 - 1),
                                                 batch_size=64, shuffle=True, drop_last=True))

A resumed run skips the batches already used without loading them. The order it resumes into is
the interrupted epoch's only when the sampler's order does not depend on random state drawn at the
start of the epoch (no shuffle, or a sampler of your own that is a function of the epoch); with
``shuffle=True`` the rest of that epoch comes from a fresh permutation.
"""
from __future__ import annotations

from typing import Any, Iterator

from .dataloader import DataLoader


class EpochLoader:
    """`loader`'s batches by epoch, with the position a checkpoint stores."""

    def __init__(self, loader: DataLoader):
        if loader.batch_sampler is None:
            raise ValueError("EpochLoader: the GAN trainer needs a DataLoader over a map-style dataset with "
                             "batching on (batch_size or batch_sampler), got an iterable dataset or batch_size=None")
        self.loader = loader
        self.batch_size = getattr(loader.batch_sampler, "batch_size", loader.batch_size)
        self.drop_last = loader.drop_last
        self.num_samples = len(loader.dataset)

    def __len__(self) -> int:
        return len(self.loader)

    def iter_epoch(self, epoch: int, start_batch: int = 0) -> Iterator[Any]:
        """Batches start_batch, start_batch + 1, ... of an epoch (a new pass over the loader's sampler)."""
        index_lists = iter(self.loader.batch_sampler)
        for _ in range(start_batch):
            next(index_lists, None)
        return self.loader.batches(index_lists)

    def state_dict(self) -> dict[str, int | bool]:
        """The settings the position depends on (the trainer adds epoch and batch)."""
        return {"batch_size": self.batch_size, "num_samples": self.num_samples, "drop_last": self.drop_last}

    def load_state_dict(self, state: dict) -> None:
        """Refuse a position saved with settings that would change the batches."""
        for key in ("batch_size", "num_samples", "drop_last"):
            if key in state and state[key] != getattr(self, key):
                raise ValueError(f"cannot resume: the saved loader had {key}={state[key]!r}, this one has "
                                 f"{getattr(self, key)!r}")
