"""Sampling: generate() from a generator and sample_checkpoint() from a training checkpoint."""
from __future__ import annotations

import numpy as np
import pytest

import minigan
from minigan.data import write_fake_dataset
from minigan.gan import GANTrainer, TrainConfig, build_models, generate, load_generator, read_png, sample_checkpoint


def test_generate_shape_dtype_range_and_mode():
    minigan.manual_seed(0)
    G, _ = build_models("dcgan", latent_dim=8, width=4)
    G.train()
    images = generate(G, 25, batch_size=10, seed=3)
    assert images.shape == (25, 1, 28, 28) and images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert G.training  # the mode is restored
    np.testing.assert_array_equal(generate(G, 25, batch_size=10, seed=3), images)  # same seed and batch size
    # Another batch size may let BLAS pick other kernels (the last bit differs on some CPUs): float32 rounding only.
    np.testing.assert_allclose(generate(G, 25, batch_size=7, seed=3), images, rtol=1e-5, atol=1e-6)
    assert not np.array_equal(generate(G, 25, seed=4), images)


def test_generate_uses_eval_mode_batchnorm():
    minigan.manual_seed(0)
    G, _ = build_models("mlp", latent_dim=8, width=8)
    one_at_a_time = generate(G, 6, batch_size=1, seed=0)   # eval mode: no batch statistics, so this works
    together = generate(G, 6, batch_size=6, seed=0)
    np.testing.assert_allclose(one_at_a_time, together, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        generate(G, 0)


def test_sample_checkpoint_and_load_generator(tmp_path):
    write_fake_dataset(tmp_path / "data", train_size=32, test_size=16)
    cfg = TrainConfig(model="mlp", width=8, latent_dim=6, batch_size=16, data_dir=str(tmp_path / "data"),
                      max_steps=1, progress="none", out=str(tmp_path / "run"))
    GANTrainer(cfg).train()
    G, state = load_generator(tmp_path / "run", device="cpu")
    assert not G.training and G.latent_dim == 6 and state["config"]["dataset"] == "mnist"
    state_before = minigan.backend.get_rng_state()
    images = sample_checkpoint(tmp_path / "run" / "checkpoint.npz", 12, out=tmp_path / "s.npy",
                               grid=tmp_path / "g.png", seed=1)
    assert minigan.backend.get_rng_state() == state_before  # sampling with a seed leaves the global stream alone
    assert images.shape == (12, 1, 28, 28) and images.dtype == np.float32
    np.testing.assert_array_equal(np.load(tmp_path / "s.npy"), images)
    assert read_png(tmp_path / "g.png").shape == (3 * 30 + 2, 4 * 30 + 2)  # 3 rows of 4
