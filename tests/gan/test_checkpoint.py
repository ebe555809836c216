"""Checkpoints: what they hold, the clear errors for missing, corrupt, foreign or mismatched files."""
from __future__ import annotations

import numpy as np
import pytest

from minigan.data import write_fake_dataset
from minigan.gan import (CONFIG_VERSION, CheckpointError, GANTrainer, TrainConfig, load_checkpoint, load_generator,
                         resume)
from minigan.serialization import save as mg_save


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fake-mnist")
    write_fake_dataset(folder, train_size=32, test_size=16, seed=4)
    return folder


def tiny(data_dir, out, **kw):
    base = dict(preset="pytorch-dcgan", model="dcgan", width=4, latent_dim=8, batch_size=16,
                data_dir=str(data_dir), progress="none", n_samples=16, out=str(out))
    base.update(kw)
    return TrainConfig(**base)


def test_checkpoint_is_pickle_free_and_holds_the_whole_state(data_dir, tmp_path):
    GANTrainer(tiny(data_dir, tmp_path / "run", max_steps=1)).train()
    with np.load(tmp_path / "run" / "checkpoint.npz", allow_pickle=False) as archive:
        assert len(archive.files) > 10
    state = load_checkpoint(tmp_path / "run")
    assert state["kind"] == "gan" and state["model"] == "dcgan" and state["step"] == 1
    for key in ("generator", "discriminator", "optimizer_g", "optimizer_d", "rng_state", "loader", "fixed_noise",
                "config", "model_config", "epoch", "batch", "task", "custom_models"):
        assert key in state, key
    assert state["task"] == "gan" and not state["custom_models"] and "model_kind" not in state
    assert state["config"]["version"] == CONFIG_VERSION and state["config"]["options"] == {}
    assert TrainConfig.from_dict(state["config"]).to_dict() == state["config"]
    assert "net.1.running_mean" in state["generator"] and "net.1.num_batches_tracked" in state["generator"]
    assert state["loader"]["seed"] == 0 and state["loader"]["batch"] == 1
    assert state["fixed_noise"].shape == (16, 8)
    G, _ = load_generator(tmp_path / "run")
    assert not G.training


def test_never_saves_non_finite_weights(data_dir, tmp_path, capsys):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", max_steps=1))
    trainer.train()
    before = (tmp_path / "run" / "checkpoint.npz").read_bytes()
    trainer.G.net[0].weight.array[0, 0] = np.nan
    assert trainer.save_checkpoint() is None
    assert "not saving a checkpoint" in capsys.readouterr().err
    assert (tmp_path / "run" / "checkpoint.npz").read_bytes() == before


def test_corrupt_and_foreign_checkpoints_give_clear_errors(data_dir, tmp_path):
    GANTrainer(tiny(data_dir, tmp_path / "run", max_steps=1)).train()
    file = tmp_path / "run" / "checkpoint.npz"
    good = file.read_bytes()
    file.write_bytes(good[: len(good) // 2])  # truncated
    with pytest.raises(CheckpointError, match="truncated, corrupt or not a checkpoint"):
        resume(tmp_path / "run")
    with pytest.raises(CheckpointError, match="does not exist"):
        resume(tmp_path / "nowhere.npz")
    with pytest.raises(CheckpointError, match="without a checkpoint.npz"):
        resume(tmp_path)
    other = tmp_path / "classifier.npz"
    mg_save({"kind": "classifier", "model": "cnn", "generator": {}, "config": {}}, other)
    with pytest.raises(CheckpointError, match="not a GAN training checkpoint"):
        GANTrainer.from_checkpoint(other)
    mg_save({"weights": np.zeros(3)}, other)
    with pytest.raises(CheckpointError, match="not a minigan GAN checkpoint"):
        load_checkpoint(other)


def test_a_checkpoint_of_another_model_gives_a_clear_error(data_dir, tmp_path):
    file = tmp_path / "run" / "checkpoint.npz"
    GANTrainer(tiny(data_dir, tmp_path / "run", max_steps=1)).train()
    state = load_checkpoint(file)
    state["config"]["model"] = state["model"] = "mlp"  # claims to be an MLP, holds DCGAN weights
    mg_save(state, file)
    with pytest.raises(CheckpointError, match="does not match this MLPGenerator"):
        resume(tmp_path / "run")
    state["config"]["model"] = state["model"] = "dcgan"
    state["config"]["width"] = state["model_config"]["width"] = 8  # other sizes
    mg_save(state, file)
    with pytest.raises(CheckpointError, match="has shape .* in the checkpoint but"):
        resume(tmp_path / "run")
