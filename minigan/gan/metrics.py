"""Is the generator any good? FID, Inception Score and class coverage on minigan's own digit classifier.

Inception-v3 FID does not fit 28x28 grey digits, so the feature extractor is
the small LeNet-style classifier of `minigan.gan.classifier`, trained by
minigan and shipped in `minigan/weights/`. Its 128-d features (the post-ReLU
input of its last Linear, where Inception FID taps pool3) feed FID; its
softmax feeds the Inception Score and the class coverage.

    result = evaluate_samples(images, "mnist")          # images: (N, 1, 28, 28) in [-1, 1]
    print(format_report(result))

Every report carries a real-vs-real baseline (N training images against the
test set) so the numbers can be read: a perfect generator scores about the
baseline, not zero. The math (the first half of this file) is pure NumPy in
float64; the classifier is imported only when images must be scored.
"""

from __future__ import annotations

import json
import math
import os
import weakref
from pathlib import Path
from typing import Any

import numpy as np

NUM_CLASSES = 10
COVERAGE_THRESHOLD = 0.02  # a class counts as covered when it holds >= 2% of the samples
IS_SPLITS = 10
DEFAULT_N = 10_000
RANGE_TOLERANCE = 1e-3  # float samples may overshoot [-1, 1] by this much (rounding in tanh and casts)


# --------------------------------------------------------------------------------------------------
# The math: pure NumPy, float64
# --------------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------------
# Samples: check and normalise what users hand in
# --------------------------------------------------------------------------------------------------

def prepare_samples(samples, *, name: str = "samples") -> np.ndarray:
    """Check and convert images to float32 (N, 1, 28, 28) in [-1, 1], the classifier's input.

    Accepts float arrays in [-1, 1] shaped (N, 1, 28, 28) or (N, 28, 28), and
    uint8 arrays in 0..255 (mapped by x / 127.5 - 1, as the data loader does).
    Anything else (other shapes, integer or bool dtypes other than uint8,
    NaN or infinity, floats outside [-1, 1] by more than a small tolerance)
    raises a ValueError or TypeError naming the shape, dtype or range found.
    """
    if hasattr(samples, "numpy") and not isinstance(samples, np.ndarray):  # a minigan Tensor
        samples = samples.numpy()
    elif type(samples).__module__.startswith("cupy"):
        samples = samples.get()
    array = np.asarray(samples)
    shape = array.shape  # as given, for the messages
    expected = "(N, 1, 28, 28) or (N, 28, 28)"
    if array.ndim == 4 and array.shape[1:] == (1, 28, 28):
        pass
    elif array.ndim == 3 and array.shape[1:] == (28, 28):
        array = array[:, None]
    else:
        hint = ""
        if array.ndim == 4 and array.shape[-1] == 1 and array.shape[1:3] == (28, 28):
            hint = " (channels-last (N, 28, 28, 1): move the channel axis with x.transpose(0, 3, 1, 2))"
        elif array.ndim == 2 and array.shape[1] == 784:
            hint = " (flat (N, 784): reshape with x.reshape(-1, 1, 28, 28))"
        elif array.ndim == 4 and array.shape[1] != 1:
            hint = f" (minigan's digit classifier takes 1 channel, these have {array.shape[1]})"
        raise ValueError(f"{name} must have shape {expected}, got shape {array.shape} "
                         f"with dtype {array.dtype}{hint}")
    if len(array) == 0:
        raise ValueError(f"{name} is empty: shape {shape}")
    if array.dtype == np.uint8:
        images = array.astype(np.float32)
        images /= 127.5
        images -= 1.0
        return images
    if array.dtype.kind != "f":
        raise TypeError(f"{name} must be float (values in [-1, 1]) or uint8 (values in 0..255), "
                        f"got dtype {array.dtype} with shape {shape}")
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(f"{name} (shape {shape}, dtype {array.dtype}) holds {int(bad.sum())} NaN or "
                         f"infinite values, first at index {tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), array.shape))}")
    low, high = float(array.min()), float(array.max())
    if low < -1 - RANGE_TOLERANCE or high > 1 + RANGE_TOLERANCE:
        hint = ""
        if low >= 0 and high <= 255:
            hint = "; images in 0..255 should be uint8 (or divide by 127.5 and subtract 1)"
        raise ValueError(f"float {name} must lie in [-1, 1] (a tanh generator's range), got values in "
                         f"[{low:.4g}, {high:.4g}] (shape {shape}, dtype {array.dtype}){hint}")
    return np.clip(array, -1.0, 1.0).astype(np.float32, copy=False)


def load_samples(path: str | os.PathLike, *, allow_pickle: bool = False) -> np.ndarray:
    """Read a samples file (.npy, or .npz with one array or an array named 'samples'/'images') and check it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"samples file not found: {path}")
    loaded = np.load(path, allow_pickle=allow_pickle)
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            names = list(loaded.files)
            key = next((k for k in ("samples", "images") if k in names), names[0] if len(names) == 1 else None)
            if key is None:
                raise ValueError(f"{path} holds arrays {names}; name the images 'samples' or 'images'")
            loaded = loaded[key]
    return prepare_samples(loaded, name=f"samples in {path.name}")


# --------------------------------------------------------------------------------------------------
# Scoring images with the classifier
# --------------------------------------------------------------------------------------------------

def classifier_outputs(classifier, images, *, batch_size: int = 250, device: str = "cpu"
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Features (N, 128) and softmax probabilities (N, 10) of `images`, both float64 NumPy.

    `images` go through prepare_samples first; `classifier` is a
    minigan.gan.classifier.DigitClassifier (anything with .features(x) and
    .head(features) works) already on `device`.
    """
    import minigan

    images = prepare_samples(images, name="images")
    features, probs = [], []
    with minigan.no_grad():
        for start in range(0, len(images), batch_size):
            x = minigan.tensor(images[start : start + batch_size], device=device)
            f = classifier.features(x)
            logits = classifier.head(f)
            features.append(f.numpy().astype(np.float64))
            probs.append(_softmax(logits.numpy().astype(np.float64)))
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
        from .classifier import load_classifier

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


def evaluate_generator(generator, n: int = DEFAULT_N, dataset: str = "mnist", device: str = "cpu",
                       seed: int = 0, batch_size: int = 250, *, classifier=None, reference: str = "auto",
                       baseline: bool = True, data_dir=None) -> dict[str, Any]:
    """Sample `n` images from `generator` with a fixed seed and score them (see evaluate_samples).

    Sampling is minigan.gan.sampling.generate: eval mode (restored after),
    no graph, z ~ N(0, 1) from numpy.random.default_rng(seed), so the same
    weights always get the same score and minigan's own random stream (the
    trainer's noise) is left untouched. The trainer's --eval-every calls this.
    """
    from .sampling import generate

    samples = generate(generator, int(n), batch_size=batch_size, seed=seed, device=device)
    return evaluate_samples(samples, dataset, classifier=classifier, reference=reference, baseline=baseline,
                            data_dir=data_dir, device=device, batch_size=batch_size)


def format_report(result: dict[str, Any]) -> str:
    """A few readable lines: the sample scores beside the real-vs-real baseline."""
    lines = [f"minigan eval: {result['n']} samples, dataset {result['dataset']}"
             + (f", classifier test accuracy {result['classifier']['test_accuracy']:.2%}"
                if "test_accuracy" in result.get("classifier", {}) else "")]
    base = result.get("baseline") or {}
    rows = [("FID (lower is better)", "fid", "{:.3f}"),
            ("Inception Score (max 10)", "inception_score", "{:.3f}"),
            ("classes covered (>= 2%)", "classes_covered", "{:d}"),
            ("class KL to uniform (nats)", "class_kl", "{:.4f}")]
    lines.append(f"  {'':28s} {'samples':>12s} {'real baseline':>14s}")
    for label, key, fmt in rows:
        value = fmt.format(result[key])
        if key == "inception_score":
            value += f" ± {result['inception_score_std']:.3f}"
        ref = fmt.format(base[key]) if key in base else "-"
        if key == "inception_score" and key in base:
            ref += f" ± {base['inception_score_std']:.3f}"
        lines.append(f"  {label:28s} {value:>12s} {ref:>14s}")
    hist = " ".join(f"{100 * h:.1f}" for h in result["class_histogram"])
    lines.append(f"  class histogram (% per class 0..9): {hist}")
    lines.append(f"  reference statistics: {result.get('reference', '?')}")
    if "error" in base:
        lines.append(f"  baseline unavailable: {base['error']}")
    elif base:
        lines.append(f"  baseline: {base.get('n')} real images ({base.get('source')})")
        if base.get("n") != result["n"]:
            lines.append(f"  note: FID is biased upwards at small N; the baseline used {base.get('n')} images, "
                         f"the samples {result['n']}, so compare at equal N (--n)")
    return "\n".join(lines)


def metrics_curve_png(log_path: str | os.PathLike, out_png: str | os.PathLike) -> Path:
    """Plot FID, Inception Score and classes covered against training step from a JSON-lines log.

    Each line of `log_path` is a JSON object; lines with a 'fid' key are
    plotted, x from 'step' (else 'iteration', 'epoch', or the line's order;
    for a step logged twice, as after a resume, the later line counts).
    A 'baseline' value in them ({'fid': ...} or 'baseline_fid') is drawn as a
    dashed line. Needs matplotlib (the dev extra). Returns the PNG's path.
    """
    records = _metric_records(log_path)
    if not records:
        raise ValueError(f"{log_path} holds no lines with a 'fid' value to plot")
    # A Figure on an Agg canvas, as in plotting.py: no pyplot, so the user's matplotlib backend is untouched.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    xkey = next((k for k in ("step", "iteration", "epoch") if all(k in r for r in records)), None)
    if xkey:  # a resumed run evaluates some steps again: the latest line for a step wins
        records = sorted({r[xkey]: r for r in records}.values(), key=lambda r: r[xkey])
    xs = [r[xkey] for r in records] if xkey else list(range(len(records)))
    panels = [("fid", "FID (lower is better)"), ("inception_score", "Inception Score"),
              ("classes_covered", "classes covered")]
    fig = Figure(figsize=(4.2 * len(panels), 3.4))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(panels))
    for ax, (key, title) in zip(axes, panels):
        points = [(x, r[key]) for x, r in zip(xs, records) if isinstance(r.get(key), (int, float))]
        if points:
            ax.plot(*zip(*points), marker="o", markersize=3)
        base = _baseline_value(records[-1], key)
        if base is not None:
            ax.axhline(base, linestyle="--", color="grey", label="real data")
            ax.legend(loc="best", fontsize=8)
        ax.set_title(title)
        ax.set_xlabel(xkey or "evaluation")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png, dpi=100)
    return out_png


def _metric_records(log_path) -> list[dict]:
    records = []
    with open(log_path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by an interrupted run
            if isinstance(record, dict):
                metrics = record.get("metrics") if isinstance(record.get("metrics"), dict) else record
                if "fid" in metrics:
                    records.append({**record, **metrics})
    return records


def _baseline_value(record: dict, key: str):
    base = record.get("baseline")
    if isinstance(base, dict) and isinstance(base.get(key), (int, float)):
        return base[key]
    value = record.get(f"baseline_{key}")
    return value if isinstance(value, (int, float)) else None


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _load_split(dataset: str, split: str, data_dir):
    from minigan.data import load_dataset

    return load_dataset(dataset, split=split, data_dir=data_dir, download=False)
