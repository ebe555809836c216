"""ImageLoader: the GAN trainer's mini-batches, the whole image set on the device once, shuffled per epoch
from a seed and resumable at any (epoch, batch).

It is not PyTorch's DataLoader (that is `minigan.data.DataLoader`, over any Dataset): its defaults
suit a GAN (shuffle=True, drop_last=True, so every step sees a full batch), it takes uint8 images
only and scales them to [-1, 1], and its order is a pure function of (seed, epoch).
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import numpy as np

from ..backend import to_device
from ..distributed.sharding import shard
from ..creation import tensor


class ImageLoader:
    """Iterate over (images, labels) batches: ``for x, y in loader``.

    `dataset` is an (images, labels) pair as load_dataset returns: images
    (N, H, W) or (N, C, H, W) uint8, labels (N,). Images become float32 in
    [-1, 1] (x / 127.5 - 1, the range of a tanh generator), shape (N, C, H, W);
    labels become int64. Both are converted once and, for device 'cuda[:N]',
    copied to the GPU once; a batch is then a gather on the device, so there
    is no per-batch host-to-device copy.

    The order of epoch e is a pure function of (seed, e), so a run resumed at
    (epoch, batch) sees exactly the batches it would have seen: use
    iter_epoch(epoch, start_batch) or state_dict() / load_state_dict().
    Plain iteration continues from the saved position and moves on to the
    next epoch after each full pass. With ``world_size`` N, `batch_size` is
    the global batch: rank `rank` gets its contiguous share of each global
    batch (``minigan.distributed.shard``), the rows one process would see. With drop_last (the default, so every
    GAN step sees a full batch) a short final batch is skipped: a test-set
    loop that must see every image wants drop_last=False, or DataLoader.

        loader = ImageLoader(load_dataset("mnist", "train"), batch_size=64, seed=0, device="cuda")
    """

    def __init__(
        self,
        dataset: tuple[Any, Any],
        batch_size: int = 64,
        *,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = True,
        device: str = "cpu",
        as_tensor: bool = False,
        rank: int = 0,
        world_size: int = 1,
    ):
        images, labels = (np.asarray(array) for array in dataset)
        if images.dtype != np.uint8:
            raise TypeError(f"images must be uint8 (0..255), got {images.dtype}")
        if images.ndim == 3:
            images = images[:, None]  # add the channel axis: (N, 1, H, W)
        if images.ndim != 4:
            raise ValueError(f"images must be (N, H, W) or (N, C, H, W), got shape {images.shape}")
        if labels.shape != (len(images),):
            raise ValueError(f"labels must have shape ({len(images)},), got {labels.shape}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if int(seed) < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        if isinstance(world_size, bool) or not isinstance(world_size, int) or world_size < 1:
            raise ValueError(f"world_size must be a positive integer, got {world_size!r}")
        if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < world_size:
            raise ValueError(f"rank must be in 0..{world_size - 1}, got {rank!r}")
        if batch_size % world_size:
            raise ValueError(f"batch_size {batch_size} (the global batch) is not divisible by the {world_size} ranks")
        self.rank, self.world_size = rank, world_size
        self.batch_size, self.shuffle = int(batch_size), bool(shuffle)
        self.seed, self.drop_last = int(seed), bool(drop_last)
        self.device, self.as_tensor = str(device), bool(as_tensor)
        self.num_samples = len(images)
        scaled = images.astype(np.float32)
        scaled /= 127.5
        scaled -= 1.0
        self.images = self._to_device(scaled)
        self.labels = self._to_device(labels.astype(np.int64))
        self._epoch, self._batch = 0, 0

    def __len__(self) -> int:
        """Batches per epoch."""
        if self.drop_last:
            return self.num_samples // self.batch_size
        return -(-self.num_samples // self.batch_size)

    @property
    def epoch(self) -> int:
        """The epoch plain iteration is in (or starts next)."""
        return self._epoch

    def permutation(self, epoch: int) -> np.ndarray:
        """Sample order of `epoch` as a host array; identity when not shuffling.

        Seeded by SeedSequence(seed, spawn_key=(epoch,)): independent streams per
        epoch, computable for any epoch without replaying the ones before it.
        """
        if not self.shuffle:
            return np.arange(self.num_samples)
        sequence = np.random.SeedSequence(self.seed, spawn_key=(int(epoch),))
        return np.random.Generator(np.random.PCG64(sequence)).permutation(self.num_samples)

    def iter_epoch(self, epoch: int, start_batch: int = 0) -> Iterator[tuple[Any, Any]]:
        """Yield batches start_batch, start_batch+1, ... of `epoch`; does not touch the loader's position."""
        order = self._to_device(self.permutation(epoch))  # one small copy per epoch
        for batch in range(start_batch, len(self)):
            index = order[batch * self.batch_size : (batch + 1) * self.batch_size]
            if self.world_size > 1:   # this rank's rows of the global batch
                index = shard(index, self.rank, self.world_size)
            with _current_device_of(self.images):
                images, labels = self.images[index], self.labels[index]
            yield self._wrap(images, labels)

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self._batch >= len(self):  # the previous epoch was used up
            self._epoch, self._batch = self._epoch + 1, 0
        epoch = self._epoch
        for batch in self.iter_epoch(epoch, self._batch):
            # Advance before yielding: a state_dict() taken after using this batch resumes after it.
            self._batch += 1
            yield batch
        self._epoch, self._batch = epoch + 1, 0

    def state_dict(self) -> dict[str, int | bool]:
        """Position of the next batch plus the settings it depends on (JSON-friendly)."""
        return {
            "seed": self.seed, "epoch": self._epoch, "batch": self._batch,
            "batch_size": self.batch_size, "num_samples": self.num_samples,
            "shuffle": self.shuffle, "drop_last": self.drop_last,
        }

    def load_state_dict(self, state: dict) -> None:
        """Resume at state['epoch'], state['batch']; refuses settings that would change the batches."""
        for key in ("batch_size", "num_samples", "shuffle", "drop_last"):
            if key in state and state[key] != getattr(self, key):
                raise ValueError(
                    f"cannot resume: the saved loader had {key}={state[key]!r}, this one has {getattr(self, key)!r}"
                )
        self.seed = int(state.get("seed", self.seed))
        self._epoch, self._batch = int(state["epoch"]), int(state["batch"])

    def __repr__(self) -> str:
        return (
            f"ImageLoader(num_samples={self.num_samples}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"seed={self.seed}, drop_last={self.drop_last}, device={self.device!r}"
            + (f", rank={self.rank}, world_size={self.world_size})" if self.world_size > 1 else ")")
        )

    def _to_device(self, array: np.ndarray):
        if self.device.strip().lower() == "cpu":
            if isinstance(array, np.ndarray):
                array.setflags(write=False)  # batches are copies; the stored dataset stays intact
            return array
        return to_device(array, self.device)

    def _wrap(self, images, labels):
        if not self.as_tensor:
            return images, labels
        return tensor(images, device=self.device), tensor(labels, device=self.device)


def _current_device_of(array):
    # A CuPy array's .device is a context manager making its GPU current, so the gather
    # runs on that GPU even when another one is current; NumPy needs nothing.
    device = getattr(array, "device", None)
    return device if hasattr(device, "__enter__") else contextlib.nullcontext()
