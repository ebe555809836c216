"""How good are the completions? L1 and PSNR on the hidden pixels, classifier accuracy, FID.

Pixel errors are measured on the hidden pixels only (the visible ones are the
input's, so counting them would only dilute the error), in the data's [-1, 1]
scale. The classifier numbers come in threes, so they can be read:
accuracy on the completions, on the masked images alone (hidden pixels set to
``fill``, the background -1 by default: what a classifier sees with no
inpainting) and on the originals (the ceiling). FID is the one of
``minigan.evaluation`` (the digit classifier's features against the test
set's statistics), for the same three sets.

    result = evaluate_inpainting(completed, originals, masks, labels, classifier="mnist")
    print(format_inpainting_report(result))
"""
from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from .... import evaluation as metrics
from ....evaluation import load_classifier
from .api import check_images, mask_images
from .masks import check_masks

__all__ = ["hidden_l1", "hidden_psnr", "evaluate_inpainting", "format_inpainting_report"]

SETS = ("completions", "masked", "originals")


def _checked(completed, originals, masks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    completed = check_images(completed, name="completions")
    originals = check_images(originals, name="originals")
    if len(completed) != len(originals):
        raise ValueError(f"{len(completed)} completions for {len(originals)} originals; they must pair up")
    return completed, originals, check_masks(masks, len(originals))


def _hidden_errors(completed, originals, masks) -> tuple[np.ndarray, int]:
    completed, originals, masks = _checked(completed, originals, masks)
    hidden = masks != 0
    count = int(hidden.sum())
    if count == 0:
        raise ValueError("the masks hide no pixel: there is nothing to measure")
    return (completed.astype(np.float64) - originals.astype(np.float64))[hidden], count


def hidden_l1(completed, originals, masks) -> float:
    """Mean absolute error over all hidden pixels (masks 1), in [-1, 1] units (0..2): ``hidden_l1(c, x, m)``."""
    errors, count = _hidden_errors(completed, originals, masks)
    return float(np.abs(errors).sum() / count)


def hidden_psnr(completed, originals, masks, *, data_range: float = 2.0) -> float:
    """PSNR in dB of the hidden pixels: 10 log10(data_range^2 / MSE), the MSE pooled over all of them.

    `data_range` is the span of the pixel scale (2 for [-1, 1], the same PSNR
    as for images scaled to [0, 1] with peak 1). Infinite for a perfect match.
    """
    errors, count = _hidden_errors(completed, originals, masks)
    mse = float((errors * errors).sum() / count)
    return math.inf if mse == 0.0 else 10.0 * math.log10(float(data_range) ** 2 / mse)


def _labels(labels, n: int) -> np.ndarray:
    array = np.asarray(labels)
    if array.shape != (n,) or array.dtype.kind not in "iu":
        raise ValueError(f"labels must be integers of shape ({n},), got shape {array.shape} and dtype {array.dtype}")
    return array.astype(np.int64)


def evaluate_inpainting(completed, originals, masks, labels=None, *, classifier: Any = "mnist",
                        dataset: str = "mnist", reference: str = "auto", fid: bool = True, fill: float = -1.0,
                        data_dir=None, device: str = "cpu", batch_size: int = 250) -> dict[str, Any]:
    """All inpainting numbers for one set of completions, as a flat JSON-friendly dict.

    completed, originals: (N, 1, 28, 28) in [-1, 1]; masks: 1 = hidden;
    labels: (N,) true classes (accuracies are skipped without them);
    classifier: a DigitClassifier (anything with .features and .head), a path
    to its weights or a dataset name. `reference` picks the FID statistics
    (see minigan.evaluation.reference_statistics); ``fid=False`` skips FID
    (it needs N >= 2). Returns {'n', 'hidden_fraction', 'l1_hidden',
    'psnr_hidden', 'accuracy': {completions, masked, originals}, 'fid': {...},
    'reference'}.
    """
    completed, originals, masks = _checked(completed, originals, masks)
    result: dict[str, Any] = {"n": int(len(completed)), "dataset": dataset,
                              "hidden_fraction": float(masks.mean()),
                              "l1_hidden": hidden_l1(completed, originals, masks),
                              "psnr_hidden": hidden_psnr(completed, originals, masks)}
    if labels is None and not fid:
        return result
    if classifier is None or isinstance(classifier, (str, os.PathLike)):
        classifier = load_classifier(classifier if classifier is not None else dataset, device=device)
    sets = {"completions": completed, "masked": mask_images(originals, masks, fill),
            "originals": originals}
    outputs = {name: metrics.classifier_outputs(classifier, images, batch_size=batch_size, device=device)
               for name, images in sets.items()}
    if labels is not None:
        truth = _labels(labels, len(completed))
        result["accuracy"] = {name: float((probs.argmax(axis=1) == truth).mean())
                              for name, (_, probs) in outputs.items()}
    if fid:
        if len(completed) < 2:
            raise ValueError(f"FID needs at least 2 images, got {len(completed)}; pass fid=False")
        ref = metrics.reference_statistics(classifier, dataset, source=reference, data_dir=data_dir, device=device,
                                           batch_size=batch_size)
        result["fid"] = {name: metrics.frechet_distance(*metrics.feature_statistics(features), ref["mu"], ref["sigma"])
                         for name, (features, _) in outputs.items()}
        result["reference"] = ref["source"]
    return result


def format_inpainting_report(result: dict[str, Any]) -> str:
    """A few readable lines: pixel errors, then accuracy and FID of completions beside the two baselines."""
    lines = [f"inpainting: {result['n']} images, {result['hidden_fraction']:.1%} of pixels hidden",
             f"  hidden-region L1 {result['l1_hidden']:.4f} (0..2 scale), PSNR {result['psnr_hidden']:.2f} dB"]
    lines.append(f"  {'':22s}{'completions':>12s}{'masked only':>12s}{'originals':>12s}")
    for key, label, form in (("accuracy", "classifier accuracy", "{:.2%}"), ("fid", "FID (lower is better)", "{:.3f}")):
        if key in result:
            lines.append(f"  {label:22s}" + "".join(f"{form.format(result[key][s]):>12s}" for s in SETS))
    return "\n".join(lines)
