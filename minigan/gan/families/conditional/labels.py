"""Class labels for conditional GANs: validation, the label sets sampling asks for, and grid inputs.

One checker, `check_labels`, guards every place a label enters a conditional
model or loss, so a float label, a (N, 1) column or a class 10 fails at once
with the op's name and both shapes, not three layers deeper as an indexing
error. The label makers return int64 NumPy arrays of shape (n,) that
``generate(G, n, labels=...)`` and the ``.labels.npy`` file take as they are:

    labels = class_order_labels(100, 10)          # 0 x10, 1 x10, ..., 9 x10
    labels = single_class_labels(64, 7, 10)       # 64 sevens
    z, labels = conditional_grid_inputs(10, 8, latent_dim=100, seed=0)   # row c: class c, same 8 noises
    labels = sampling_labels(G, 100)              # what `minigan sample` writes for a model G
"""
from __future__ import annotations

import numbers

import numpy as np

from .... import backend, creation
from ....autograd import Tensor
from ....backend import Device
from ....data.datasets import NUM_CLASSES
from ....data.labels import check_labels
from ...core.sampling import is_conditional

__all__ = ["check_labels", "is_conditional", "class_order_labels", "single_class_labels", "uniform_labels",
           "conditional_grid_inputs", "sampling_labels"]


def _count(n, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return int(n)


def class_order_labels(n: int, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """n // num_classes labels of each class in class order (0...0, 1...1, ...), int64 (n,).

    `n` must be a multiple of `num_classes`, so every class gets the same count.
    """
    n, num_classes = _count(n), _count(num_classes, "num_classes")
    if n % num_classes:
        raise ValueError(f"class-order labels need n to be a multiple of {num_classes} (the number of "
                         f"classes), got n={n}")
    return np.repeat(np.arange(num_classes, dtype=np.int64), n // num_classes)


def single_class_labels(n: int, class_index: int, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """`n` labels all equal to `class_index` (0..num_classes-1), int64 (n,)."""
    n, num_classes = _count(n), _count(num_classes, "num_classes")
    if isinstance(class_index, bool) or not isinstance(class_index, numbers.Integral) \
            or not 0 <= class_index < num_classes:
        raise ValueError(f"class must be an integer in 0..{num_classes - 1}, got {class_index!r}")
    return np.full(n, int(class_index), dtype=np.int64)


def uniform_labels(n: int, num_classes: int = NUM_CLASSES, *, device: "str | Device" = "cpu") -> Tensor:
    """`n` labels drawn uniformly from 0..num_classes-1 by minigan's seeded generator (int64 Tensor).

    Drawn from the same stream as ``minigan.randn`` (see ``manual_seed``), so a
    checkpointed RNG state resumes the same labels: what a fake batch's labels
    need for a bit-identical resume.
    """
    n, num_classes = _count(n), _count(num_classes, "num_classes")
    u = creation.rand(n, dtype=np.float64, device=device)
    # floor(u * K) with u < 1 in float64 stays below K; the int cast happens on the device
    return Tensor((u.array * num_classes).astype(np.int64))


def conditional_grid_inputs(num_classes: int, per_row: int, latent_dim: int, *, seed: int | None = 0
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Noise and labels for a class-per-row grid: row c shows class c, column j the same noise z_j.

    Returns z (num_classes * per_row, latent_dim) float32 and labels (num_classes * per_row,)
    int64, row-major, for ``make_grid(G(z, labels), nrow=per_row)``. The same
    `per_row` noise vectors repeat in every row, so a column shows one "style"
    across the classes. Noise comes from ``numpy.random.default_rng(seed)`` (the
    same grid on every device and every epoch), or minigan's seeded generator
    when `seed` is None.
    """
    num_classes, per_row, latent_dim = (_count(num_classes, "num_classes"), _count(per_row, "per_row"),
                                        _count(latent_dim, "latent_dim"))
    if seed is None:
        noise = creation.randn(per_row, latent_dim, dtype=np.float32).numpy()
    else:
        noise = np.random.default_rng(seed).standard_normal((per_row, latent_dim), dtype=np.float32)
    z = np.tile(noise, (num_classes, 1))
    return z, np.repeat(np.arange(num_classes, dtype=np.int64), per_row)


def sampling_labels(generator, n: int, *, labels=None, class_index: int | None = None) -> "np.ndarray | None":
    """The labels `minigan sample` and ``generate`` should use for `n` images from `generator`.

    Unconditional generator: None (and passing labels or a class is an error).
    Conditional: `labels` as given (checked), else all `class_index` when given,
    else class order (n must then be a multiple of the number of classes).
    """
    n = _count(n)
    if not is_conditional(generator):
        if labels is not None or class_index is not None:
            what = "labels" if labels is not None else f"class {class_index}"
            raise ValueError(f"{type(generator).__name__} is an unconditional generator: it takes no {what}")
        return None
    k = int(generator.num_classes)
    if labels is not None:
        if class_index is not None:
            raise ValueError("pass labels or class_index, not both")
        return backend.as_numpy(check_labels(labels, k, n, "sampling_labels", against=f"n={n} samples"))
    if class_index is not None:
        return single_class_labels(n, class_index, k)
    return class_order_labels(n, k)
