"""minigan/evaluation/classifier.py and training.py: the digit classifier behind eval, its weights files and the shipped weights."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigan
from minigan.data import load_dataset, write_fake_dataset
from minigan import evaluation as clf
from minigan.evaluation import DigitClassifier, load_classifier, save_classifier, weights_path

REPO = Path(__file__).resolve().parents[2]


def has_real(dataset):
    try:
        load_dataset(dataset, "test", download=False)
        return True
    except Exception:
        return False


@pytest.fixture
def offline_env(monkeypatch, tmp_path):
    """No dataset lookups outside tmp_path (the system fashion-mnist folder aside)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MINIGAN_DATA_DIR", raising=False)
    return tmp_path


def test_shapes_and_post_relu_features():
    minigan.manual_seed(0)
    model = DigitClassifier((4, 8))
    x = minigan.tensor(np.random.default_rng(0).uniform(-1, 1, (3, 1, 28, 28)).astype(np.float32))
    features = model.features(x)
    assert features.shape == (3, 128) and features.numpy().min() >= 0
    logits = model(x)
    assert logits.shape == (3, 10)
    np.testing.assert_allclose(logits.numpy(), model.head(features).numpy(), rtol=1e-6)
    assert model.fc1.weight.shape == (128, 8 * 7 * 7)
    assert model.conv1.weight.shape == (4, 1, 5, 5) and model.conv1.weight.dtype == np.float32


def test_save_and_load_round_trip(tmp_path):
    minigan.manual_seed(1)
    model = DigitClassifier((4, 8))
    reference = {"mu": np.arange(128.0), "sigma": np.eye(128)}
    path = save_classifier(model, tmp_path / "c.npz", {"dataset": "mnist", "test_accuracy": 0.5, "seed": 1},
                           reference)
    with np.load(path) as npz:
        assert npz["conv1.weight"].dtype == np.float32 and npz["ref_sigma"].dtype == np.float64
        meta = json.loads(str(npz["meta"]))
    assert meta["channels"] == [4, 8] and meta["format"] == clf.FORMAT
    loaded = load_classifier(path)
    assert not loaded.training and loaded.metadata["seed"] == 1 and loaded.metadata["path"] == str(path.resolve())
    assert loaded.reference["dataset"] == "mnist"
    np.testing.assert_array_equal(loaded.reference["mu"], reference["mu"])
    x = minigan.tensor(np.zeros((2, 1, 28, 28), np.float32))
    with minigan.no_grad():
        np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-6)
    assert load_classifier(path) is loaded  # cached per file and device


def test_loading_leaves_minigans_random_stream_alone(tmp_path):
    # A trainer evaluating every N steps must draw the same noise as one that does not.
    path = save_classifier(DigitClassifier((2, 4)), tmp_path / "c.npz", {"dataset": "mnist"})
    minigan.manual_seed(0)
    expected = minigan.randn(5).numpy()
    minigan.manual_seed(0)
    load_classifier(path)
    np.testing.assert_array_equal(minigan.randn(5).numpy(), expected)


def test_load_errors_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        load_classifier(tmp_path / "missing.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not a minigan classifier file"):
        load_classifier(tmp_path / "other.npz")
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        weights_path("cifar")


def test_training_is_seeded_and_records_what_eval_needs(offline_env):
    data = offline_env / "data"
    write_fake_dataset(data, train_size=64, test_size=32)
    kwargs = dict(epochs=1, seed=3, batch_size=16, channels=(2, 4), data_dir=data, log=None, baseline_n=16)
    model, meta, reference = clf.train_classifier("mnist", **kwargs)
    again, _, _ = clf.train_classifier("mnist", **kwargs)
    for (name, a), (_, b) in zip(model.state_dict().items(), again.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert 0 <= meta["test_accuracy"] <= 1 and meta["seed"] == 3 and meta["dataset"] == "mnist"
    assert reference["mu"].shape == (128,) and reference["sigma"].shape == (128, 128)
    assert meta["baseline"]["n"] == 16 and meta["baseline"]["fid"] >= 0


def test_train_classifier_command_then_eval_on_fake_data(offline_env):
    data = offline_env / "data"
    write_fake_dataset(data, train_size=64, test_size=32)
    out = offline_env / "weights" / "c.npz"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    train = subprocess.run(
        [sys.executable, "-m", "minigan", "train-classifier", "--data-dir", str(data), "--out", str(out),
         "--epochs", "1", "--batch-size", "16", "--channels", "2,4", "--seed", "5", "--baseline-n", "16"],
        capture_output=True, text=True, env=env, timeout=300)
    assert train.returncode == 0, train.stderr
    assert "test accuracy" in train.stdout and out.is_file()
    meta = load_classifier(out).metadata
    assert meta["command"].startswith("minigan train-classifier --dataset mnist --epochs 1 --seed 5")
    samples = offline_env / "s.npy"
    np.save(samples, load_dataset("mnist", "test", data_dir=data)[0])
    report = subprocess.run(
        [sys.executable, "-m", "minigan", "eval", "--samples", str(samples), "--classifier", str(out),
         "--data-dir", str(data), "--reference", "data", "--json", str(offline_env / "r.json")],
        capture_output=True, text=True, env=env, timeout=300)
    assert report.returncode == 0, report.stderr
    result = json.loads((offline_env / "r.json").read_text())
    assert result["n"] == 32 and result["fid"] < 1e-6 * np.trace(load_classifier(out).reference["sigma"]) + 1e-9
    assert result["baseline"]["n"] == 32


# -- the shipped weights -----------------------------------------------------------------------------

@pytest.mark.parametrize("dataset, floor", [("mnist", 0.99), ("fashion-mnist", 0.90)])
def test_shipped_weights_are_small_and_documented(dataset, floor):
    path = weights_path(dataset)
    assert path.is_file(), f"missing {path}: run `minigan train-classifier --dataset {dataset}`"
    assert path.stat().st_size < 2_000_000
    model = load_classifier(dataset)
    meta = model.metadata
    assert meta["dataset"] == dataset and meta["test_accuracy"] >= floor
    assert meta["command"].startswith(f"minigan train-classifier --dataset {dataset}") and "seed" in meta
    assert model.reference["mu"].shape == (128,) and model.reference["sigma"].shape == (128, 128)
    assert all(p.dtype == np.float32 for p in model.parameters())
    base = meta["baseline"]
    assert base["n"] == 10_000 and base["classes_covered"] == 10


@pytest.mark.integration
@pytest.mark.parametrize("dataset, floor", [("mnist", 0.99), ("fashion-mnist", 0.90)])
def test_shipped_accuracy_measured_on_the_real_test_set(dataset, floor):
    if not has_real(dataset):
        pytest.skip(f"real {dataset} not found (set MINIGAN_DATA_DIR)")
    images, labels = load_dataset(dataset, "test", download=False)
    model = load_classifier(dataset)
    measured = clf.accuracy(model, images, labels)
    assert measured >= floor
    assert measured == pytest.approx(model.metadata["test_accuracy"], abs=2e-4)
