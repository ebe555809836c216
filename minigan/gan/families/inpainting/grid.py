"""Picture of an inpainting run: rows of "masked input | completion | original", for the per-epoch grids.

    save_inpainting_grid("epoch-3.png", originals, masks, completed, per_row=2)

The tiling and PNG writing are ``minigan.gan.core.plotting``'s make_grid and
write_png; this only interleaves the three sets. Hidden pixels of the masked
input are shown mid-grey (``fill=0``) so the hole stands out from the black
background.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ...core.plotting import make_grid, write_png
from .api import check_images, mask_images

__all__ = ["inpainting_grid", "save_inpainting_grid"]


def inpainting_grid(originals, masks, completed, *, per_row: int = 1, fill: float = 0.0,
                    padding: int = 2) -> np.ndarray:
    """uint8 picture: each example as three tiles (masked, completed, original), `per_row` examples a row.

    originals, completed: (N, 1, 28, 28) in [-1, 1]; masks: 1 = hidden.
    """
    masked = mask_images(originals, masks, fill)
    originals = check_images(originals, name="originals")
    completed = check_images(completed, name="completions")
    if len(completed) != len(originals):
        raise ValueError(f"{len(completed)} completions for {len(originals)} originals; they must pair up")
    if isinstance(per_row, bool) or not isinstance(per_row, int) or per_row < 1:
        raise ValueError(f"per_row must be a positive integer, got {per_row!r}")
    triples = np.stack([masked, completed, originals], axis=1).reshape(-1, *originals.shape[1:])
    return make_grid(triples, nrow=3 * per_row, padding=padding)


def save_inpainting_grid(path: str | os.PathLike, originals, masks, completed, *, per_row: int = 1,
                         fill: float = 0.0) -> Path:
    """inpainting_grid + write_png (atomic)."""
    return write_png(path, inpainting_grid(originals, masks, completed, per_row=per_row, fill=fill))
