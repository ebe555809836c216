"""``minigan eval`` for class-conditional samples: class accuracy and per-class FID beside real-data baselines.

`class_metrics` (the maths) scores arrays; this module feeds it minigan's digit classifier
and the test set, adds the real baselines, and formats the lines ``minigan eval`` prints
under the unconditional table::

    result = evaluate_class_samples(images, labels, "mnist", classifier=load_classifier("mnist"))
    print(format_class_report(result))

Baselines: class accuracy's is the classifier's accuracy on the test set (what a generator
whose every image is a real digit of the asked class would get); per-class FID's is N real
training images of each class against that class's test images, at the same N per class as
the samples (FID's bias depends on N).
"""
from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from ..data import load_dataset
from . import classifier_outputs
from .class_metrics import class_accuracy, per_class_fid
from ..data.labels import check_labels

__all__ = ["evaluate_class_samples", "format_class_report"]


def evaluate_class_samples(images, labels, dataset: str = "mnist", *, classifier, data_dir=None, device: str = "cpu",
                           batch_size: int = 250, baseline: bool = True) -> dict[str, Any]:
    """Class accuracy and per-class FID (with its mean) of `images` drawn for `labels` (int (N,)).

    Returns {"class_accuracy", "class_fid" (one per class), "mean_class_fid", "n_per_class",
    "class_baseline": the same for real images}. Per-class FID needs at least 2 samples of every
    class; without them it is left out and "class_fid_note" says why (e.g. a ``--class K`` file).
    """
    k = int(getattr(classifier, "num_classes", 10))
    y = np.asarray(check_labels(np.asarray(labels), k, len(images), "minigan eval",
                                against=f"{len(images)} samples"))
    outputs = partial(classifier_outputs, classifier, batch_size=batch_size, device=device)
    test_images, test_labels = load_dataset(dataset, "test", data_dir=data_dir, download=False)
    features, probs = outputs(images)
    test_features, test_probs = outputs(test_images)
    result: dict[str, Any] = {"class_accuracy": class_accuracy(probs, y, k)}
    real: dict[str, Any] = {"class_accuracy": class_accuracy(test_probs, test_labels, k),
                            "source": f"{dataset} test set (classifier accuracy)"}
    counts = np.bincount(y, minlength=k)
    if counts.min() < 2:
        result["class_fid_note"] = (f"per-class FID needs at least 2 samples of every class; class "
                                    f"{int(np.argmin(counts))} has {int(counts.min())}")
    else:
        result.update(per_class_fid(features, y, test_features, test_labels, k))
        if baseline:
            n = result["n_per_class"]
            train_images, train_labels = load_dataset(dataset, "train", data_dir=data_dir, download=False)
            index = np.concatenate([np.flatnonzero(train_labels == c)[:n] for c in range(k)])
            train_features, _ = outputs(train_images[index])
            real.update(per_class_fid(train_features, train_labels[index], test_features, test_labels, k,
                                      n_per_class=n))
            real["source"] = f"{dataset}: {n} train images per class vs the test set; accuracy on the test set"
    result["class_baseline"] = real
    return result


def format_class_report(result: dict[str, Any]) -> str:
    """The lines ``minigan eval`` adds for conditional samples (samples beside the real baseline)."""
    base = result.get("class_baseline") or {}
    lines = [f"  {'class-conditional':28s} {'samples':>12s} {'real baseline':>14s}"]
    real = f"{base['class_accuracy']:.2%}" if "class_accuracy" in base else "-"
    lines.append(f"  {'class accuracy (asked class)':28s} {result['class_accuracy']:>12.2%} {real:>14s}")
    if "mean_class_fid" in result:
        label = f"mean per-class FID (n={result['n_per_class']})"
        real = f"{base['mean_class_fid']:.3f}" if "mean_class_fid" in base else "-"
        lines.append(f"  {label:28s} {result['mean_class_fid']:>12.3f} {real:>14s}")
        lines.append("  per-class FID 0..{}: {}".format(len(result["class_fid"]) - 1,
                                                          " ".join(f"{v:.1f}" for v in result["class_fid"])))
        if "class_fid" in base:
            lines.append("  real per-class FID:  " + " ".join(f"{v:.1f}" for v in base["class_fid"]))
    else:
        lines.append(f"  per-class FID: not computed ({result.get('class_fid_note', '?')})")
    if base.get("source"):
        lines.append(f"  class baseline: {base['source']}")
    return "\n".join(lines)
