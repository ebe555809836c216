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
from pathlib import Path
from typing import Any

import numpy as np

import minigan.nn as nn
import minigan.nn.functional as F
from minigan import backend
from minigan.atomic import atomic_write
from minigan.data import DATASETS
from minigan.data.datasets import NUM_CLASSES

__all__ = ["FORMAT", "WEIGHTS_DIR", "DEFAULT_CHANNELS", "FEATURE_DIM", "DigitClassifier", "weights_path",
           "save_classifier", "load_classifier", "dataset_name"]

FORMAT = "minigan-classifier/1"
WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
DEFAULT_CHANNELS = (16, 32)
FEATURE_DIM = 128


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
    return WEIGHTS_DIR / f"classifier-{dataset_name(dataset)}.npz"


def save_classifier(model: DigitClassifier, path: str | os.PathLike, metadata: dict[str, Any],
                    reference: dict[str, np.ndarray] | None = None) -> Path:
    """Write the weights (float32), `metadata` (JSON) and test-set statistics (float64) to one .npz.

    Written atomically (``minigan.atomic``): a reader never sees half a file.
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
    with atomic_write(path) as handle:
        np.savez_compressed(handle, **arrays)
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
    if text.lower().replace("_", "-") in DATASETS:
        path = weights_path(text)
        if not path.is_file():
            raise FileNotFoundError(
                f"no classifier weights for {dataset_name(text)} at {path}; train them with "
                f"`minigan train-classifier --dataset {dataset_name(text)} --out {path}`")
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


def dataset_name(name: str) -> str:
    """The canonical name of a dataset the classifier knows ('Fashion_MNIST' -> 'fashion-mnist')."""
    text = str(name).lower().replace("_", "-")
    if text not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return text
