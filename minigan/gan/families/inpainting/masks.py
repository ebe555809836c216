"""Which pixels an inpainting model must fill in: fixed and random masks, drawn reproducibly.

A mask is a float32 array (N, 1, 28, 28) with 1 = hidden (to be completed) and
0 = visible (kept exactly). The kinds:

``center``       rows and columns 7..20: the 14x14 square in the middle
``bottom-half``  rows 14..27
``right-half``   columns 14..27
``random-box``   one axis-aligned box per image, height and width uniform in
                 [box_min, box_max] pixels, placed uniformly inside the image
``random``       per image, one of the four kinds above, uniformly

Random kinds come from a ``numpy.random.Generator`` that the ``MaskSampler``
owns, never from minigan's model-initialisation stream, so drawing masks does
not shift the training noise and a resumed run (``load_state_dict``) draws the
very masks the uninterrupted run would have drawn::

    sampler = MaskSampler("random", seed=0)
    masks = sampler.sample(64)                   # (64, 1, 28, 28) float32 in {0, 1}
    state = sampler.state_dict()                 # JSON-friendly: store it in the checkpoint
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["MASK_KINDS", "FIXED_MASKS", "IMAGE_SIZE", "fixed_mask", "MaskSampler", "check_masks"]

IMAGE_SIZE = 28
FIXED_MASKS = ("center", "bottom-half", "right-half")
MASK_KINDS = FIXED_MASKS + ("random-box", "random")
_SAMPLER_FORMAT = "minigan-mask-sampler/1"


def _check_kind(kind: str) -> str:
    if kind not in MASK_KINDS:
        raise ValueError(f"unknown mask {kind!r}; choose one of: {', '.join(MASK_KINDS)}")
    return kind


def fixed_mask(kind: str, size: int = IMAGE_SIZE) -> np.ndarray:
    """One fixed mask (1, size, size) float32: ``fixed_mask("center")[0, 7:21, 7:21]`` is all ones.

    For size 28 the regions are exactly the ones above (center 7..20, halves
    from 14); other sizes scale them (center: the middle half, rounded down).
    """
    if _check_kind(kind) not in FIXED_MASKS:
        raise ValueError(f"mask {kind!r} is random: draw it with MaskSampler({kind!r}, seed=...)")
    mask = np.zeros((1, size, size), np.float32)
    half, quarter = size // 2, size // 4
    if kind == "center":
        mask[0, quarter:quarter + half, quarter:quarter + half] = 1.0
    elif kind == "bottom-half":
        mask[0, half:, :] = 1.0
    else:  # right-half
        mask[0, :, half:] = 1.0
    return mask


class MaskSampler:
    """Draws masks of one kind (see the module docstring) from its own seeded NumPy generator.

    ``sample(n)`` returns (n, 1, size, size) float32 in {0, 1}. Fixed kinds
    draw no random numbers. ``state_dict()`` / ``load_state_dict()`` save and
    restore the generator exactly, so a resumed run reproduces the masks
    bit for bit. Example: ``MaskSampler("random-box", seed=3, box_min=6).sample(8)``.
    """

    def __init__(self, kind: str = "random", seed: int = 0, *, size: int = IMAGE_SIZE,
                 box_min: int = 7, box_max: int = 21):
        self.kind = _check_kind(kind)
        for name, value in (("seed", seed), ("size", size), ("box_min", box_min), ("box_max", box_max)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < (0 if name == "seed" else 1):
                raise ValueError(f"MaskSampler: {name} must be a {'non-negative' if name == 'seed' else 'positive'} "
                                 f"integer, got {value!r}")
        if not box_min <= box_max <= size:
            raise ValueError(f"MaskSampler: need 1 <= box_min <= box_max <= size, got box_min={box_min}, "
                             f"box_max={box_max}, size={size}")
        self.seed, self.size, self.box_min, self.box_max = int(seed), int(size), int(box_min), int(box_max)
        self.rng = np.random.default_rng(self.seed)
        self._fixed = {k: fixed_mask(k, self.size) for k in FIXED_MASKS}

    def sample(self, n: int) -> np.ndarray:
        """`n` masks (n, 1, size, size) float32, 1 = hidden."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"MaskSampler.sample: n must be a positive integer, got {n!r}")
        n = int(n)
        if self.kind in FIXED_MASKS:
            return np.repeat(self._fixed[self.kind][None], n, axis=0)
        # Every draw is made for every image, whatever kind it gets, so the stream
        # advances by the same amount per batch and the masks of one image do not
        # depend on the kinds drawn for the others.
        kinds = self.rng.integers(0, len(FIXED_MASKS) + 1, size=n)
        boxes = self._boxes(n)
        if self.kind == "random-box":
            return boxes
        stacked = np.stack([self._fixed[k] for k in FIXED_MASKS])  # (3, 1, size, size)
        fixed = stacked[np.minimum(kinds, len(FIXED_MASKS) - 1)]
        return np.where((kinds == len(FIXED_MASKS))[:, None, None, None], boxes, fixed)

    def _boxes(self, n: int) -> np.ndarray:
        heights = self.rng.integers(self.box_min, self.box_max + 1, size=n)
        widths = self.rng.integers(self.box_min, self.box_max + 1, size=n)
        tops = self.rng.integers(0, self.size - heights + 1)
        lefts = self.rng.integers(0, self.size - widths + 1)
        index = np.arange(self.size)
        rows = (index >= tops[:, None]) & (index < (tops + heights)[:, None])  # (n, size)
        cols = (index >= lefts[:, None]) & (index < (lefts + widths)[:, None])
        return (rows[:, :, None] & cols[:, None, :])[:, None].astype(np.float32)

    def state_dict(self) -> dict[str, Any]:
        """The kind, its options and the generator's exact state; plain Python values (JSON-friendly)."""
        return {"format": _SAMPLER_FORMAT, "kind": self.kind, "seed": self.seed, "size": self.size,
                "box_min": self.box_min, "box_max": self.box_max, "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue exactly where the sampler that wrote `state` stopped (same kind and options required)."""
        if not isinstance(state, dict) or state.get("format") != _SAMPLER_FORMAT:
            found = state.get("format") if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"MaskSampler.load_state_dict: not a mask-sampler state (format {found!r}, "
                             f"expected {_SAMPLER_FORMAT!r})")
        mine = (self.kind, self.size, self.box_min, self.box_max)
        theirs = (state["kind"], state["size"], state["box_min"], state["box_max"])
        if mine != theirs:
            raise ValueError(f"MaskSampler.load_state_dict: the state is for kind/size/box_min/box_max {theirs}, "
                             f"this sampler has {mine}")
        rng = np.random.default_rng()
        rng.bit_generator.state = state["rng"]
        self.rng, self.seed = rng, int(state["seed"])

    def __repr__(self) -> str:
        return (f"MaskSampler({self.kind!r}, seed={self.seed}, size={self.size}, box_min={self.box_min}, "
                f"box_max={self.box_max})")


def check_masks(masks, n: int | None = None, *, size: int = IMAGE_SIZE, name: str = "masks") -> np.ndarray:
    """Validate user masks and return them as float32 (N, 1, size, size) in {0, 1}.

    Accepts (N, 1, size, size) or (N, size, size) arrays of bool, integer or
    float dtype holding only 0 and 1 (1 = hidden); `n`, when given, is the
    number of images they must match. Anything else raises a one-line
    ValueError/TypeError naming `name` (pass e.g. "masks in m.npy") and the problem.
    """
    array = np.asarray(masks.numpy() if hasattr(masks, "numpy") and not isinstance(masks, np.ndarray) else masks)
    if array.ndim == 3 and array.shape[1:] == (size, size):
        array = array[:, None]
    if array.ndim != 4 or array.shape[1:] != (1, size, size):
        raise ValueError(f"{name} must have shape (N, 1, {size}, {size}) or (N, {size}, {size}), "
                         f"got shape {np.shape(masks)}")
    if n is not None and len(array) != n:
        raise ValueError(f"{name} hold {len(array)} masks for {n} images; give one mask per image")
    if len(array) == 0:
        raise ValueError(f"{name} is empty: shape {np.shape(masks)}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be bool, integer or float (1 = hidden, 0 = visible), got dtype {array.dtype}")
    bad = (array != 0) & (array != 1)
    if bad.any():
        first = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), array.shape))
        raise ValueError(f"{name} must hold only 0 (visible) and 1 (hidden); {int(bad.sum())} values are neither, "
                         f"first {array[first].item()!r} at index {first}")
    return array.astype(np.float32)
