"""Training the class-conditional families (cgan, cgan-concat, acgan): their step (ConditionalUpdater), grids,
resume, options, checkpoints of another family, and the sampling API with labels."""
from __future__ import annotations

import json

import numpy as np
import pytest

from minigan.gan import (BCELoss, CheckpointError, GANTrainer, NonFiniteLossError, build_models, generate,
                         get_family, load_checkpoint, read_png, resume, sample_checkpoint)
from minigan.gan.core.sampling import labels_path, sample_generator
from minigan.gan.families.conditional import step as conditional_step
from minigan.gan.families.conditional.labels import class_order_labels, single_class_labels
from minigan.gan.families.conditional.losses import ACGANLoss
from minigan.gan.families.conditional.step import ConditionalUpdater

from tests.gan.test_trainer import assert_same_tree, data_dir  # noqa: F401  (data_dir: the fixture)
from tests.gan.test_trainer import tiny as trainer_tiny


def tiny(data_dir, out, **kw):
    """test_gan_trainer's tiny run (64 images, batch 16 -> 4 steps per epoch) as a cgan, grids of 2 per class."""
    return trainer_tiny(data_dir, out, **{"model": "cgan", "n_samples": 20, **kw})


@pytest.mark.parametrize("model, loss", [("cgan", "bce"), ("cgan", "hinge"), ("cgan-concat", "lsgan"),
                                         ("acgan", "bce"), ("acgan", "hinge")])
def test_conditional_models_train_with_any_loss(data_dir, tmp_path, model, loss):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", model=model, loss=loss, max_steps=5))
    assert isinstance(trainer.updater, ConditionalUpdater)
    assert isinstance(trainer.loss, ACGANLoss) == (model == "acgan")
    result = trainer.train()
    assert result.step == 5
    records = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    for r in records:
        for key in ("loss_D", "loss_G", "D_x", "D_G_z", "D_G_z_after", "grad_norm_D", "grad_norm_G"):
            assert np.isfinite(r[key]), key
    state = load_checkpoint(tmp_path / "run")
    assert state["model"] == model and state["task"] == "gan" and not state["custom_models"]
    assert state["config"]["options"] == ({"class_weight": 1.0, "fake_class_weight": 0.0} if model == "acgan" else {})
    # One row per class, 2 images per row: 10 x 2 tiles of 28 + 2 padding.
    assert read_png(tmp_path / "run" / "samples_epoch_002.png").shape == (10 * 30 + 2, 2 * 30 + 2)


def test_class_weight_goes_into_the_acgan_loss_and_is_checked(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", model="acgan", class_weight=0.25))
    assert (trainer.loss.class_weight, trainer.loss.fake_class_weight) == (0.25, 0.0)
    paper = GANTrainer(tiny(data_dir, tmp_path / "paper", model="acgan", fake_class_weight=0.75))
    assert paper.loss.fake_class_weight == 0.75
    assert paper.config.options == {"class_weight": 1.0, "fake_class_weight": 0.75}
    with pytest.raises(ValueError, match="--fake-class-weight does not apply to --model cgan"):
        GANTrainer(tiny(data_dir, tmp_path / "x", model="cgan", fake_class_weight=1.0))
    for model in ("cgan", "cgan-concat", "dcgan", "infogan"):
        with pytest.raises(ValueError, match=f"--class-weight does not apply to --model {model}"):
            tiny(data_dir, tmp_path / "x", model=model, class_weight=0.5).resolved()
    for option in ("class_weight", "fake_class_weight"):
        flag = "--" + option.replace("_", "-")
        with pytest.raises(ValueError, match=f"--model acgan: {flag} must be a finite number >= 0, got -1.0"):
            tiny(data_dir, tmp_path / "x", model="acgan", **{option: -1.0}).resolved().validate()


def test_grid_rows_share_noise_and_show_the_classes_in_order(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", n_samples=30))
    z = trainer.fixed_noise.reshape(10, 3, -1)
    assert (z == z[:1]).all() and not np.array_equal(z[0, 0], z[0, 1])   # same 3 noises in every row
    seen = []
    trainer.G.register_forward_hook(lambda module, args, out: seen.append(args[1].numpy().copy()))
    images = trainer.generate()
    assert images.shape == (30, 1, 28, 28)
    np.testing.assert_array_equal(seen[-1], np.repeat(np.arange(10), 3))
    # The rows differ (the label changes the image), a column is one noise.
    assert not np.array_equal(images[0], images[3])


def test_step_uses_loader_labels_for_reals_and_seeded_uniform_labels_for_fakes(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run"))
    d_labels, g_labels = [], []
    trainer.D.register_forward_hook(lambda module, args, out: d_labels.append(args[1].numpy().copy()))
    trainer.G.register_forward_hook(lambda module, args, out: g_labels.append(args[1].numpy().copy()))
    x, y = next(trainer.loader.iter_epoch(0))
    trainer.train_step([(x, y)])
    real, fake, fake_again = d_labels
    np.testing.assert_array_equal(real, y)                  # D sees the data's own labels with the reals
    np.testing.assert_array_equal(fake, g_labels[0])        # ... and the fakes' sampled labels with the fakes
    np.testing.assert_array_equal(fake_again, g_labels[0])  # the G step scores the same (fake, label) pairs
    assert fake.dtype == np.int64 and fake.min() >= 0 and fake.max() <= 9 and len(np.unique(fake)) > 1


@pytest.mark.parametrize("model, kw", [("cgan", {}), ("acgan", {"loss": "hinge", "class_weight": 0.5}),
                                       ("cgan-concat", {"n_critic": 2, "epochs": 4})])
def test_resume_is_bit_identical(data_dir, tmp_path, model, kw):
    straight = GANTrainer(tiny(data_dir, tmp_path / "straight", model=model, max_steps=6, **kw)).train()
    GANTrainer(tiny(data_dir, tmp_path / "split", model=model, max_steps=3, **kw)).train()
    resumed = resume(tmp_path / "split", max_steps=6)
    assert straight.step == resumed.step == 6
    a, b = load_checkpoint(tmp_path / "straight"), load_checkpoint(tmp_path / "split")
    a["config"].pop("out"), b["config"].pop("out")
    assert_same_tree(a, b)   # weights, BatchNorm statistics, Adam states, RNG (noise and labels), data position
    strip = lambda run: [{k: v for k, v in json.loads(line).items() if k not in ("time", "images_per_s")}
                         for line in (run / "log.jsonl").read_text().splitlines()]
    assert strip(tmp_path / "straight") == strip(tmp_path / "split")


def test_ctrl_c_saves_and_resumes_to_the_same_weights(data_dir, tmp_path):
    straight = GANTrainer(tiny(data_dir, tmp_path / "straight", model="acgan", max_steps=4)).train()
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", model="acgan", max_steps=4))
    original = trainer.train_step

    def stop_in_step_two(batches):
        record = original(batches)
        if trainer.step == 1:
            trainer.request_stop()   # what the Ctrl-C handler does
        return record

    trainer.train_step = stop_in_step_two
    result = trainer.train()
    assert result.interrupted and load_checkpoint(tmp_path / "run")["step"] == 2
    resume(tmp_path / "run")
    a, b = load_checkpoint(tmp_path / "straight"), load_checkpoint(tmp_path / "run")
    assert straight.step == b["step"] == 4
    for part in ("generator", "discriminator"):
        assert_same_tree(a[part], b[part], part)


class NaNAt(BCELoss):
    def __init__(self, bad_call):
        super().__init__()
        self.calls, self.bad_call = 0, bad_call

    def d_real(self, scores):
        self.calls += 1
        out = super().d_real(scores)
        return out * float("nan") if self.calls == self.bad_call else out


@pytest.mark.parametrize("model", ["cgan", "acgan"])
def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(data_dir, tmp_path, model):
    run = tmp_path / "run"
    trainer = GANTrainer(tiny(data_dir, run, model=model, checkpoint_every=2), loss=NaNAt(bad_call=3))
    with pytest.raises(NonFiniteLossError, match="loss_D is nan at step 3"):
        trainer.train()
    assert load_checkpoint(run)["step"] == 2


def test_a_checkpoint_of_another_family_is_one_clear_line(data_dir, tmp_path):
    GANTrainer(tiny(data_dir, tmp_path / "dcgan", model="dcgan", max_steps=1)).train()
    G, D = build_models("cgan", latent_dim=8, width=4)
    with pytest.raises(CheckpointError, match=r"the generator in .* does not match this ConditionalGenerator "
                                              r"\(missing embed.weight, .*\): it was saved from a different model"):
        GANTrainer.from_checkpoint(tmp_path / "dcgan", generator=G, discriminator=D)
    GANTrainer(tiny(data_dir, tmp_path / "cgan", max_steps=1)).train()
    with pytest.raises(ValueError, match="cannot change --model when resuming: the checkpoint has 'cgan', got "
                                         "'dcgan'"):
        GANTrainer.from_checkpoint(tmp_path / "cgan", model="dcgan")


def test_unconditional_modules_for_a_conditional_family_are_one_clear_line(data_dir, tmp_path):
    G, D = build_models("dcgan", latent_dim=8, width=4)
    with pytest.raises((ValueError, TypeError), match="cgan") as caught:
        GANTrainer(tiny(data_dir, tmp_path / "run"), generator=G, discriminator=D)
    assert "\n" not in str(caught.value)


def test_evaluation_during_training_draws_every_class(data_dir, tmp_path, monkeypatch):
    scored = []
    monkeypatch.setattr(conditional_step, "evaluate_samples",
                        lambda samples, *a, **k: scored.append(samples) or {"n": len(samples), "fid": 1.0,
                                                                               "inception_score": 1.0,
                                                                               "classes_covered": 10})
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", eval_every=1, eval_n=20, epochs=1))
    seen = []
    trainer.G.register_forward_hook(lambda module, args, out: seen.append(args[1].numpy().copy()))
    trainer.evaluate()
    assert scored[0].shape == (20, 1, 28, 28)
    np.testing.assert_array_equal(np.concatenate(seen), class_order_labels(20))
    with pytest.raises(ValueError, match="--eval-n must be a multiple of 10 for --model cgan"):
        GANTrainer(tiny(data_dir, tmp_path / "bad", eval_every=1, eval_n=25))


def test_a_loader_without_labels_is_a_clear_error(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run"))
    x, _ = next(trainer.loader.iter_epoch(0))
    with pytest.raises(TypeError, match="needs \\(images, labels\\) batches"):
        trainer.train_step([x])


# ---- the Python sampling API -------------------------------------------------------------------


@pytest.fixture(scope="module")
def cgan():
    G, _ = build_models("cgan", latent_dim=8, width=4)
    return G


def test_generate_draws_the_labels_asked_for_and_the_family_asks_for_class_order(cgan):
    default = generate(cgan, 20, seed=1, labels=get_family("cgan").sampling_labels(cgan, 20))
    np.testing.assert_array_equal(default, generate(cgan, 20, seed=1, labels=class_order_labels(20)))
    sevens = generate(cgan, 20, seed=1, labels=single_class_labels(20, 7))
    assert not np.array_equal(sevens, default)
    # Batching does not change which label an image gets.
    np.testing.assert_array_equal(generate(cgan, 20, seed=1, batch_size=3, labels=single_class_labels(20, 7)),
                                  sevens)


def test_generate_refuses_missing_and_bad_labels(cgan):
    with pytest.raises(TypeError, match=r"ConditionalGenerator: labels are required .* shape \(15,\)"):
        generate(cgan, 15, seed=0)
    with pytest.raises(ValueError, match=r"generate: labels must be integer class indices of shape \(10,\), got "
                                         r"float64 \(10,\)"):
        generate(cgan, 10, seed=0, labels=np.zeros(10))
    with pytest.raises(ValueError, match="ConditionalGenerator: label 10 is out of range for 10 classes"):
        generate(cgan, 10, seed=0, labels=np.full(10, 10))
    with pytest.raises(ValueError, match=r"generate: labels must be integer class indices of shape \(10,\), got "
                                         r"int64 \(10, 1\)"):
        generate(cgan, 10, seed=0, labels=np.zeros((10, 1), dtype=np.int64))


def test_generate_refuses_labels_for_an_unconditional_generator():
    G, _ = build_models("dcgan", latent_dim=8, width=4)
    with pytest.raises(ValueError, match="DCGANGenerator is an unconditional generator: it takes no labels"):
        generate(G, 10, seed=0, labels=np.zeros(10, dtype=np.int64))


def test_sample_checkpoint_writes_labels_beside_the_images(data_dir, tmp_path):
    GANTrainer(tiny(data_dir, tmp_path / "run", max_steps=1)).train()
    images = sample_checkpoint(tmp_path / "run", 30, out=tmp_path / "s.npy", grid=tmp_path / "s.png")
    labels = np.load(tmp_path / "s.labels.npy")
    assert labels.dtype == np.int64 and labels.shape == (30,)
    np.testing.assert_array_equal(labels, np.repeat(np.arange(10), 3))
    assert images.shape == (30, 1, 28, 28) and read_png(tmp_path / "s.png").shape == (3 * 30 + 2, 10 * 30 + 2)
    threes = sample_checkpoint(tmp_path / "run", 10, out=tmp_path / "t.npy", class_index=3)
    np.testing.assert_array_equal(np.load(tmp_path / "t.labels.npy"), np.full(10, 3))
    G, _ = build_models("cgan", latent_dim=8, width=4)
    G.load_state_dict(load_checkpoint(tmp_path / "run")["generator"])
    np.testing.assert_array_equal(threes, generate(G, 10, seed=0, labels=single_class_labels(10, 3)))
    with pytest.raises(ValueError, match="class must be an integer in 0..9, got 10"):
        sample_checkpoint(tmp_path / "run", 10, class_index=10)


def test_unconditional_samples_remove_a_stale_labels_file(tmp_path):
    G, _ = build_models("dcgan", latent_dim=8, width=4)
    labels_path(tmp_path / "s.npy").write_bytes(b"old")
    _, labels = sample_generator(G, 4, out=tmp_path / "s.npy")
    assert labels is None and not (tmp_path / "s.labels.npy").exists()
    assert labels_path("a/b.npy").name == "b.labels.npy"


def test_interleave_classes_mixes_class_order_for_grids_and_inception_score_splits():
    from minigan.gan.core.sampling import interleave_classes
    labels = class_order_labels(30)
    np.testing.assert_array_equal(labels[interleave_classes(labels)], np.tile(np.arange(10), 3))
    odd = np.array([3, 3, 3, 1, 1, 0])
    np.testing.assert_array_equal(odd[interleave_classes(odd)], [0, 1, 3, 1, 3, 3])
