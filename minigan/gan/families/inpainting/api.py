"""Complete images with a trained inpainting generator, and check what users hand in.

    from minigan.gan.families.inpainting import inpaint, MaskSampler
    masks = MaskSampler("center").sample(len(images))
    completed = inpaint(G, images, masks)     # float32 (N, 1, 28, 28) in [-1, 1]

Visible pixels of the result equal the (float32) input exactly; the hidden
pixels of the input are never read. Files (``--images x.npy``, ``--masks
m.npy``) go through ``load_images`` / ``load_masks``, which validate as
``inpaint`` does and name the file in every error.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .... import creation
from ....autograd import no_grad
from ....backend import Device
from ....evaluation import prepare_samples
from .masks import check_masks

__all__ = ["inpaint", "check_images", "mask_images", "load_images", "load_masks"]


def check_images(images, *, name: str = "images") -> np.ndarray:
    """Validate images for inpainting and return them as float32 (N, 1, 28, 28) in [-1, 1].

    Shapes (N, 1, 28, 28) or (N, 28, 28); float in [-1, 1] (strictly: a value
    outside would be clipped, and visible pixels must come back unchanged) or
    uint8 in 0..255 (mapped by x / 127.5 - 1, as the data loader does). Other
    shapes, dtypes, NaN or out-of-range values raise a one-line error naming `name`.
    """
    raw = np.asarray(images.numpy() if hasattr(images, "numpy") and not isinstance(images, np.ndarray) else images)
    array = prepare_samples(raw, name=name)  # shape, dtype, NaN and (loose) range checks
    if raw.dtype.kind == "f":
        low, high = float(raw.min()), float(raw.max())
        if low < -1.0 or high > 1.0:
            raise ValueError(f"float {name} must lie in [-1, 1] exactly (visible pixels are returned unchanged, "
                             f"so none can be clipped), got values in [{low:.6g}, {high:.6g}]")
    return array


def mask_images(images, masks, fill: float = -1.0) -> np.ndarray:
    """`images` with their hidden pixels (masks 1) set to `fill`, float32 (N, 1, 28, 28).

    The 'masked only' baseline of the metrics (fill -1, the background) and
    the left column of the grids (fill 0, grey): ``mask_images(x, m, fill=0.0)``.
    """
    images = check_images(images)
    return np.where(check_masks(masks, len(images)) != 0, np.float32(fill), images)


def _load_array(path: str | os.PathLike, what: str, keys: tuple[str, ...]) -> np.ndarray:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} file not found: {path}")
    try:
        loaded = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f"{path}: not a readable .npy/.npz array file ({str(error).splitlines()[0]})") from None
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            names = list(loaded.files)
            key = next((k for k in keys if k in names), names[0] if len(names) == 1 else None)
            if key is None:
                raise ValueError(f"{path} holds arrays {names}; name the {what} {' or '.join(map(repr, keys))}")
            loaded = loaded[key]
    return loaded


def load_images(path: str | os.PathLike) -> np.ndarray:
    """Read `path` (.npy, or .npz with one array or one named 'images') and check it like ``inpaint``."""
    return check_images(_load_array(path, "images", ("images", "samples")), name=f"images in {Path(path)}")


def load_masks(path: str | os.PathLike, n: int | None = None) -> np.ndarray:
    """Read masks from `path` (.npy, or .npz with one array or one named 'masks'); 1 = hidden.

    `n` is the number of images they must match. Errors name the file.
    """
    return check_masks(_load_array(path, "masks", ("masks",)), n, name=f"masks in {Path(path)}")


def inpaint(generator, images, masks, *, batch_size: int = 500, seed: int | None = 0,
            device: "str | Device | None" = None) -> np.ndarray:
    """Complete the hidden pixels (mask 1) of `images` with `generator`; float32 (N, 1, 28, 28) in [-1, 1].

    `generator`: an InpaintingGenerator, or any Module with ``task = "inpaint"``
    whose forward is ``(images, masks, z=None) -> completed``. `images`: see
    check_images; `masks`: see masks.check_masks, one per image.
    The generator runs in eval mode (restored afterwards: BatchNorm uses its
    running statistics, dropout is off) under no_grad, `batch_size` images at
    a time. A generator with bottleneck noise gets z ~ N(0, 1) from
    ``numpy.random.default_rng(seed)`` (the same completions on every device
    and batch size), or from minigan's generator when `seed` is None.
    """
    if getattr(generator, "task", None) != "inpaint":
        raise TypeError(f"inpaint needs an inpainting generator (task 'inpaint', called as G(images, masks, z)), "
                        f"got a {type(generator).__name__}: an unconditional generator cannot complete images")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    images = check_images(images)
    masks = check_masks(masks, len(images))
    if device is None:
        first = next(iter(generator.parameters()), None)
        device = first.device if first is not None else Device("cpu")
    device = Device(device)
    noise_dim = int(getattr(generator, "noise_dim", 0) or 0)
    rng = np.random.default_rng(seed) if seed is not None and noise_dim else None
    if rng is not None:  # drawn up front, so the completions do not depend on batch_size
        z_all = rng.standard_normal((len(images), noise_dim), dtype=np.float32)
    out = np.empty_like(images)
    was_training = generator.training
    generator.eval()
    try:
        with no_grad():
            for start in range(0, len(images), int(batch_size)):
                stop = min(start + int(batch_size), len(images))
                x = creation.tensor(images[start:stop], device=device)
                m = creation.tensor(masks[start:stop], device=device)
                z = creation.tensor(z_all[start:stop], device=device) if rng is not None else None
                out[start:stop] = generator(x, m, z).numpy()
    finally:
        generator.train(was_training)
    # The generator ends in tanh, so its pixels already lie in [-1, 1]; the visible ones are the input's.
    return out
