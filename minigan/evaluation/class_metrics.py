"""Did the conditional generator draw the class it was asked for? Class accuracy and per-class FID.

Both take arrays and a scoring function, so they work with minigan's digit
classifier or any other:

    outputs = functools.partial(classifier_outputs, load_classifier("mnist"))  # images -> (features, probs)
    result = class_metrics(images, labels, test_images, test_labels, outputs)
    result["class_accuracy"], result["mean_class_fid"], result["class_fid"]    # float, float, 10 floats

class accuracy
    the fraction of samples the classifier assigns to the class they were drawn for (the real
    baseline is the classifier's test accuracy, about 99% on MNIST).
per-class FID
    FID of class c's samples against class c's real images (features of the classifier, the maths
    of `minigan.evaluation`), each at the same N on both sides and the same N for every class,
    because FID's bias depends on N: the numbers are then comparable across classes and runs.
    Its mean over the classes is reported beside it.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..data.labels import check_labels
from . import fid_from_features

__all__ = ["class_accuracy", "per_class_fid", "class_metrics"]

Outputs = Callable[[np.ndarray], "tuple[np.ndarray, np.ndarray]"]


def _labels(labels, n: int, num_classes: int, op: str, what: str) -> np.ndarray:
    return np.asarray(check_labels(np.asarray(labels), num_classes, n, op, against=what))


def class_accuracy(predictions, labels, num_classes: int | None = None) -> float:
    """Fraction of samples whose predicted class equals the asked class.

    `predictions` are class probabilities or logits (N, K) (the argmax is the
    prediction) or predicted classes (N,); `labels` (N,) are the classes asked
    for, checked to lie in 0..K-1 (K = `num_classes`, default the scores' width or 10).

        class_accuracy(probs, labels)   # 0.97
    """
    predictions = np.asarray(predictions)
    if predictions.ndim == 2:
        predicted, k = predictions.argmax(axis=1), predictions.shape[1]
    elif predictions.ndim == 1 and predictions.dtype.kind in "iu":
        predicted, k = predictions, 10
    else:
        raise ValueError(f"class_accuracy: predictions must be scores (N, K) or integer classes (N,), got "
                         f"{predictions.dtype} of shape {predictions.shape}")
    if len(predicted) == 0:
        raise ValueError("class_accuracy: needs at least one sample, got 0")
    asked = _labels(labels, len(predicted), num_classes or k, "class_accuracy",
                    f"predictions of shape {predictions.shape}")
    return float(np.mean(predicted == asked))


def per_class_fid(features, labels, real_features, real_labels, num_classes: int = 10, *,
                  n_per_class: int | None = None) -> dict[str, Any]:
    """FID per class between generated and real features, at one N for every class and both sides.

    `features` (N, D) with `labels` (N,) are the generated samples', `real_features`
    (M, D) with `real_labels` (M,) the real images'. Class c uses the first
    `n_per_class` samples of class c from each side; by default the smallest count
    of any class on either side. Returns {"class_fid": [K floats], "mean_class_fid",
    "n_per_class"}.
    """
    features, real_features = np.asarray(features), np.asarray(real_features)
    for name, f in (("features", features), ("real_features", real_features)):
        if f.ndim != 2:
            raise ValueError(f"per_class_fid: {name} must be (N, D), got shape {f.shape}")
    if features.shape[1] != real_features.shape[1]:
        raise ValueError(f"per_class_fid: features {features.shape} and real_features {real_features.shape} "
                         f"differ in feature size")
    labels = _labels(labels, len(features), num_classes, "per_class_fid", f"features of shape {features.shape}")
    real_labels = _labels(real_labels, len(real_features), num_classes, "per_class_fid",
                          f"real_features of shape {real_features.shape}")
    counts = np.minimum(np.bincount(labels, minlength=num_classes), np.bincount(real_labels, minlength=num_classes))
    n = int(counts.min()) if n_per_class is None else int(n_per_class)
    if n < 2 or n > counts.min():
        short = int(np.argmin(counts))
        raise ValueError(f"per_class_fid: needs {max(n, 2)} samples of every class on both sides; class {short} "
                         f"has {int((labels == short).sum())} generated and {int((real_labels == short).sum())} "
                         f"real")
    fids = [fid_from_features(features[labels == c][:n], real_features[real_labels == c][:n])
            for c in range(num_classes)]
    return {"class_fid": fids, "mean_class_fid": float(np.mean(fids)), "n_per_class": n}


def class_metrics(images, labels, real_images, real_labels, outputs: Outputs, num_classes: int = 10, *,
                  n_per_class: int | None = None) -> dict[str, Any]:
    """Class accuracy, per-class FID and its mean of generated `images` drawn for `labels`.

    `outputs(images) -> (features (N, D), probabilities (N, K))` scores a batch of
    images, e.g. ``functools.partial(evaluation.classifier_outputs, classifier)``;
    `real_images`/`real_labels` are the reference (the test set). Each side is
    scored once.
    """
    features, probs = outputs(images)
    real_features, _ = outputs(real_images)
    result = {"class_accuracy": class_accuracy(probs, labels)}
    result.update(per_class_fid(features, labels, real_features, real_labels, num_classes, n_per_class=n_per_class))
    return result
