"""The statistics behind minigan's eval: FID, Inception Score and class coverage, pure NumPy in float64.

    fid = fid_from_features(features_a, features_b)           # (N1, D), (N2, D)
    mean, std = inception_score(probs)                        # (N, K) class probabilities
    covered = class_coverage(probs)["classes_covered"]

Nothing here knows about images or classifiers: these functions take feature vectors
and probabilities, so they can be tested against closed forms.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..data.datasets import NUM_CLASSES

__all__ = ["NUM_CLASSES", "COVERAGE_THRESHOLD", "IS_SPLITS", "feature_statistics", "sqrtm_psd",
           "trace_sqrt_product", "frechet_distance", "fid_from_features", "inception_score", "class_coverage",
           "softmax"]

COVERAGE_THRESHOLD = 0.02  # a class counts as covered when it holds >= 2% of the samples
IS_SPLITS = 10


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance (D, D) of `features` (N, D), in float64, unbiased (N - 1)."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"features must be (N, D) with N >= 2, got shape {features.shape}")
    mu = features.mean(axis=0)
    centred = features - mu
    sigma = centred.T @ centred / (len(features) - 1)
    return mu, sigma


def sqrtm_psd(matrix) -> np.ndarray:
    """Symmetric square root of a symmetric positive semi-definite matrix (D, D), via eigh.

    Eigenvalues a little below zero (round-off on a singular covariance) are
    clipped to zero, so the root is real and symmetric.
    """
    matrix = _symmetric(matrix, "matrix")
    values, vectors = np.linalg.eigh(matrix)
    roots = np.sqrt(np.clip(values, 0.0, None))
    return (vectors * roots) @ vectors.T


def trace_sqrt_product(sigma1, sigma2) -> float:
    """tr(sqrt(sigma1 @ sigma2)) for symmetric PSD sigma1, sigma2 (D, D), without a general sqrtm.

    sigma1 @ sigma2 is similar to the symmetric PSD matrix
    sqrt(sigma1) @ sigma2 @ sqrt(sigma1), so both have the same real,
    non-negative eigenvalues and the trace of the root is the sum of their
    square roots; eigh on the symmetric product is stable where scipy's
    sqrtm on the non-symmetric product can return complex noise.
    """
    sigma1 = _symmetric(sigma1, "sigma1")
    sigma2 = _symmetric(sigma2, "sigma2")
    if sigma1.shape != sigma2.shape:
        raise ValueError(f"sigma1 and sigma2 differ in shape: {sigma1.shape} vs {sigma2.shape}")
    root1 = sqrtm_psd(sigma1)
    product = root1 @ sigma2 @ root1
    values = np.linalg.eigvalsh((product + product.T) / 2)
    return float(np.sqrt(np.clip(values, 0.0, None)).sum())


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance between the Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    ||mu1 - mu2||^2 + tr(sigma1) + tr(sigma2) - 2 tr(sqrt(sigma1 sigma2)), in
    float64; mu are (D,), sigma (D, D). Round-off can leave a value a hair
    below zero for identical inputs; it is reported as 0.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if mu1.shape != mu2.shape or mu1.ndim != 1:
        raise ValueError(f"mu1 and mu2 must be vectors of one length, got {mu1.shape} and {mu2.shape}")
    if sigma1.shape != (len(mu1), len(mu1)):
        raise ValueError(f"sigma1 must be ({len(mu1)}, {len(mu1)}) to match mu1, got {sigma1.shape}")
    diff = mu1 - mu2
    distance = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt_product(sigma1, sigma2)
    return max(float(distance), 0.0)


def fid_from_features(features1, features2) -> float:
    """FID between two feature sets (N1, D) and (N2, D)."""
    return frechet_distance(*feature_statistics(features1), *feature_statistics(features2))


def inception_score(probs, splits: int = IS_SPLITS) -> tuple[float, float]:
    """Inception Score (mean, std over `splits` splits) of class probabilities `probs` (N, K).

    IS = exp(E_x KL(p(y|x) || p(y))), computed per split as in Salimans et al.
    It is 1 when every sample gets the same prediction and at most K (10 for
    digits) when predictions are confident and the classes balanced.
    """
    probs = _probabilities(probs)
    splits = int(splits)
    if splits < 1:
        raise ValueError(f"splits must be at least 1, got {splits}")
    if len(probs) < splits:
        raise ValueError(f"the Inception Score needs at least {splits} samples for {splits} splits, got {len(probs)}")
    scores = []
    for part in np.array_split(probs, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = _xlogx_over(part, marginal).sum(axis=1).mean()
        scores.append(math.exp(kl))
    return float(np.mean(scores)), float(np.std(scores))


def class_coverage(probs_or_labels, num_classes: int = NUM_CLASSES,
                   threshold: float = COVERAGE_THRESHOLD) -> dict[str, Any]:
    """How the samples spread over the classes: histogram, covered classes, KL to uniform.

    Takes probabilities (N, K) (the argmax is the predicted class) or integer
    labels (N,). Returns {'histogram': K fractions summing to 1,
    'classes_covered': number of classes with at least `threshold` of the
    samples, 'kl_to_uniform': KL(histogram || uniform) in nats, 0 for a
    perfectly even spread and ln K when everything is one class}.
    """
    values = np.asarray(probs_or_labels)
    if values.ndim == 2:
        labels = _probabilities(values).argmax(axis=1)
        num_classes = values.shape[1]
    elif values.ndim == 1 and (values.dtype.kind in "iu" or (values.size and np.all(values == np.round(values)))):
        labels = values.astype(np.int64)
    else:
        raise ValueError(f"expected probabilities (N, K) or integer labels (N,), got shape {values.shape} "
                         f"and dtype {values.dtype}")
    if len(labels) == 0:
        raise ValueError("class coverage of an empty set is undefined")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"labels must lie in 0..{num_classes - 1}, got {labels.min()}..{labels.max()}")
    histogram = np.bincount(labels, minlength=num_classes) / len(labels)
    nonzero = histogram[histogram > 0]
    kl = float(np.sum(nonzero * np.log(nonzero * num_classes)))
    return {
        "histogram": [float(h) for h in histogram],
        "classes_covered": int(np.sum(histogram >= threshold)),
        "kl_to_uniform": max(kl, 0.0),
    }


def _symmetric(matrix, name: str) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return (matrix + matrix.T) / 2  # remove the asymmetry round-off leaves in a covariance


def _probabilities(probs) -> np.ndarray:
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[0] == 0:
        raise ValueError(f"probabilities must be (N, K) with N >= 1, got shape {probs.shape}")
    if not np.all(np.isfinite(probs)) or probs.min() < 0 or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError("probabilities must be finite, non-negative and sum to 1 along each row")
    return probs


def _xlogx_over(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    # p * log(p / q) with 0 log 0 = 0; q > 0 wherever p > 0 since q is a mean of rows of p.
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of logits (N, K), shifted by each row's maximum so exp cannot overflow."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


