"""The digit classifier behind minigan's FID, Inception Score and class coverage.

A LeNet-style net, trained by minigan itself:

    conv 5x5 (1 -> 16) + ReLU + max-pool 2      (N, 16, 14, 14)
    conv 5x5 (16 -> 32) + ReLU + max-pool 2     (N, 32, 7, 7)
    flatten + Linear(1568, 128) + ReLU          (N, 128)   <- the features FID uses
    Linear(128, 10)                             (N, 10)    logits

(16/32 conv widths: 99.3% on the MNIST test set after 5 epochs, at a quarter
of the 32/64 net's cost and 0.8 MB of float32 weights.)

The features are the post-ReLU 128-d activations, i.e. exactly the input of
the last Linear, the same place Inception-v3 FID taps (pool3, the logits'
input). `minigan train-classifier` trains one per dataset; the weights, the
test-set feature statistics and the real-vs-real baseline are stored in one
small .npz (float32 weights) and shipped in `minigan/weights/`, so
`minigan eval` works offline.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

import minigan
import minigan.nn as nn
import minigan.nn.functional as F
from minigan import backend

FORMAT = "minigan-classifier/1"
WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
DATASET_NAMES = ("mnist", "fashion-mnist")
DEFAULT_CHANNELS = (16, 32)
FEATURE_DIM = 128
NUM_CLASSES = 10


class DigitClassifier(nn.Module):
    """LeNet-style classifier for (N, 1, 28, 28) images in [-1, 1]; PyTorch's layer names and layouts.

    features(x) -> (N, 128) post-ReLU features; head(features) -> (N, 10)
    logits; forward(x) = head(features(x)).
    """

    def __init__(self, channels: tuple[int, int] = DEFAULT_CHANNELS, feature_dim: int = FEATURE_DIM,
                 num_classes: int = NUM_CLASSES):
        super().__init__()
        c1, c2 = (int(c) for c in channels)
        self.channels, self.feature_dim, self.num_classes = (c1, c2), int(feature_dim), int(num_classes)
        self.conv1 = nn.Conv2d(1, c1, 5, padding=2)
        self.conv2 = nn.Conv2d(c1, c2, 5, padding=2)
        self.fc1 = nn.Linear(c2 * 7 * 7, self.feature_dim)
        self.fc2 = nn.Linear(self.feature_dim, self.num_classes)
        self.metadata: dict[str, Any] = {}
        self.reference: dict[str, Any] = {}

    def features(self, x):
        """(N, 1, 28, 28) -> (N, feature_dim): the post-ReLU input of the last Linear."""
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.relu(self.fc1(x.reshape(x.shape[0], -1)))

    def head(self, features):
        """(N, feature_dim) features -> (N, num_classes) logits."""
        return self.fc2(features)

    def forward(self, x):
        return self.head(self.features(x))


# --------------------------------------------------------------------------------------------------
# Weights files
# --------------------------------------------------------------------------------------------------

def weights_path(dataset: str) -> Path:
    """Where the weights shipped for `dataset` live: minigan/weights/classifier-<dataset>.npz."""
    return WEIGHTS_DIR / f"classifier-{_dataset_name(dataset)}.npz"


def save_classifier(model: DigitClassifier, path: str | os.PathLike, metadata: dict[str, Any],
                    reference: dict[str, np.ndarray] | None = None) -> Path:
    """Write the weights (float32), `metadata` (JSON) and test-set statistics (float64) to one .npz.

    The file is written beside its target and renamed into place, so a
    reader never sees half a file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {key: np.asarray(value, dtype=np.float32) for key, value in model.state_dict().items()}
    meta = dict(metadata, format=FORMAT, channels=list(model.channels), feature_dim=model.feature_dim,
                num_classes=model.num_classes)
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
    if reference is not None:
        arrays["ref_mu"] = np.asarray(reference["mu"], dtype=np.float64)
        arrays["ref_sigma"] = np.asarray(reference["sigma"], dtype=np.float64)
    temporary = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(temporary, **arrays)
    os.replace(temporary, path)
    return path


# Loaded classifiers, per (resolved path, mtime, device): trainers evaluate every few steps and the
# metrics cache keys its test-set statistics on the classifier object.
_LOADED: dict[tuple, DigitClassifier] = {}


def load_classifier(name_or_path: str | os.PathLike = "mnist", device: str = "cpu") -> DigitClassifier:
    """A DigitClassifier in eval mode from a weights .npz, or the one shipped for a dataset name.

    `name_or_path` is 'mnist', 'fashion-mnist' or a path to a file that
    save_classifier wrote. The result carries .metadata (accuracy, seed, the
    command that trained it, baseline) and .reference (the test-set feature
    'mu' and 'sigma' with their 'dataset').
    """
    text = str(name_or_path)
    if text.lower() in DATASET_NAMES or text.lower().replace("_", "-") in DATASET_NAMES:
        path = weights_path(text)
        if not path.is_file():
            raise FileNotFoundError(
                f"no classifier weights for {_dataset_name(text)} at {path}; train them with "
                f"`minigan train-classifier --dataset {_dataset_name(text)} --out {path}`")
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise FileNotFoundError(f"classifier weights file not found: {path}")
    path = path.resolve()
    key = (str(path), path.stat().st_mtime_ns, str(device))
    if key in _LOADED:
        return _LOADED[key]
    with np.load(path, allow_pickle=False) as npz:
        if "meta" not in npz.files:
            raise ValueError(f"{path} is not a minigan classifier file (no 'meta' entry; it holds {npz.files})")
        meta = json.loads(str(npz["meta"]))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: unknown classifier format {meta.get('format')!r}, expected {FORMAT!r}")
        state = {k: npz[k] for k in npz.files if k not in ("meta", "ref_mu", "ref_sigma")}
        reference = {}
        if "ref_mu" in npz.files:
            reference = {"dataset": meta.get("dataset"), "mu": npz["ref_mu"].astype(np.float64),
                         "sigma": npz["ref_sigma"].astype(np.float64)}
    rng_state = backend.get_rng_state()  # building draws initial weights: leave the caller's stream alone
    try:
        model = DigitClassifier(tuple(meta["channels"]), meta["feature_dim"], meta["num_classes"])
    finally:
        backend.set_rng_state(rng_state)
    model.load_state_dict(state)
    model.to(device)
    model.eval()
    model.requires_grad_(False)
    model.metadata = dict(meta, path=str(path))
    model.reference = reference
    _LOADED[key] = model
    return model


# --------------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------------

def accuracy(model: DigitClassifier, images, labels, *, batch_size: int = 500, device: str = "cpu") -> float:
    """Fraction of `images` (N, 28, 28) uint8 or (N, 1, 28, 28) in [-1, 1] whose argmax is the label."""
    from .metrics import prepare_samples

    images = prepare_samples(images, name="images")
    labels = np.asarray(labels).astype(np.int64)
    correct = 0
    was_training = model.training
    model.eval()
    with minigan.no_grad():
        for start in range(0, len(images), batch_size):
            x = minigan.tensor(images[start : start + batch_size], device=device)
            predicted = model(x).numpy().argmax(axis=1)
            correct += int((predicted == labels[start : start + batch_size]).sum())
    model.train(was_training)
    return correct / len(images)


def train_classifier(dataset: str = "mnist", *, epochs: int = 5, seed: int = 0, batch_size: int = 64,
                     lr: float = 1e-3, channels: tuple[int, int] = DEFAULT_CHANNELS, data_dir=None,
                     device: str = "cpu", baseline_n: int = 10_000, log: Callable[[str], None] | None = print,
                     train_limit: int | None = None) -> tuple[DigitClassifier, dict[str, Any], dict[str, Any]]:
    """Train a DigitClassifier on `dataset`'s training set; return (model, metadata, reference).

    Adam with `lr`, cosine-decayed to zero over the run, cross-entropy,
    batches of `batch_size` shuffled from `seed` (which also seeds the
    initialisation, so the same call gives the same weights on one machine).
    Afterwards it measures the test accuracy, the test set's feature
    statistics (`reference`: {'mu', 'sigma'}) and the real-vs-real baseline
    (`baseline_n` seeded training images against the test set), all recorded
    in `metadata`. `train_limit` trains on the first that many images only
    (for tests).
    """
    from minigan.data import DataLoader, load_dataset

    from . import metrics

    dataset = _dataset_name(dataset)
    say = log or (lambda message: None)
    train_images, train_labels = load_dataset(dataset, "train", data_dir=data_dir)
    test_images, test_labels = load_dataset(dataset, "test", data_dir=data_dir)
    if train_limit is not None:
        train_images, train_labels = train_images[:train_limit], train_labels[:train_limit]

    minigan.manual_seed(seed)
    model = DigitClassifier(channels).to(device)
    optimizer = minigan.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader((train_images, train_labels), batch_size=batch_size, seed=seed, device=device,
                        as_tensor=True)
    total_steps = max(1, epochs * len(loader))
    say(f"training a {channels[0]}/{channels[1]}-channel classifier on {dataset}: {len(train_images)} images, "
        f"{epochs} epochs of {len(loader)} batches of {batch_size}, Adam lr {lr} (cosine), seed {seed}, {device}")
    started = time.perf_counter()
    step = 0
    model.train()
    for epoch in range(epochs):
        epoch_started, loss_sum, correct, seen = time.perf_counter(), 0.0, 0, 0
        for x, y in loader.iter_epoch(epoch):
            _set_lr(optimizer, lr * 0.5 * (1 + np.cos(np.pi * step / total_steps)))
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            loss_sum += float(loss.item()) * len(y)
            correct += int((logits.numpy().argmax(axis=1) == y.numpy()).sum())
            seen += len(y)
        say(f"epoch {epoch + 1}/{epochs}: loss {loss_sum / seen:.4f}, train accuracy {correct / seen:.4f}, "
            f"{time.perf_counter() - epoch_started:.0f} s")
    train_seconds = time.perf_counter() - started

    model.eval()
    test_accuracy = accuracy(model, test_images, test_labels, device=device)
    say(f"test accuracy {test_accuracy:.4f} ({round(test_accuracy * len(test_labels))}/{len(test_labels)})")

    # What eval needs offline: the test set's feature statistics and the real-vs-real baseline.
    test_features, test_probs = metrics.classifier_outputs(model, test_images, device=device)
    mu, sigma = metrics.feature_statistics(test_features)
    reference = {"mu": mu, "sigma": sigma}
    test_is, test_is_std = metrics.inception_score(test_probs)
    baseline = metrics.real_baseline(model, dataset, baseline_n, reference=dict(reference, source="data"),
                                     data_dir=data_dir, device=device, seed=0)
    baseline = {k: v for k, v in baseline.items() if k != "source"}
    say(f"real-vs-real baseline ({baseline['n']} train images vs test set): FID {baseline['fid']:.3f}, "
        f"IS {baseline['inception_score']:.3f}, classes covered {baseline['classes_covered']}, "
        f"class KL {baseline['class_kl']:.4f}; test-set IS {test_is:.3f}")
    metadata = {
        "dataset": dataset,
        "test_accuracy": test_accuracy,
        "seed": int(seed),
        "epochs": int(epochs),
        "batch_size": int(batch_size),
        "lr": float(lr),
        "lr_schedule": "cosine to 0 per step",
        "optimizer": "Adam(betas=(0.9, 0.999))",
        "train_images": int(len(train_images)),
        "train_seconds": round(train_seconds, 1),
        "device": str(device),
        "features": "post-ReLU output of fc1 (the input of the last Linear)",
        "test_inception_score": test_is,
        "test_inception_score_std": test_is_std,
        "baseline": baseline,
        "minigan_version": minigan.__version__,
        "numpy_version": np.__version__,
        "python_version": sys.version.split()[0],
    }
    return model, metadata, reference


def _set_lr(optimizer, lr: float) -> None:
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        for group in groups:
            group["lr"] = float(lr)
    else:
        optimizer.lr = float(lr)


def _dataset_name(name: str) -> str:
    text = str(name).lower().replace("_", "-")
    if text not in DATASET_NAMES:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASET_NAMES)}")
    return text
