"""Draw images from a trained generator: in eval mode (BatchNorm running statistics), in batches.

``generate`` is the one sampling path: the trainer's sample grids and evaluations,
``minigan sample`` and ``minigan eval --checkpoint`` all call it.
"""
from __future__ import annotations

import numbers
import os
from pathlib import Path
from typing import Any

import numpy as np

from ... import creation
from ...atomic import atomic_write
from ...autograd import no_grad
from ...backend import Device
from .plotting import save_grid

__all__ = ["is_conditional", "generate", "sample_generator", "save_npy", "labels_path",
           "interleave_classes"]


def is_conditional(module) -> bool:
    """True for a model that takes class labels: it carries an integer ``num_classes`` (the one mark of a
    class-conditional generator that sampling, the steps and the command line read)."""
    return isinstance(getattr(module, "num_classes", None), numbers.Integral)


def generate(generator, n: int, *, latent_dim: int | None = None, batch_size: int = 500, seed: int | None = None,
             device: "str | Device | None" = None, noise: np.ndarray | None = None, labels=None) -> np.ndarray:
    """`n` images from `generator` as a float32 NumPy array (n, C, H, W) in [-1, 1].

    The generator runs in eval mode (its mode is restored afterwards) without
    recording a graph, `batch_size` images at a time. Noise is `noise` (n, latent_dim)
    when given (the trainer's fixed grid noise), else standard normal from
    ``numpy.random.default_rng(seed)`` when `seed` is given (the same images on every
    device), else from minigan's seeded generator::

        images = generate(G, 10000, seed=0)      # what `minigan sample` writes

    A class-conditional generator draws image i for class `labels[i]` (int, shape (n,); its family's
    ``sampling_labels`` gives class order or one class)::

        images = generate(G, 100, seed=0, labels=single_class_labels(100, 7))   # 100 sevens
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size!r}")
    if noise is not None:
        noise = np.asarray(noise, dtype=np.float32)
        if noise.ndim != 2 or len(noise) != n:
            raise ValueError(f"noise must have shape ({n}, latent_dim), got {noise.shape}")
        latent_dim = noise.shape[1]
    latent_dim = int(latent_dim or getattr(generator, "latent_dim", 0))
    if latent_dim < 1:
        raise ValueError("pass latent_dim (the generator has no latent_dim attribute)")
    if device is None:
        first = next(iter(generator.parameters()), None)
        device = first.device if first is not None else Device("cpu")
    device = Device(device)
    if labels is not None:
        if not is_conditional(generator):
            raise ValueError(f"{type(generator).__name__} is an unconditional generator: it takes no labels")
        labels = np.asarray(labels)
        if labels.shape != (int(n),) or labels.dtype.kind not in "iu":
            raise ValueError(f"generate: labels must be integer class indices of shape ({int(n)},), got "
                             f"{labels.dtype} {labels.shape}")
    rng = np.random.default_rng(seed) if seed is not None and noise is None else None
    chunks = []
    was_training = generator.training
    generator.eval()
    try:
        with no_grad():
            for start in range(0, int(n), batch_size):
                size = min(batch_size, int(n) - start)
                if noise is not None:
                    z = creation.tensor(noise[start:start + size], device=device)
                elif rng is not None:
                    z = creation.tensor(rng.standard_normal((size, latent_dim), dtype=np.float32), device=device)
                else:
                    z = creation.randn(size, latent_dim)
                    z = z if device.type == "cpu" else z.to(device)
                if labels is None:
                    out = generator(z)
                else:
                    out = generator(z, creation.tensor(labels[start:start + size], device=device))
                chunks.append(out.numpy().astype(np.float32, copy=False))
    finally:
        generator.train(was_training)
    images = np.concatenate(chunks, axis=0) if len(chunks) > 1 else np.array(chunks[0], copy=True)
    np.clip(images, -1.0, 1.0, out=images)
    return images


def save_npy(path: str | os.PathLike, array: np.ndarray) -> Path:
    """np.save, atomically (a crash never leaves half an array under `path`)."""
    path = Path(path)
    with atomic_write(path) as handle:
        np.save(handle, array)
    return path


def interleave_classes(labels) -> np.ndarray:
    """An order that takes the first sample of every class, then the second, ...: classes mixed evenly.

    For grids, and for the Inception Score, whose splits of consecutive samples would each hold a
    single class in class order (an IS near 1 that says nothing about the generator).
    """
    labels = np.asarray(labels)
    rank = np.zeros(len(labels), dtype=np.int64)
    for c in np.unique(labels):
        rank[labels == c] = np.arange(int((labels == c).sum()))
    return np.lexsort((labels, rank))


def labels_path(samples_path: str | os.PathLike) -> Path:
    """Where the labels of a samples file live: s.npy -> s.labels.npy (beside it)."""
    path = Path(samples_path)
    stem = path.name[:-len(".npy")] if path.name.endswith(".npy") else path.name
    return path.with_name(stem + ".labels.npy")


def sample_generator(G, n: int, *, out: str | os.PathLike | None = None, grid: str | os.PathLike | None = None,
                     grid_size: int = 64, seed: int | None = 0, device: "str | Device" = "cpu", batch_size: int = 500,
                     labels=None) -> tuple[np.ndarray, "np.ndarray | None"]:
    """Draw `n` images from G; optionally save them (.npy) and a PNG grid. Returns (images, labels or None).

    A conditional G draws the images for `labels` (the family's ``sampling_labels``), and with `out` they
    are written beside the images as int64 (n,) ``labels_path(out)`` (atomically). Samples without labels
    remove a stale labels file there, so a samples file and its labels file always belong together.
    """
    images = generate(G, n, batch_size=batch_size, seed=seed, device=device, labels=labels)
    if out is not None:
        if labels is None:
            labels_path(out).unlink(missing_ok=True)
        save_npy(out, images)
        if labels is not None:
            save_npy(labels_path(out), labels)
    if grid is not None:
        if labels is not None:  # rows of one image per class (the 1st of each, then the 2nd, ...), not 64 zeros
            save_grid(grid, images[interleave_classes(labels)][:grid_size], nrow=len(np.unique(labels)))
        else:
            save_grid(grid, images[:grid_size])
    return images, labels
