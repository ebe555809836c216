"""Images and plots for training runs: a pure-NumPy PNG writer, sample grids, loss curves.

Sample grids need NumPy only (PNG is written with zlib + struct). Loss curves
use matplotlib with the Agg backend when it is installed, and are skipped with
one warning line when it is not.
"""
from __future__ import annotations

import os
import struct
import sys
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

from ...atomic import atomic_write

__all__ = ["write_png", "read_png", "make_grid", "save_grid", "plot_losses"]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_png(path: str | os.PathLike, image: np.ndarray) -> Path:
    """Write a uint8 image, (H, W) grey or (H, W, 3) RGB, as an 8-bit PNG; atomic (temp file + rename).

    The path must end in .png: a file named .jpg holding PNG bytes fools the viewers that trust the name.
    """
    if not str(path).lower().endswith(".png"):
        raise ValueError(f"write_png: {path} must end in .png (minigan writes PNG images)")
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise TypeError(f"write_png needs uint8 pixels, got {image.dtype}")
    if image.ndim == 2:
        colour_type, channels = 0, 1
    elif image.ndim == 3 and image.shape[2] == 3:
        colour_type, channels = 2, 3
    else:
        raise ValueError(f"write_png needs an (H, W) or (H, W, 3) array, got shape {image.shape}")
    height, width = image.shape[:2]
    rows = np.ascontiguousarray(image).reshape(height, width * channels)
    # Filter type 0 (None) in front of every scanline.
    raw = np.concatenate([np.zeros((height, 1), np.uint8), rows], axis=1).tobytes()
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")
    path = Path(path)
    with atomic_write(path) as handle:
        handle.write(data)
    return path


def read_png(path: str | os.PathLike) -> np.ndarray:
    """Read back a PNG written by write_png (8-bit grey or RGB, filter type 0 only); for tests."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG file")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, _, colour_type = header[:4]
    channels = 3 if colour_type == 2 else 1
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, 1 + width * channels)
    if np.any(rows[:, 0] != 0):
        raise ValueError(f"{path}: only PNG filter type 0 is supported")
    pixels = rows[:, 1:]
    return pixels.reshape(height, width, 3) if channels == 3 else pixels.reshape(height, width)


def make_grid(images, nrow: int | None = None, padding: int = 2, pad_value: int = 255) -> np.ndarray:
    """Tile images (N, C, H, W) or (N, H, W) with values in [-1, 1] into one uint8 picture.

    Returns (rows*H + pad, cols*W + pad) for grey images or (..., 3) for RGB;
    `nrow` is the number of images per row (default: a near-square grid).
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[:, None]
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"make_grid needs (N, 1|3, H, W) or (N, H, W) images, got shape {images.shape}")
    n, c, h, w = images.shape
    if n == 0:
        raise ValueError("make_grid needs at least one image")
    ncol = int(nrow) if nrow else int(np.ceil(np.sqrt(n)))
    nrows = int(np.ceil(n / ncol))
    pixels = np.clip(np.rint((np.nan_to_num(images) + 1.0) * 127.5), 0, 255).astype(np.uint8)
    grid = np.full((c, nrows * (h + padding) + padding, ncol * (w + padding) + padding), pad_value, np.uint8)
    for i in range(n):
        r, col = divmod(i, ncol)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[:, top:top + h, left:left + w] = pixels[i]
    return grid[0] if c == 1 else grid.transpose(1, 2, 0)


def save_grid(path: str | os.PathLike, images, nrow: int | None = None) -> Path:
    """make_grid + write_png."""
    return write_png(path, make_grid(images, nrow=nrow))


_warned_no_matplotlib = False


def plot_losses(path: str | os.PathLike, steps: Sequence[int], losses: dict[str, Sequence[float]],
                title: str = "GAN losses") -> Path | None:
    """Plot loss curves against the step with matplotlib (Agg); returns None, warning once, without it."""
    global _warned_no_matplotlib
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # deferred: matplotlib is optional and heavy
        from matplotlib.figure import Figure  # deferred, as matplotlib above
    except Exception as exc:  # ImportError, or a broken install
        if not _warned_no_matplotlib:
            _warned_no_matplotlib = True
            print(f"minigan: warning: matplotlib is not available ({exc}); skipping loss-curve plots",
                  file=sys.stderr)
        return None
    # A Figure on an Agg canvas, not pyplot: no global backend switch, nothing left open.
    path = Path(path)
    fig = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for name, values in losses.items():
        ax.plot(list(steps), list(values), label=name, linewidth=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if losses:
        ax.legend()
    fig.tight_layout()
    with atomic_write(path) as handle:
        fig.savefig(handle, format="png")
    return path
