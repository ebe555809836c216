"""Tiny stand-in datasets in the real file layout, for tests that must not need the real MNIST."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .catalog import SPLITS
from .idx import write_idx


def write_fake_dataset(
    folder: str | os.PathLike,
    *,
    train_size: int = 32,
    test_size: int = 16,
    gzip: bool = True,
    seed: int = 0,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Write random MNIST-shaped IDX files (the four canonical names) into `folder`.

    Images are (N, 28, 28) uint8 noise, labels (N,) uint8 in 0..9, so
    load_dataset(..., data_dir=folder) and the ImageLoader accept them. Returns
    {'train': (images, labels), 'test': (images, labels)} to compare against.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written = {}
    for split, size in (("train", train_size), ("test", test_size)):
        images = rng.integers(0, 256, size=(size, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=size, dtype=np.uint8)
        images_base, labels_base = SPLITS[split]
        suffix = ".gz" if gzip else ""
        write_idx(folder / (images_base + suffix), images, gzip=gzip)
        write_idx(folder / (labels_base + suffix), labels, gzip=gzip)
        written[split] = (images, labels)
    return written
