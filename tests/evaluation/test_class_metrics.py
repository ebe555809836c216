"""minigan/evaluation/class_metrics.py: class accuracy, per-class FID at equal N and its mean,
class_metrics with any scoring function (a toy one here, minigan's classifier in one plumbing check)."""
import functools

import numpy as np
import pytest

from minigan.evaluation.class_metrics import class_accuracy, class_metrics, per_class_fid
from minigan.evaluation import classifier_outputs, fid_from_features, load_classifier


def _features(n_per_class, dim=3, shift=None, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10), n_per_class)
    feats = rng.standard_normal((len(labels), dim)) + labels[:, None] * 3.0
    if shift is not None:
        feats[labels == shift[0]] += shift[1]
    return feats, labels


def test_class_accuracy_from_scores_and_from_classes():
    probs = np.eye(10)[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]] * 0.9 + 0.01
    asked = np.array([0, 1, 2, 3, 4, 5, 6, 7, 0, 0])
    assert class_accuracy(probs, asked) == 0.8
    assert class_accuracy(probs.argmax(1), asked) == 0.8
    assert class_accuracy(np.log(probs), asked) == 0.8                    # logits: same argmax
    with pytest.raises(ValueError, match=r"class_accuracy: labels of shape \(9,\) do not match predictions of "
                                         r"shape \(10, 10\)"):
        class_accuracy(probs, asked[:9])
    with pytest.raises(TypeError, match="class_accuracy: labels must be integer"):
        class_accuracy(probs, asked.astype(float))
    with pytest.raises(ValueError, match="label 10 is out of range for 10 classes"):
        class_accuracy(probs, np.full(10, 10))
    with pytest.raises(ValueError, match="predictions must be scores"):
        class_accuracy(np.zeros(10), asked)


def test_per_class_fid_is_zero_on_the_same_features_and_flags_the_one_bad_class():
    feats, labels = _features(50)
    same = per_class_fid(feats, labels, feats, labels)
    assert same["n_per_class"] == 50 and len(same["class_fid"]) == 10
    assert max(same["class_fid"]) < 1e-9
    bad, bad_labels = _features(50, shift=(4, 5.0))
    real, real_labels = _features(50, seed=1)
    result = per_class_fid(bad, bad_labels, real, real_labels)
    fids = np.array(result["class_fid"])
    assert fids[4] > 20 and np.all(np.delete(fids, 4) < 2), fids
    assert result["mean_class_fid"] == pytest.approx(fids.mean())
    # the whole-set FID hides much of it: per class is what tells the bad class
    assert fids[4] > fid_from_features(bad, real)


def test_per_class_fid_uses_one_n_for_every_class_and_both_sides():
    feats, labels = _features(40)
    real, real_labels = _features(60, seed=2)
    keep = ~((real_labels == 7) & (np.arange(len(real_labels)) % 60 >= 25))   # class 7: only 25 real images
    real, real_labels = real[keep], real_labels[keep]
    result = per_class_fid(feats, labels, real, real_labels)
    assert result["n_per_class"] == 25
    for c in (0, 7, 9):
        expected = fid_from_features(feats[labels == c][:25], real[real_labels == c][:25])
        assert result["class_fid"][c] == pytest.approx(expected, rel=1e-12)
    assert per_class_fid(feats, labels, real, real_labels, n_per_class=10)["n_per_class"] == 10
    with pytest.raises(ValueError, match="needs 30 samples of every class on both sides; class 7 has 40 generated "
                                         "and 25 real"):
        per_class_fid(feats, labels, real, real_labels, n_per_class=30)


def test_per_class_fid_errors():
    feats, labels = _features(5)
    with pytest.raises(ValueError, match="class 3 has 0 generated"):
        per_class_fid(feats[labels != 3], labels[labels != 3], feats, labels)
    with pytest.raises(ValueError, match="differ in feature size"):
        per_class_fid(feats, labels, feats[:, :2], labels)
    with pytest.raises(ValueError, match=r"real_features must be \(N, D\)"):
        per_class_fid(feats, labels, feats[:, 0], labels)
    with pytest.raises(ValueError, match=r"per_class_fid: labels of shape \(49,\) do not match features of shape"):
        per_class_fid(feats, labels[:-1], feats, labels)


def test_class_metrics_scores_each_side_once_with_the_given_function():
    calls = []

    def outputs(images):
        calls.append(len(images))
        flat = images.reshape(len(images), -1)
        return flat[:, :4].astype(np.float64), np.eye(10)[flat[:, 0].round().astype(int) % 10]

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 8)
    images = labels[:, None, None, None] + 0.1 * rng.standard_normal((80, 1, 2, 2))
    result = class_metrics(images, labels, images, labels, outputs)
    assert calls == [80, 80]
    assert result["class_accuracy"] == pytest.approx(np.mean(images[:, 0, 0, 0].round() % 10 == labels))
    assert result["n_per_class"] == 8 and max(result["class_fid"]) < 1e-9 and result["mean_class_fid"] < 1e-9


def test_class_metrics_with_minigans_classifier():
    clf = load_classifier("mnist")
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (30, 1, 28, 28)).astype(np.float32)
    labels = np.repeat(np.arange(10), 3)
    result = class_metrics(images, labels, images, labels, functools.partial(classifier_outputs, clf))
    features, probs = classifier_outputs(clf, images)
    assert result["class_accuracy"] == class_accuracy(probs, labels)
    assert result["n_per_class"] == 3 and max(result["class_fid"]) < 1e-6
