"""`check_labels`: one checker for every place a class label enters a model, a loss or a metric.

A float label, a (N, 1) column or a class 10 fails at once with the caller's name and both shapes,
not three layers deeper as an indexing error.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..backend import Device

__all__ = ["check_labels"]


def check_labels(labels, num_classes: int, batch: int, op: str, *, device: "str | Device | None" = None,
                 against: str = "the batch"):
    """`labels` as an int64 array of shape (batch,) on `device` (NumPy or CuPy), or a one-line error.

    `labels` is a Tensor, NumPy/CuPy array or list of integers in 0..num_classes-1,
    one per sample. `op` names the caller in the message and `against` says what
    fixed `batch` (e.g. "noise of shape (64, 100)"). Raises TypeError for a
    non-integer dtype, ValueError for a wrong shape or a class out of range.

        y = check_labels(labels, NUM_CLASSES, z.shape[0], "ConditionalGenerator", device=z.device)
    """
    if labels is None:
        raise TypeError(f"{op}: labels are required (one class index per sample, shape ({batch},)); "
                        f"this is a conditional model")
    data = labels.array if isinstance(labels, Tensor) else labels
    if not hasattr(data, "dtype"):  # a list or tuple
        data = np.asarray(data)
    shape, dtype = tuple(data.shape), str(data.dtype)
    if data.dtype.kind not in "iu":
        raise TypeError(f"{op}: labels must be integer class indices, got dtype {dtype} of shape {shape} "
                        f"(expected integers of shape ({batch},) for {against})")
    if shape != (batch,):
        raise ValueError(f"{op}: labels of shape {shape} do not match {against}; expected shape ({batch},)")
    if data.size:
        low, high = int(data.min()), int(data.max())
        if low < 0 or high >= num_classes:
            bad = low if low < 0 else high
            raise ValueError(f"{op}: label {bad} is out of range for {num_classes} classes "
                             f"(labels must be in 0..{num_classes - 1}; labels shape {shape})")
    data = data.astype(np.int64, copy=False)
    return data if device is None else backend.to_device(data, device)
