"""Scoring images against a reference: classifier outputs, the test-set statistics (cached), the baseline.

Inception-v3 FID does not fit 28x28 grey digits, so the feature extractor is the small
LeNet-style classifier of ``minigan.evaluation.classifier``, trained by minigan and shipped in
``minigan/weights/``. Its 128-d features feed FID; its softmax feeds the Inception Score and
the class coverage.

    result = evaluate_samples(images, "mnist")          # images: (N, 1, 28, 28) in [-1, 1]
    print(format_report(result))

Every result carries a real-vs-real baseline (N training images against the test set) so the
numbers can be read: a perfect generator scores about the baseline, not zero.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..creation import tensor
from ..data import load_dataset

from .classifier import load_classifier
from .images import prepare_samples
from .statistics import (IS_SPLITS, class_coverage, feature_statistics, frechet_distance, inception_score,
                         softmax)

__all__ = ["DEFAULT_N", "classifier_outputs", "scores", "clear_cache", "reference_statistics", "real_baseline",
           "evaluate_samples"]

DEFAULT_N = 10_000


def classifier_outputs(classifier, images, *, batch_size: int = 250, device: str = "cpu"
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Features (N, 128) and softmax probabilities (N, 10) of `images`, both float64 NumPy.

    `images` go through prepare_samples first; `classifier` is a
    minigan.evaluation.DigitClassifier (anything with .features(x) and
    .head(features) works) already on `device`.
    """
    images = prepare_samples(images, name="images")
    features, probs = [], []
    with no_grad():
        for start in range(0, len(images), batch_size):
            x = tensor(images[start : start + batch_size], device=device)
            f = classifier.features(x)
            logits = classifier.head(f)
            features.append(f.numpy().astype(np.float64))
            probs.append(softmax(logits.numpy().astype(np.float64)))
    return np.concatenate(features), np.concatenate(probs)


def scores(features: np.ndarray, probs: np.ndarray, reference: dict[str, np.ndarray]) -> dict[str, Any]:
    """FID against `reference` ({'mu', 'sigma'}), IS and coverage of one scored set; flat, JSON-friendly."""
    is_mean, is_std = inception_score(probs, splits=min(IS_SPLITS, len(probs)))
    coverage = class_coverage(probs)
    return {
        "n": int(len(features)),
        "fid": frechet_distance(*feature_statistics(features), reference["mu"], reference["sigma"]),
        "inception_score": is_mean,
        "inception_score_std": is_std,
        "classes_covered": coverage["classes_covered"],
        "class_kl": coverage["kl_to_uniform"],
        "class_histogram": coverage["histogram"],
    }


# Test-set statistics and real-vs-real baselines already computed: classifier -> {(kind, dataset, ...): value}.
# Weak keys, so a classifier that goes away takes its entries with it (and a new one never inherits them).
_CACHE: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def clear_cache() -> None:
    """Forget the reference statistics and baselines computed so far."""
    _CACHE.clear()


def _cache_for(classifier) -> dict:
    try:
        return _CACHE.setdefault(classifier, {})
    except TypeError:  # not weak-referenceable: no caching
        return {}


def reference_statistics(classifier, dataset: str = "mnist", *, source: str = "auto", data_dir=None,
                         device: str = "cpu", batch_size: int = 250) -> dict[str, Any]:
    """Feature mean and covariance of the dataset's test set: {'mu', 'sigma', 'source'}.

    source 'stored' takes them from the classifier's weights file (computed
    when it was trained, so eval works offline); 'data' scores the 10,000 test
    images now (cached in memory for the process); 'auto' is 'stored' when the
    weights file has them, else 'data'. Any other value is a path to an .npz
    holding 'mu' and 'sigma' (or 'ref_mu' and 'ref_sigma', as a weights file does).
    """
    stored = getattr(classifier, "reference", None) or {}
    if source == "auto":
        source = "stored" if stored.get("dataset") == dataset and "mu" in stored else "data"
    if source == "stored":
        if "mu" not in stored:
            raise ValueError("this classifier's weights file stores no test-set statistics; use --reference data")
        if stored.get("dataset") != dataset:
            raise ValueError(f"the classifier's stored statistics are for {stored.get('dataset')}, not {dataset}")
        return {"mu": stored["mu"], "sigma": stored["sigma"], "source": "stored"}
    if source == "data":
        cache, key = _cache_for(classifier), ("reference", dataset, str(data_dir), str(device))
        if key not in cache:
            images, _ = _load_split(dataset, "test", data_dir)
            features, _ = classifier_outputs(classifier, images, batch_size=batch_size, device=device)
            mu, sigma = feature_statistics(features)
            cache[key] = {"mu": mu, "sigma": sigma, "source": "data"}
        return cache[key]
    path = Path(source)
    if not path.is_file():
        raise ValueError(f"--reference must be 'auto', 'stored', 'data' or an .npz file; {source!r} is none")
    with np.load(path, allow_pickle=False) as npz:
        keys = ("mu", "sigma") if "mu" in npz.files else ("ref_mu", "ref_sigma")
        if keys[0] not in npz.files:
            raise ValueError(f"{path} holds no 'mu'/'sigma' (or 'ref_mu'/'ref_sigma') arrays; it has {npz.files}")
        return {"mu": npz[keys[0]].astype(np.float64), "sigma": npz[keys[1]].astype(np.float64),
                "source": str(path)}


def real_baseline(classifier, dataset: str = "mnist", n: int = DEFAULT_N, *, reference: dict | None = None,
                  data_dir=None, device: str = "cpu", batch_size: int = 250, seed: int = 0) -> dict[str, Any]:
    """The scores of real data: `n` training images (a seeded subset) against the test set.

    What a perfect generator would get with the same `n`. Falls back to the
    baseline stored in the weights file (with its own n) when the dataset
    files cannot be found; the result's 'source' says which.
    """
    cache, key = _cache_for(classifier), ("baseline", dataset, str(data_dir), str(device), int(n), int(seed))
    if key in cache:
        return cache[key]
    try:
        images, _ = _load_split(dataset, "train", data_dir)
    except Exception as error:  # no dataset here: use what training stored
        stored = (getattr(classifier, "metadata", None) or {}).get("baseline")
        if stored and getattr(classifier, "metadata", {}).get("dataset") == dataset:
            return dict(stored, source=f"stored (n={stored.get('n')}; {dataset} not found here)")
        raise RuntimeError(f"no real-vs-real baseline: {error}") from error
    if reference is None:
        reference = reference_statistics(classifier, dataset, data_dir=data_dir, device=device,
                                         batch_size=batch_size)
    rng = np.random.default_rng(seed)
    index = np.sort(rng.choice(len(images), size=min(int(n), len(images)), replace=False))
    features, probs = classifier_outputs(classifier, images[index], batch_size=batch_size, device=device)
    result = dict(scores(features, probs, reference), source=f"{dataset} train subset vs test set")
    cache[key] = result
    return result


def evaluate_samples(samples, dataset: str = "mnist", *, classifier=None, reference: str = "auto",
                     baseline: bool = True, data_dir=None, device: str = "cpu",
                     batch_size: int = 250) -> dict[str, Any]:
    """Score generated images: FID, Inception Score, class coverage, and the real-vs-real baseline.

    `samples`: (N, 1, 28, 28) or (N, 28, 28), float in [-1, 1] or uint8.
    `classifier`: a DigitClassifier, a path to its .npz, or None for the
    weights shipped for `dataset`. `reference`: see reference_statistics.
    Returns a flat, JSON-friendly dict (see scores()) with 'dataset',
    'classifier' and, when `baseline`, a 'baseline' dict of the same scores
    for N real training images.
    """
    images = prepare_samples(samples)
    if len(images) < 2:
        raise ValueError(f"at least 2 images are needed (FID needs a covariance), got shape {np.shape(samples)}")
    if classifier is None or isinstance(classifier, (str, os.PathLike)):
        classifier = load_classifier(classifier if classifier is not None else dataset, device=device)
    ref = reference_statistics(classifier, dataset, source=reference, data_dir=data_dir, device=device,
                               batch_size=batch_size)
    features, probs = classifier_outputs(classifier, images, batch_size=batch_size, device=device)
    result: dict[str, Any] = {"dataset": dataset, **scores(features, probs, ref), "reference": ref["source"]}
    meta = getattr(classifier, "metadata", None) or {}
    result["classifier"] = {k: meta[k] for k in ("path", "dataset", "test_accuracy") if k in meta}
    if baseline:
        try:
            result["baseline"] = real_baseline(classifier, dataset, len(images), reference=ref,
                                               data_dir=data_dir, device=device, batch_size=batch_size)
        except RuntimeError as error:
            result["baseline"] = {"error": str(error)}
    return result


def _load_split(dataset: str, split: str, data_dir):
    return load_dataset(dataset, split=split, data_dir=data_dir, download=False)
