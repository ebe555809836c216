"""The inpainting family in GANTrainer (``task="inpaint"``) and InpaintUpdater: logs, grids, checkpoints, exact
resume, stops, NaN, evaluation."""
from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest

import minigan
from minigan.data import write_fake_dataset
from minigan.gan import GANTrainer, NonFiniteLossError, TrainConfig, load_checkpoint, read_png, sample_checkpoint
from minigan.gan.families.inpainting import MaskSampler, inpaint, load_inpainting_generator
from minigan.gan.families.inpainting.step import MASK_STATE, InpaintUpdater, mask_seed
from minigan.serialization import CheckpointError
from tests.gan.test_trainer import assert_same_tree


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fake-mnist")
    write_fake_dataset(folder, train_size=64, test_size=16, seed=5)
    return folder


def tiny(data_dir, out, **kw):
    """64 images, batch 16 -> 4 steps per epoch; G width 4, D width 8."""
    base = dict(task="inpaint", width=4, batch_size=16, data_dir=str(data_dir), epochs=2,
                progress="none", checkpoint_every=0, n_samples=8, out=str(out))
    base.update(kw)
    return TrainConfig(**base)


def strip(run):
    return [{k: v for k, v in json.loads(line).items() if k not in ("time", "images_per_s")}
            for line in (run / "log.jsonl").read_text().splitlines()]


def test_train_writes_log_grids_and_an_inpainting_checkpoint(data_dir, tmp_path):
    run = tmp_path / "run"
    result = GANTrainer(tiny(data_dir, run, max_steps=6, aux_classes=True)).train()
    assert result.step == 6 and not result.interrupted
    records = strip(run)
    assert [r["step"] for r in records] == [1, 2, 3, 4, 5, 6]
    for r in records:
        for key in ("loss_D", "loss_G", "rec", "adv", "class_D", "class_G", "D_x", "D_G_z", "grad_norm_G"):
            assert np.isfinite(r[key]), key
    # 8 fixed examples, 4 a row, each masked | completion | original: 2 rows of 12 tiles of 28 + 2 padding.
    grid = read_png(run / "samples_epoch_001.png")
    assert grid.shape == (2 * 30 + 2, 12 * 30 + 2)
    assert (run / "samples_epoch_002.png").exists()  # where the stopped epoch got to
    state = load_checkpoint(run)
    assert state["task"] == "inpaint" and state["model"] == "inpaint" and state["config"]["options"]["mask"] == "random"
    assert state["model_config"] == {"width": 4, "d_width": 8, "unet": True, "noise": "dropout", "num_classes": 10}
    assert state[MASK_STATE]["kind"] == "random" and state["fixed_noise"].shape == (8, 1, 28, 28)
    G, _ = load_inpainting_generator(run)
    assert G.width == 4 and G.unet and not G.training


def test_grid_masks_and_training_masks_are_separate_streams(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", mask="random-box"))
    assert isinstance(trainer.updater, InpaintUpdater)
    trained = MaskSampler("random-box", seed=mask_seed(0)).sample(8)
    assert np.array_equal(trainer.updater.sampler.sample(8), trained)
    assert not np.array_equal(trainer.fixed_noise, trained)
    # The grid's examples are the first training images in dataset order, the same on every build.
    again = GANTrainer(tiny(data_dir, tmp_path / "other", mask="random-box"))
    assert np.array_equal(again.updater.fixed_images, trainer.updater.fixed_images)
    assert np.array_equal(again.fixed_noise, trainer.fixed_noise)


@pytest.mark.parametrize("kw", [{}, {"aux_classes": True, "unet": False, "loss": "hinge", "rec_loss": "l2"}])
def test_resume_is_bit_identical(data_dir, tmp_path, kw):
    GANTrainer(tiny(data_dir, tmp_path / "straight", max_steps=6, **kw)).train()
    GANTrainer(tiny(data_dir, tmp_path / "split", max_steps=3, **kw)).train()
    resumed = GANTrainer.from_checkpoint(tmp_path / "split", max_steps=6).train()
    assert resumed.step == 6
    a, b = load_checkpoint(tmp_path / "straight"), load_checkpoint(tmp_path / "split")
    a["config"].pop("out"), b["config"].pop("out")
    # Weights, BatchNorm statistics, Adam states, dropout RNG, data position and the mask stream.
    assert_same_tree(a, b)
    assert strip(tmp_path / "straight") == strip(tmp_path / "split")


def test_resume_refuses_changed_inpainting_settings_and_a_gan_run_is_not_an_inpainting_one(data_dir, tmp_path):
    GANTrainer(tiny(data_dir, tmp_path / "run", max_steps=1)).train()
    with pytest.raises(ValueError, match="cannot change --mask when resuming"):
        GANTrainer.from_checkpoint(tmp_path / "run", mask="center")
    with pytest.raises(ValueError, match="cannot change --rec-weight"):
        GANTrainer.from_checkpoint(tmp_path / "run", rec_weight=1.0)
    assert GANTrainer.from_checkpoint(tmp_path / "run", mask="random").config.model == "inpaint"  # unchanged: fine
    with pytest.raises(ValueError, match="which does not draw images from noise: use `minigan inpaint`"):
        sample_checkpoint(tmp_path / "run", n=4)
    GANTrainer(TrainConfig(model="dcgan", width=4, latent_dim=8, batch_size=16, data_dir=str(data_dir),
                           max_steps=1, progress="none", n_samples=4, out=str(tmp_path / "gan"))).train()
    with pytest.raises(ValueError, match="cannot change --model when resuming"):
        GANTrainer.from_checkpoint(tmp_path / "gan", model="inpaint")
    with pytest.raises(CheckpointError, match="not an inpainting"):
        load_inpainting_generator(tmp_path / "gan")


def test_ctrl_c_finishes_the_step_saves_and_resumes(data_dir, tmp_path):
    run = tmp_path / "run"
    trainer = GANTrainer(tiny(data_dir, run))
    original = trainer.train_step

    def interrupt_in_step_two(batches):
        if trainer.step == 1:
            os.kill(os.getpid(), signal.SIGINT)  # the StopOnSignal handler: finish this step, then save
        return original(batches)

    trainer.train_step = interrupt_in_step_two
    result = trainer.train()
    assert result.interrupted and result.signal == signal.SIGINT and result.step == 2
    assert load_checkpoint(run)["step"] == 2
    done = GANTrainer.from_checkpoint(run).train()
    assert done.step == 8 and [r["step"] for r in strip(run)] == list(range(1, 9))


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(data_dir, tmp_path):
    run = tmp_path / "run"
    trainer = GANTrainer(tiny(data_dir, run, checkpoint_every=2))
    original = trainer.train_step

    def poison_after_three(batches):
        if trainer.step == 3:
            trainer.updater.inpainting_loss.rec_weight = float("nan")
        return original(batches)

    trainer.train_step = poison_after_three
    with pytest.raises(NonFiniteLossError, match="loss_G is nan at step 4") as caught:
        trainer.train()
    assert caught.value.checkpoint == run / "checkpoint.npz" and load_checkpoint(run)["step"] == 2


def test_eval_every_scores_the_completions(data_dir, tmp_path):
    run = tmp_path / "run"
    result = GANTrainer(tiny(data_dir, run, epochs=1, eval_every=1, eval_n=16, mask="center")).train()
    assert len(result.evaluations) == 1 and np.isfinite(result.evaluations[0]["fid"])
    line = json.loads((run / "metrics.jsonl").read_text().splitlines()[0])
    scores = line["inpainting"]
    assert scores["n"] == 16 and scores["mask"] == "center" and scores["hidden_fraction"] == 0.25
    assert set(scores["accuracy"]) == {"completions", "masked", "originals"}
    assert np.isfinite(scores["l1_hidden"]) and np.isfinite(scores["psnr_hidden"])


def test_config_checks_the_inpainting_fields(data_dir, tmp_path):
    with pytest.raises(ValueError, match="unknown --mask 'middle'"):
        GANTrainer(tiny(data_dir, tmp_path / "a", mask="middle"))
    with pytest.raises(ValueError, match="--rec-weight must be a finite number >= 0"):
        GANTrainer(tiny(data_dir, tmp_path / "b", rec_weight=-1.0))
    with pytest.raises(ValueError, match="--model inpaint needs --n-critic 1, got 2"):
        GANTrainer(tiny(data_dir, tmp_path / "c", n_critic=2))
    with pytest.raises(ValueError, match="--model dcgan does not serve --task inpaint"):
        TrainConfig(model="dcgan", task="inpaint")
    with pytest.raises(ValueError, match="--mask does not apply to --model dcgan"):
        TrainConfig(model="dcgan", mask="center").resolved()
    # the task picks the family, and the family is the task: either name gives the same run
    assert TrainConfig(task="inpaint").model == "inpaint"
    assert TrainConfig(model="inpaint").resolved().to_dict() == TrainConfig(task="inpaint").resolved().to_dict()


def test_the_family_recipe_is_the_reference_optimiser_with_one_d_step(data_dir, tmp_path):
    config = tiny(data_dir, tmp_path / "run").resolved()
    assert (config.loss, config.lr_g, config.lr_d, config.beta1, config.beta2, config.critic_norm,
            config.spectral_norm, config.ema, config.n_critic) == ("bce", 2e-4, 2e-4, 0.5, 0.999, "batch", False,
                                                                    0.0, 1)
    assert config.options == {"mask": "random", "rec_weight": 100.0, "adv_weight": 1.0, "rec_loss": "l1",
                              "unet": True, "aux_classes": False, "class_weight": 1.0}


@pytest.mark.skipif(not minigan.cuda.is_available(), reason="CuPy/GPU not available")
def test_train_resume_and_inpaint_on_cuda(data_dir, tmp_path):
    run = tmp_path / "gpu"
    GANTrainer(tiny(data_dir, run, max_steps=2, device="cuda", aux_classes=True)).train()
    result = GANTrainer.from_checkpoint(run, max_steps=3).train()
    assert result.step == 3 and all(np.isfinite(r["loss_G"]) for r in strip(run))
    with np.load(run / "checkpoint.npz", allow_pickle=False) as archive:  # host arrays, no pickle
        assert len(archive.files) > 0
    G, _ = load_inpainting_generator(run, device="cuda")
    images = np.random.default_rng(1).uniform(-1, 1, (5, 1, 28, 28)).astype(np.float32)
    masks = MaskSampler("random", seed=2).sample(5)
    completed = inpaint(G, images, masks)
    assert isinstance(completed, np.ndarray) and np.array_equal(completed[masks == 0], images[masks == 0])
