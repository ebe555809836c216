"""minigan/evaluation/ (statistics, images, scoring, report, plots): FID, Inception Score, class coverage, sample
checks, the eval pipeline, and a family's evaluate_generator (what `minigan eval --checkpoint` scores)."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minigan import evaluation as metrics
from minigan.evaluation import scoring
from minigan.gan import get_family
from minigan.evaluation import (class_coverage, feature_statistics, fid_from_features, frechet_distance,
                                 inception_score, prepare_samples, sqrtm_psd, trace_sqrt_product)

REPO = Path(__file__).resolve().parents[2]
evaluate_generator = get_family("dcgan").evaluate_generator   # the unconditional families' scoring


def random_spd(rng, dim, rank=None):
    a = rng.standard_normal((dim, rank or dim))
    return a @ a.T / dim + (0 if rank else 1e-3) * np.eye(dim)


def confident_probs(labels, num_classes=10, confidence=0.999):
    probs = np.full((len(labels), num_classes), (1 - confidence) / (num_classes - 1))
    probs[np.arange(len(labels)), labels] = confidence
    return probs


# -- FID math ------------------------------------------------------------------------------------

def test_fid_of_a_set_with_itself_is_zero():
    rng = np.random.default_rng(0)
    features = rng.standard_normal((2000, 32)) @ rng.standard_normal((32, 32)) + 3.0
    mu, sigma = feature_statistics(features)
    assert fid_from_features(features, features) < 1e-6 * np.trace(sigma)
    assert frechet_distance(mu, sigma, mu, sigma) >= 0.0


def test_fid_grows_monotonically_with_added_noise():
    rng = np.random.default_rng(1)
    real = rng.standard_normal((3000, 16)) @ rng.standard_normal((16, 16))
    fids = [fid_from_features(real, real + scale * rng.standard_normal(real.shape)) for scale in (0.1, 0.5, 1.0, 2.0)]
    assert all(a < b for a, b in zip(fids, fids[1:])), fids
    assert fids[0] > 0


def test_fid_matches_closed_forms():
    # 1-d: (m1 - m2)^2 + (s1 - s2)^2; diagonal: the same per axis.
    assert frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4.0 + 1.0)
    a, b = np.array([1.0, 2.0, 0.5]), np.array([4.0, 0.25, 0.5])
    expected = np.sum((np.sqrt(a) - np.sqrt(b)) ** 2) + 1.0
    assert frechet_distance(np.zeros(3), np.diag(a), np.array([1.0, 0, 0]), np.diag(b)) == pytest.approx(expected)


@pytest.mark.parametrize("dim", [2, 10, 64])
def test_trace_sqrt_product_against_direct_eigenvalues(dim):
    rng = np.random.default_rng(dim)
    for _ in range(3):
        s1, s2 = random_spd(rng, dim), random_spd(rng, dim)
        # S1 S2 is similar to a PSD matrix: its eigenvalues are real and non-negative.
        direct = np.sum(np.sqrt(np.clip(np.linalg.eigvals(s1 @ s2).real, 0, None)))
        assert trace_sqrt_product(s1, s2) == pytest.approx(direct, rel=1e-9)


def test_trace_sqrt_product_against_scipy_sqrtm():
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(7)
    for dim in (3, 20, 64):
        s1, s2 = random_spd(rng, dim), random_spd(rng, dim)
        reference = np.trace(linalg.sqrtm(s1 @ s2)).real
        assert trace_sqrt_product(s1, s2) == pytest.approx(reference, rel=1e-7)


def test_singular_covariances_stay_finite_and_real():
    # Post-ReLU features have dead units: rank-deficient covariances must not give NaN or complex noise.
    rng = np.random.default_rng(3)
    s1, s2 = random_spd(rng, 50, rank=5), random_spd(rng, 50, rank=8)
    value = trace_sqrt_product(s1, s2)
    direct = np.sum(np.sqrt(np.clip(np.linalg.eigvals(s1 @ s2).real, 0, None)))
    assert np.isfinite(value) and value == pytest.approx(direct, rel=1e-6, abs=1e-8)
    assert frechet_distance(np.zeros(50), s1, np.zeros(50), s1) < 1e-9 * np.trace(s1)


def test_sqrtm_psd_squares_back_and_clips_negative_round_off():
    rng = np.random.default_rng(4)
    s = random_spd(rng, 12)
    root = sqrtm_psd(s)
    np.testing.assert_allclose(root @ root, s, atol=1e-10)
    np.testing.assert_allclose(root, root.T)
    nearly_psd = np.diag([1.0, 4.0, -1e-12])
    np.testing.assert_allclose(sqrtm_psd(nearly_psd), np.diag([1.0, 2.0, 0.0]))


def test_fid_input_errors():
    with pytest.raises(ValueError, match="square"):
        trace_sqrt_product(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        trace_sqrt_product(np.full((2, 2), np.nan), np.eye(2))
    with pytest.raises(ValueError, match="one length"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        feature_statistics(np.zeros(5))


# -- Inception Score and coverage ------------------------------------------------------------------

def test_inception_score_of_confident_uniform_classes_is_about_ten():
    labels = np.tile(np.arange(10), 100)
    mean, std = inception_score(confident_probs(labels))
    assert 9.8 < mean <= 10.0 and std < 1e-6
    exact, _ = inception_score(np.eye(10)[labels])
    assert exact == pytest.approx(10.0)


def test_inception_score_of_one_class_is_one():
    mean, std = inception_score(confident_probs(np.full(1000, 3)))
    assert mean == pytest.approx(1.0) and std == pytest.approx(0.0, abs=1e-12)


def test_inception_score_of_unconfident_predictions_is_one():
    assert inception_score(np.full((100, 10), 0.1))[0] == pytest.approx(1.0)


def test_inception_score_split_std_and_errors():
    rng = np.random.default_rng(5)
    probs = rng.dirichlet(np.full(10, 0.3), size=1000)
    mean, std = inception_score(probs, splits=10)
    assert 1.0 < mean < 10.0 and std > 0
    with pytest.raises(ValueError, match="at least 10 samples"):
        inception_score(probs[:5])
    with pytest.raises(ValueError, match="sum to 1"):
        inception_score(np.ones((20, 10)))


def test_coverage_of_one_class_is_one_class_and_ln10():
    coverage = class_coverage(confident_probs(np.full(500, 7)))
    assert coverage["classes_covered"] == 1
    assert coverage["kl_to_uniform"] == pytest.approx(math.log(10))
    assert coverage["histogram"][7] == 1.0 and sum(coverage["histogram"]) == pytest.approx(1.0)


def test_coverage_of_uniform_labels_and_the_two_percent_threshold():
    uniform = class_coverage(np.tile(np.arange(10), 50))
    assert uniform["classes_covered"] == 10 and uniform["kl_to_uniform"] == pytest.approx(0.0, abs=1e-12)
    labels = np.concatenate([np.zeros(970, int), np.ones(20, int), np.full(10, 2)])  # 97%, 2%, 1%
    coverage = class_coverage(labels)
    assert coverage["classes_covered"] == 2
    with pytest.raises(ValueError, match="0..9"):
        class_coverage(np.array([0, 10]))


# -- sample checks --------------------------------------------------------------------------------

def test_prepare_samples_accepts_the_documented_forms():
    rng = np.random.default_rng(6)
    x = rng.uniform(-1, 1, size=(4, 28, 28)).astype(np.float64)
    out = prepare_samples(x)
    assert out.shape == (4, 1, 28, 28) and out.dtype == np.float32
    np.testing.assert_allclose(out[:, 0], x, rtol=1e-6)
    assert prepare_samples(x[:, None].astype(np.float32)).shape == (4, 1, 28, 28)
    u8 = np.array([0, 127, 255], dtype=np.uint8).repeat(28 * 28 // 3 + 1)[: 28 * 28].reshape(1, 28, 28)
    converted = prepare_samples(u8)
    assert converted.min() == -1.0 and converted.max() == 1.0
    np.testing.assert_allclose(converted[0, 0], u8[0] / 127.5 - 1, atol=1e-6)
    slightly_over = np.full((1, 1, 28, 28), 1.0 + 1e-4, dtype=np.float32)
    assert prepare_samples(slightly_over).max() == 1.0


@pytest.mark.parametrize("shape, text", [
    ((5, 3, 28, 28), r"got shape \(5, 3, 28, 28\).*1 channel"),
    ((5, 28, 28, 1), r"got shape \(5, 28, 28, 1\).*channels-last"),
    ((5, 784), r"got shape \(5, 784\).*reshape"),
    ((5, 32, 32), r"must have shape \(N, 1, 28, 28\) or \(N, 28, 28\), got shape \(5, 32, 32\)"),
    ((28, 28), r"got shape \(28, 28\)"),
    ((0, 28, 28), r"empty: shape \(0, 28, 28\)"),
])
def test_prepare_samples_rejects_bad_shapes_naming_them(shape, text):
    with pytest.raises(ValueError, match=text):
        prepare_samples(np.zeros(shape, dtype=np.float32))


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_, np.uint16])
def test_prepare_samples_rejects_other_dtypes_naming_them(dtype):
    with pytest.raises(TypeError, match=f"got dtype {np.dtype(dtype).name} with shape \\(2, 28, 28\\)"):
        prepare_samples(np.zeros((2, 28, 28), dtype=dtype))


def test_prepare_samples_rejects_nan_and_out_of_range_floats():
    x = np.zeros((3, 1, 28, 28), dtype=np.float32)
    x[1, 0, 2, 3] = np.nan
    with pytest.raises(ValueError, match=r"1 NaN or infinite values, first at index \(1, 0, 2, 3\)"):
        prepare_samples(x)
    with pytest.raises(ValueError, match=r"must lie in \[-1, 1\].*got values in \[0, 255\].*should be uint8"):
        prepare_samples(np.linspace(0, 255, 2 * 784, dtype=np.float32).reshape(2, 28, 28))
    with pytest.raises(ValueError, match=r"got values in \[-1.5, 1\]"):
        prepare_samples(np.concatenate([np.full((1, 28, 28), -1.5), np.ones((1, 28, 28))]))


def test_load_samples_reads_npy_and_npz(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    np.save(tmp_path / "s.npy", x)
    np.savez(tmp_path / "s.npz", samples=x, other=np.zeros(2))
    for name in ("s.npy", "s.npz"):
        assert metrics.load_samples(tmp_path / name).shape == (3, 1, 28, 28)
    with pytest.raises(FileNotFoundError, match="samples file not found"):
        metrics.load_samples(tmp_path / "missing.npy")


def test_format_report_and_metrics_curve(tmp_path):
    pytest.importorskip("matplotlib")
    row = {"n": 100, "dataset": "mnist", "fid": 12.5, "inception_score": 8.1, "inception_score_std": 0.2,
           "classes_covered": 10, "class_kl": 0.01, "class_histogram": [0.1] * 10, "reference": "stored",
           "classifier": {"test_accuracy": 0.992},
           "baseline": {"n": 100, "fid": 0.9, "inception_score": 9.7, "inception_score_std": 0.1,
                        "classes_covered": 10, "class_kl": 0.001, "source": "train subset"}}
    text = metrics.format_report(row)
    assert "12.500" in text and "0.900" in text and "99.20%" in text and "train subset" in text
    assert "compare at equal N" not in text
    assert "compare at equal N" in metrics.format_report(dict(row, baseline=dict(row["baseline"], n=10000)))
    log = tmp_path / "log.jsonl"
    with open(log, "w") as handle:
        for step, fid in ((100, 80.0), (200, 40.0), (300, 20.0)):
            handle.write(json.dumps({"step": step, "loss_d": 0.5}) + "\n")
            handle.write(json.dumps({"step": step, **row, "fid": fid}) + "\n")
        handle.write(json.dumps({"step": 200, **row, "fid": 35.0}) + "\n")  # step 200 again, after a resume
        handle.write('{"step": 400, "fid": 1')  # a line cut short by a killed run
    import matplotlib
    backend_before = matplotlib.get_backend()
    matplotlib.use("svg")  # a user's non-Agg backend: plotting inside training must not switch it
    try:
        png = metrics.metrics_curve_png(log, tmp_path / "curves" / "metrics.png")
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(backend_before)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (tmp_path / "empty.jsonl").write_text('{"step": 1}\n')
    with pytest.raises(ValueError, match="no lines with a 'fid'"):
        metrics.metrics_curve_png(tmp_path / "empty.jsonl", tmp_path / "x.png")


# -- the pipeline, with stand-ins for the classifier and the generator ---------------------------------

class ProjectionClassifier:
    """Stand-in with the DigitClassifier interface: features are a fixed ReLU projection of the pixels."""

    def __init__(self, seed=0, metadata=None, reference=None):
        self.weight = np.random.default_rng(seed).standard_normal((784, 16)) / 28
        self.metadata = metadata or {}
        self.reference = reference or {}

    def features(self, x):
        import minigan
        return minigan.tensor(np.maximum(x.numpy().reshape(len(x), -1) @ self.weight, 0).astype(np.float32))

    def head(self, features):
        import minigan
        return minigan.tensor(features.numpy()[:, :10] * 20)


class TinyGenerator:
    """Stand-in generator: z (N, 8) -> tanh of a fixed projection, (N, 1, 28, 28)."""

    latent_dim = 8

    def __init__(self):
        self.weight = np.random.default_rng(1).standard_normal((8, 784)).astype(np.float32)
        self.training = True
        self.modes = []

    def eval(self):
        self.training = False
        self.modes.append("eval")

    def train(self, mode=True):
        self.training = mode
        self.modes.append("train")

    def __call__(self, z):
        import minigan
        assert not minigan.is_grad_enabled()
        return minigan.tensor(np.tanh(z.numpy() @ self.weight).reshape(-1, 1, 28, 28))


@pytest.fixture
def fake_data(tmp_path, monkeypatch):
    from minigan.data import datasets, write_fake_dataset

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MINIGAN_DATA_DIR", raising=False)
    datasets.clear_cache()
    written = write_fake_dataset(tmp_path / "data", train_size=200, test_size=100)
    yield tmp_path / "data", written
    datasets.clear_cache()


def test_evaluate_samples_of_the_test_set_itself(fake_data):
    data_dir, written = fake_data
    model = ProjectionClassifier()
    result = metrics.evaluate_samples(written["test"][0], "mnist", classifier=model, reference="data",
                                      data_dir=data_dir)
    assert result["n"] == 100 and result["reference"] == "data"
    assert result["fid"] < 1e-6 * (1 + result["baseline"]["fid"])
    base = result["baseline"]
    assert base["n"] == 100 and base["fid"] > 0 and "train subset" in base["source"]
    assert 1 <= result["inception_score"] <= 10 and sum(result["class_histogram"]) == pytest.approx(1)
    json.dumps(result)  # JSON-friendly throughout


def test_reference_and_baseline_are_computed_once_per_classifier(fake_data, monkeypatch):
    data_dir, written = fake_data
    calls = []
    real_load = scoring._load_split
    monkeypatch.setattr(scoring, "_load_split", lambda *a: calls.append(a[1]) or real_load(*a))
    model = ProjectionClassifier()
    for _ in range(3):
        metrics.evaluate_samples(written["train"][0][:50], "mnist", classifier=model, reference="data",
                                 data_dir=data_dir)
    assert calls == ["test", "train"]
    metrics.evaluate_samples(written["train"][0][:50], "mnist", classifier=ProjectionClassifier(), reference="data",
                             data_dir=data_dir)
    assert calls == ["test", "train", "test", "train"]  # a new classifier never inherits another's statistics


def test_stored_reference_and_baseline_work_without_the_dataset(fake_data):
    _, written = fake_data
    test_features, _ = metrics.classifier_outputs(ProjectionClassifier(), written["test"][0])
    mu, sigma = feature_statistics(test_features)
    stored_baseline = {"n": 10000, "fid": 1.25, "inception_score": 9.5, "inception_score_std": 0.1,
                       "classes_covered": 10, "class_kl": 0.001}
    model = ProjectionClassifier(metadata={"dataset": "mnist", "baseline": stored_baseline},
                                 reference={"dataset": "mnist", "mu": mu, "sigma": sigma})
    result = metrics.evaluate_samples(written["test"][0], "mnist", classifier=model)  # no data_dir: not found
    assert result["reference"] == "stored" and result["fid"] < 1e-9 * np.trace(sigma) + 1e-12
    assert result["baseline"]["fid"] == 1.25 and "stored" in result["baseline"]["source"]
    with pytest.raises(ValueError, match="stored statistics are for mnist, not fashion-mnist"):
        metrics.evaluate_samples(written["test"][0], "fashion-mnist", classifier=model, reference="stored")
    without = ProjectionClassifier()
    result = metrics.evaluate_samples(written["test"][0], "mnist", classifier=without, reference=str(
        _save_stats(fake_data[0].parent / "ref.npz", mu, sigma)))
    assert result["fid"] < 1e-6 and result["reference"].endswith("ref.npz")
    assert "mnist (train split) was not found" in result["baseline"]["error"]


def _save_stats(path, mu, sigma):
    np.savez(path, mu=mu, sigma=sigma)
    return path


def test_evaluate_generator_is_seeded_and_restores_the_mode(fake_data):
    data_dir, _ = fake_data
    generator = TinyGenerator()
    kwargs = dict(n=120, dataset="mnist", device="cpu", batch_size=50, classifier=ProjectionClassifier(),
                  reference="data", data_dir=data_dir)
    first = evaluate_generator(generator, seed=4, **kwargs)
    again = evaluate_generator(generator, seed=4, **kwargs)
    other = evaluate_generator(generator, seed=5, **kwargs)
    assert first["fid"] == again["fid"] and first["fid"] != other["fid"] and first["n"] == 120
    assert generator.training and generator.modes[:2] == ["eval", "train"]
    with pytest.raises(ValueError, match="latent_dim"):
        evaluate_generator(object(), n=2, dataset="mnist", device="cpu")


# -- with the shipped classifier -------------------------------------------------------------------

def _shipped(dataset="mnist"):
    from minigan.evaluation import weights_path

    if not weights_path(dataset).is_file():
        pytest.fail(f"{weights_path(dataset)} is missing: the package ships it")
    return weights_path(dataset)


def _real_mnist_test():
    from minigan.data import load_dataset

    try:
        return load_dataset("mnist", "test", download=False)
    except Exception:
        pytest.skip("real MNIST not found (set MINIGAN_DATA_DIR)")


@pytest.mark.integration
def test_real_test_images_score_like_real_data():
    from minigan.evaluation import load_classifier

    images, _ = _real_mnist_test()
    _shipped()
    result = metrics.evaluate_samples(images, "mnist", reference="stored")
    assert result["inception_score"] > 9.0
    assert result["classes_covered"] == 10 and result["class_kl"] < 0.01
    # The stored statistics are the test set's own: FID of the test set is zero up to float32 round-off.
    assert result["fid"] < 1e-4 * np.trace(load_classifier("mnist").reference["sigma"])
    base = result["baseline"]
    assert base["n"] == 10_000 and 0 < base["fid"] < 5 and base["inception_score"] > 9.0


def _run_eval(*args, env_home):
    env = {k: v for k, v in os.environ.items() if k != "MINIGAN_DATA_DIR"}
    env.update(HOME=str(env_home / "home"), XDG_CACHE_HOME=str(env_home / "xdg"), PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "minigan", "eval", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300)


def test_eval_command_offline_with_the_shipped_weights(tmp_path):
    _shipped()
    rng = np.random.default_rng(0)
    blobs = np.zeros((200, 28, 28), np.uint8)  # bright squares at random places: digit-ish enough to score
    for image, (r, c) in zip(blobs, rng.integers(4, 18, size=(200, 2))):
        image[r : r + 8, c : c + 4] = 255
    np.save(tmp_path / "samples.npy", blobs)
    done = _run_eval("--samples", tmp_path / "samples.npy", "--n", 150, "--json", tmp_path / "out.json",
                     env_home=tmp_path)
    assert done.returncode == 0, done.stderr
    for text in ("FID", "Inception Score", "classes covered", "real baseline", "reference statistics: stored"):
        assert text in done.stdout
    result = json.loads((tmp_path / "out.json").read_text())
    assert result["n"] == 150 and result["fid"] > 0 and 1 <= result["inception_score"] <= 10
    assert result["baseline"]["n"] == 10_000 and "stored" in result["baseline"]["source"]
    assert result["samples"].endswith("samples.npy") and result["classifier"]["test_accuracy"] >= 0.99


def test_eval_command_names_bad_samples(tmp_path):
    np.save(tmp_path / "rgb.npy", np.zeros((4, 3, 28, 28), np.float32))
    done = _run_eval("--samples", tmp_path / "rgb.npy", env_home=tmp_path)
    assert done.returncode == 1 and "got shape (4, 3, 28, 28)" in done.stderr and "Traceback" not in done.stderr
    np.save(tmp_path / "ints.npy", np.zeros((4, 28, 28), np.int32))
    done = _run_eval("--samples", tmp_path / "ints.npy", env_home=tmp_path)
    assert done.returncode == 1 and "got dtype int32" in done.stderr
    done = _run_eval("--checkpoint", tmp_path / "nothing.npz", env_home=tmp_path)
    assert done.returncode == 1 and "does not exist" in done.stderr


def test_eval_command_on_a_training_checkpoint(tmp_path):
    from minigan.data import write_fake_dataset
    from minigan.gan import GANTrainer, TrainConfig, load_generator

    write_fake_dataset(tmp_path / "data", train_size=32, test_size=40)
    cfg = TrainConfig(model="mlp", width=8, latent_dim=6, batch_size=16, data_dir=str(tmp_path / "data"),
                      max_steps=1, progress="none", out=str(tmp_path / "run"))
    GANTrainer(cfg).train()
    done = _run_eval("--checkpoint", tmp_path / "run", "--n", 30, "--seed", 2, "--reference", "data",
                     "--data-dir", tmp_path / "data", "--json", tmp_path / "out.json", env_home=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "out.json").read_text())
    assert result["n"] == 30 and result["dataset"] == "mnist" and result["seed"] == 2
    assert result["baseline"]["n"] == 30 and result["reference"] == "data"
    G, _ = load_generator(tmp_path / "run")
    direct = get_family("mlp").evaluate_generator(G, n=30, dataset="mnist", seed=2, reference="data",
                                                  data_dir=tmp_path / "data")
    assert direct["fid"] == pytest.approx(result["fid"], rel=1e-9)
