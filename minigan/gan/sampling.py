"""Draw images from a trained generator: in eval mode (BatchNorm running statistics), in batches."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .. import creation
from ..autograd import no_grad
from ..backend import Device
from .checkpoint import load_generator
from .plotting import save_grid

__all__ = ["generate", "sample_checkpoint"]


def generate(generator, n: int, *, latent_dim: int | None = None, batch_size: int = 500, seed: int | None = None,
             device: "str | Device | None" = None) -> np.ndarray:
    """`n` images from `generator` as a float32 NumPy array (n, C, H, W) in [-1, 1].

    The generator runs in eval mode (its mode is restored afterwards) without
    recording a graph, `batch_size` images at a time. Noise is standard normal
    from ``numpy.random.default_rng(seed)`` when `seed` is given (the same
    images on every device), else from minigan's seeded generator.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size!r}")
    latent_dim = int(latent_dim or getattr(generator, "latent_dim", 0))
    if latent_dim < 1:
        raise ValueError("pass latent_dim (the generator has no latent_dim attribute)")
    if device is None:
        first = next(iter(generator.parameters()), None)
        device = first.device if first is not None else Device("cpu")
    device = Device(device)
    rng = np.random.default_rng(seed) if seed is not None else None
    chunks = []
    was_training = generator.training
    generator.eval()
    try:
        with no_grad():
            for start in range(0, int(n), batch_size):
                size = min(batch_size, int(n) - start)
                if rng is not None:
                    z = creation.tensor(rng.standard_normal((size, latent_dim), dtype=np.float32), device=device)
                else:
                    z = creation.randn(size, latent_dim)
                    z = z if device.type == "cpu" else z.to(device)
                chunks.append(generator(z).numpy().astype(np.float32, copy=False))
    finally:
        generator.train(was_training)
    images = np.concatenate(chunks, axis=0)
    np.clip(images, -1.0, 1.0, out=images)
    return images


def sample_checkpoint(checkpoint: str | os.PathLike, n: int = 10000, *, out: str | os.PathLike | None = None,
                      grid: str | os.PathLike | None = None, grid_size: int = 64, seed: int | None = 0,
                      device: "str | Device" = "cpu", batch_size: int = 500) -> np.ndarray:
    """Load a checkpoint's generator and draw `n` images; optionally save them (.npy) and a PNG grid."""
    G, _state = load_generator(checkpoint, device=device)
    images = generate(G, n, batch_size=batch_size, seed=seed, device=device)
    if out is not None:
        out = Path(out)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, images)
        os.replace(tmp, out)
    if grid is not None:
        save_grid(grid, images[:grid_size])
    return images
