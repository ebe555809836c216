"""Training the digit classifier behind eval (``minigan train-classifier``) and measuring its accuracy.

    model, metadata, reference = train_classifier("mnist", epochs=5)
    save_classifier(model, weights_path("mnist"), metadata, reference)
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable

import numpy as np

import minigan.nn.functional as F
from minigan.autograd import no_grad
from minigan.backend import manual_seed
from minigan.creation import tensor
from minigan.data import ImageLoader, load_dataset
from minigan.optim import Adam

from .classifier import DEFAULT_CHANNELS, DigitClassifier, dataset_name
from .images import prepare_samples
from .scoring import classifier_outputs, real_baseline
from .statistics import feature_statistics, inception_score

__all__ = ["accuracy", "train_classifier"]


def accuracy(model: DigitClassifier, images, labels, *, batch_size: int = 500, device: str = "cpu") -> float:
    """Fraction of `images` (N, 28, 28) uint8 or (N, 1, 28, 28) in [-1, 1] whose argmax is the label."""
    images = prepare_samples(images, name="images")
    labels = np.asarray(labels).astype(np.int64)
    correct = 0
    was_training = model.training
    model.eval()
    with no_grad():
        for start in range(0, len(images), batch_size):
            x = tensor(images[start : start + batch_size], device=device)
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
    dataset = dataset_name(dataset)
    say = log or (lambda message: None)
    train_images, train_labels = load_dataset(dataset, "train", data_dir=data_dir)
    test_images, test_labels = load_dataset(dataset, "test", data_dir=data_dir)
    if train_limit is not None:
        train_images, train_labels = train_images[:train_limit], train_labels[:train_limit]

    manual_seed(seed)
    model = DigitClassifier(channels).to(device)
    optimizer = Adam(model.parameters(), lr=lr)
    loader = ImageLoader((train_images, train_labels), batch_size=batch_size, seed=seed, device=device,
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
    test_features, test_probs = classifier_outputs(model, test_images, device=device)
    mu, sigma = feature_statistics(test_features)
    reference = {"mu": mu, "sigma": sigma}
    test_is, test_is_std = inception_score(test_probs)
    baseline = real_baseline(model, dataset, baseline_n, reference=dict(reference, source="data"),
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


