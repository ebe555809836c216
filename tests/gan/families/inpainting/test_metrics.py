"""Inpainting metrics (hidden-region L1 and PSNR, accuracies beside their baselines, FID) and the grid helper."""
from __future__ import annotations

import math

import numpy as np
import pytest

import minigan
from minigan.gan import make_grid, read_png
from minigan import evaluation as gan_metrics
from minigan.evaluation import load_classifier
from minigan.gan.families.inpainting import (MaskSampler, evaluate_inpainting, format_inpainting_report, hidden_l1,
                                             hidden_psnr, inpainting_grid, save_inpainting_grid)


def triple(n=5, seed=0):
    rng = np.random.default_rng(seed)
    originals = rng.uniform(-1, 1, (n, 1, 28, 28)).astype(np.float32)
    completed = np.clip(originals + rng.normal(0, 0.1, originals.shape), -1, 1).astype(np.float32)
    return completed, originals, MaskSampler("random", seed=seed).sample(n)


def test_l1_and_psnr_count_the_hidden_pixels_only():
    completed, originals, masks = triple()
    hidden = masks == 1
    diff = (completed.astype(np.float64) - originals)[hidden]
    assert hidden_l1(completed, originals, masks) == pytest.approx(np.abs(diff).mean(), rel=1e-12)
    expected_psnr = 10 * np.log10(4.0 / np.mean(diff ** 2))
    assert hidden_psnr(completed, originals, masks) == pytest.approx(expected_psnr, rel=1e-12)
    assert hidden_psnr(completed, originals, masks, data_range=1.0) == pytest.approx(expected_psnr - 10 * np.log10(4))
    wild = np.where(masks == 0, -originals, completed)  # visible pixels all wrong: ignored
    assert hidden_l1(wild, originals, masks) == hidden_l1(completed, originals, masks)


def test_a_perfect_completion_scores_zero_and_infinity():
    _, originals, masks = triple()
    assert hidden_l1(originals, originals, masks) == 0.0
    assert hidden_psnr(originals, originals, masks) == math.inf


def test_metric_inputs_are_checked():
    completed, originals, masks = triple()
    with pytest.raises(ValueError, match="hide no pixel"):
        hidden_l1(completed, originals, np.zeros_like(masks))
    with pytest.raises(ValueError, match="4 completions for 5 originals"):
        hidden_psnr(completed[:4], originals, masks)
    with pytest.raises(ValueError, match="completions must lie in"):
        hidden_l1(completed * 3, originals, masks)
    with pytest.raises(ValueError, match="masks hold 4 masks for 5 images"):
        hidden_l1(completed, originals, masks[:4])


class RowClassifier:
    """A stand-in classifier: the class is the brightest of rows 0..9; features are the 28 row means."""

    def __init__(self, reference=None):
        self.reference = reference or {}
        self.metadata = {}

    def features(self, x):
        return x.reshape(x.shape[0], 28, 28).mean(axis=2)

    def head(self, features):
        return features[:, :10] * 100.0


def row_digits(labels):
    images = np.full((len(labels), 1, 28, 28), -1.0, np.float32)
    images[np.arange(len(labels)), 0, labels, :] = 1.0
    return images


def test_accuracies_of_completions_masked_images_and_originals():
    labels = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    originals = row_digits(labels)
    masks = np.zeros_like(originals)
    masks[:, :, 1:6, :] = 1.0  # hides the rows of classes 1..5: masked-only gets those wrong (ties go to 0)
    completed = originals.copy()
    completed[7] = row_digits(np.array([2]))[0]  # one completion goes wrong
    completed[7][masks[7] == 0] = originals[7][masks[7] == 0]
    result = evaluate_inpainting(completed, originals, masks, labels, classifier=RowClassifier(), fid=False)
    assert result["accuracy"] == {"completions": 0.9, "masked": 0.5, "originals": 1.0}
    assert result["n"] == 10 and result["hidden_fraction"] == pytest.approx(5 / 28)
    assert "fid" not in result
    with pytest.raises(ValueError, match=r"labels must be integers of shape \(10,\)"):
        evaluate_inpainting(completed, originals, masks, labels[:9], classifier=RowClassifier(), fid=False)


def test_fid_is_gan_metrics_fid_against_the_reference_for_all_three_sets():
    completed, originals, masks = triple(40, 1)
    stub = RowClassifier()
    ref_features, _ = gan_metrics.classifier_outputs(stub, originals)
    mu, sigma = gan_metrics.feature_statistics(ref_features)
    stub.reference = {"dataset": "mnist", "mu": mu, "sigma": sigma}
    result = evaluate_inpainting(completed, originals, masks, classifier=stub)
    assert result["fid"]["originals"] == pytest.approx(0.0, abs=1e-9)
    features, _ = gan_metrics.classifier_outputs(stub, completed)
    expected = gan_metrics.frechet_distance(*gan_metrics.feature_statistics(features), mu, sigma)
    assert result["fid"]["completions"] == pytest.approx(expected, rel=1e-9)
    assert result["fid"]["masked"] > result["fid"]["completions"] > 0
    assert result["reference"] == "stored" and "accuracy" not in result


def test_with_minigans_shipped_classifier_and_the_report():
    completed, originals, masks = triple(12, 2)
    labels = np.arange(12) % 10
    result = evaluate_inpainting(completed, originals, masks, labels, classifier=load_classifier("mnist"))
    assert set(result["accuracy"]) == set(result["fid"]) == {"completions", "masked", "originals"}
    text = format_inpainting_report(result)
    assert "hidden-region L1" in text and "PSNR" in text and "masked only" in text
    assert len(text.splitlines()) == 5


def test_grid_rows_are_masked_completion_original():
    completed, originals, masks = triple(4, 3)
    grid = inpainting_grid(originals, masks, completed, per_row=2)
    assert grid.shape == (2 * 30 + 2, 6 * 30 + 2) and grid.dtype == np.uint8
    masked = np.where(masks == 1, np.float32(0), originals)
    expected = make_grid(np.stack([masked, completed, originals], 1).reshape(12, 1, 28, 28), nrow=6)
    np.testing.assert_array_equal(grid, expected)
    tile = grid[2:30, 2:30]  # first example's masked input: the hole is mid-grey
    assert np.all(tile[masks[0, 0] == 1] == 128)
    np.testing.assert_array_equal(grid[2:30, 32:60], make_grid(completed[:1])[2:30, 2:30])


def test_save_grid_writes_a_png(tmp_path):
    completed, originals, masks = triple(3, 4)
    path = save_inpainting_grid(tmp_path / "grid.png", originals, masks, completed)
    np.testing.assert_array_equal(read_png(path), inpainting_grid(originals, masks, completed))
    with pytest.raises(ValueError, match="per_row must be a positive integer"):
        inpainting_grid(originals, masks, completed, per_row=0)
