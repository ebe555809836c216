"""The Wasserstein losses and stabilisers in the conditional families' and the inpainting family's steps.

Every option off is the plain step (checked against reference copies of the steps written out below);
wgan-gp, R1, spectral norm, EMA and lr schedules train, resume bit-identically, and refuse a BatchNorm critic
under a penalty; a conditional run's --eval-every also scores by class; one GANTrainer resumes every task.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from minigan import creation, cuda, nn
from minigan.autograd import Tensor, no_grad
from minigan.cli import main
from minigan.data import write_fake_dataset
from minigan.gan import (CheckpointError, GANTrainer, TrainConfig, generate, load_checkpoint, load_generator, resume,
                         sample_checkpoint)
from minigan.gan.families.inpainting import inpaint, load_inpainting_generator
from minigan.gan.families.conditional.labels import class_order_labels, uniform_labels
from minigan.gan.training.extensions.averaging import ExponentialMovingAverage
from minigan.gan.training.updater import frozen, grad_norm, mean_sigmoid

from tests.gan.test_trainer import assert_same_tree

CONDITIONAL = ("cgan", "acgan")
TASKS = ("cgan", "acgan", "inpaint")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    # 64 training images (4 steps of 16 per epoch); 200 test images, so every class has a few (per-class FID)
    folder = tmp_path_factory.mktemp("fake-mnist")
    write_fake_dataset(folder, train_size=64, test_size=200, seed=7)
    return folder


def tiny(data_dir, out, model, **kw):
    """A few CPU steps with the PyTorch DCGAN example's optimiser and D (the inpainting family's own recipe),
    one critic step per G step whatever the loss (the Wasserstein losses' own default is 5)."""
    base = dict(width=4, batch_size=16, data_dir=str(data_dir), epochs=2, progress="none", checkpoint_every=0,
                n_critic=1, out=str(out))
    if model == "inpaint":
        base.update(task="inpaint", n_samples=8)
    else:
        base.update(preset="pytorch-dcgan", model=model, latent_dim=8, n_samples=20)
    base.update(kw)
    return TrainConfig(**base)


def trainer_for(config, **kw):
    return GANTrainer(config, **kw)


def averaged(trainer):
    """The EMA of G the trainer keeps (its ExponentialMovingAverage extension's)."""
    return next(e for e in trainer.extensions if isinstance(e, ExponentialMovingAverage)).ema


def records(run):
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


def strip(run):
    return [{k: v for k, v in r.items() if k not in ("time", "images_per_s")} for r in records(run)]


def same_checkpoints(a_run, b_run, *drop):
    a, b = load_checkpoint(a_run), load_checkpoint(b_run)
    for key in ("out",) + drop:
        a["config"].pop(key), b["config"].pop(key)
    assert_same_tree(a, b)


# ---- every option off: the steps as they were before the mixin -------------------------------------------
def _reference_conditional_step(u, batches):
    """ConditionalUpdater.step without penalties, written out."""
    G, D, loss = u.G, u.D, u.loss
    G.train(), D.train()

    def scores(images, labels):
        if u.auxiliary:
            s, c = D(images)
            return (s, c, labels), s
        s = D(images, labels)
        return (s,), s

    record, fake = {}, None
    for k, (images, labels) in enumerate(batches):
        x, y = u.real_images((images, labels)), labels if isinstance(labels, Tensor) else Tensor(labels)
        z = creation.randn(x.shape[0], u.latent_dim)
        fy = uniform_labels(x.shape[0], u.num_classes)
        if k == len(batches) - 1:
            fake = G(z, fy)
            fake_for_d, fake_y = fake.detach(), fy
        else:
            with no_grad():
                fake_for_d = G(z, fy)
        u.opt_d.zero_grad()
        (ra, rs), (fa, fs) = scores(x, y), scores(fake_for_d, fy)
        loss_d = loss.d_real(*ra) + loss.d_fake(*fa)
        record["loss_D"] = float(loss_d.item())
        loss_d.backward()
        record["grad_norm_D"] = grad_norm(D.parameters())
        u.opt_d.step()
        record.update(D_x=mean_sigmoid(rs), D_G_z=mean_sigmoid(fs))
    u.opt_g.zero_grad()
    with frozen(D):
        args, s = scores(fake, fake_y)
        loss_g = loss.g(*args)
        record["loss_G"] = float(loss_g.item())
        loss_g.backward()
    record["grad_norm_G"] = grad_norm(G.parameters())
    u.opt_g.step()
    record["D_G_z_after"] = mean_sigmoid(s)
    return record


def _reference_inpaint_step(u, batches):
    """InpaintUpdater.step without penalties, written out."""
    G, D, loss = u.G, u.D, u.inpainting_loss
    G.train(), D.train()
    x, y = u.real_images(batches[-1]), u._labels(batches[-1])
    m = creation.tensor(u.sampler.sample(x.shape[0]))
    completed = G(x, m)
    u.opt_d.zero_grad()
    (rs, rc), (fs, fc) = u._scores(x), u._scores(completed.detach())
    loss_d, parts_d = loss.discriminator(rs, fs, rc, fc, y)
    record = {"loss_D": float(loss_d.item())}
    loss_d.backward()
    record["grad_norm_D"] = grad_norm(D.parameters())
    u.opt_d.step()
    u.opt_g.zero_grad()
    with frozen(D):
        after, after_classes = u._scores(completed)
        loss_g, parts = loss.generator(completed, x, m, after, after_classes, y)
        record["loss_G"] = float(loss_g.item())
        loss_g.backward()
    record["grad_norm_G"] = grad_norm(G.parameters())
    u.opt_g.step()
    record.update(rec=float(parts["rec"].item()), adv=float(parts["adv"].item()), D_x=mean_sigmoid(rs),
                  D_G_z=mean_sigmoid(fs), D_G_z_after=mean_sigmoid(after))
    if "class" in parts_d:
        record.update(class_D=float(parts_d["class"].item()), class_G=float(parts["class"].item()))
    return record


@pytest.mark.parametrize("model, kw", [("cgan", {}), ("acgan", {"loss": "hinge", "n_critic": 2}),
                                       ("cgan-concat", {"loss": "lsgan"}), ("inpaint", {"aux_classes": True}),
                                       ("inpaint", {})])
def test_every_option_off_is_the_step_as_it_was(data_dir, tmp_path, model, kw):
    trainer_for(tiny(data_dir, tmp_path / "new", model, max_steps=3, **kw)).train()
    old = trainer_for(tiny(data_dir, tmp_path / "old", model, max_steps=3, **kw))  # seeds the stream again
    reference = _reference_inpaint_step if model == "inpaint" else _reference_conditional_step
    old.updater.step = lambda batches: reference(old.updater, batches)
    old.train()
    same_checkpoints(tmp_path / "new", tmp_path / "old")   # weights, Adam states, RNG: the same bits
    assert strip(tmp_path / "new") == strip(tmp_path / "old")


# ---- the Wasserstein losses ----------------------------------------------------------------------------
@pytest.mark.parametrize("model", TASKS)
def test_wgan_gp_trains_with_a_layer_norm_critic_and_logs_the_penalty(data_dir, tmp_path, model):
    trainer = trainer_for(tiny(data_dir, tmp_path / "run", model, loss="wgan-gp", critic_norm="layer",
                               beta1=0.0, beta2=0.9, max_steps=3))
    assert not any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in trainer.D.modules())
    assert any(isinstance(m, nn.GroupNorm) for m in trainer.D.modules())
    trainer.train()
    recs = records(tmp_path / "run")
    assert len(recs) == 3 and all(np.isfinite(r["gp"]) and r["gp"] >= 0 for r in recs)
    assert all(np.isfinite(r["loss_D"]) and np.isfinite(r["loss_G"]) for r in recs)
    # the penalty changes D's update: without it (gp_weight 0) D ends elsewhere
    trainer_for(tiny(data_dir, tmp_path / "nogp", model, loss="wgan-gp", critic_norm="layer", gp_weight=0.0,
                     beta1=0.0, beta2=0.9, max_steps=3)).train()
    a, b = (load_checkpoint(tmp_path / r)["discriminator"] for r in ("run", "nogp"))
    assert not all(np.array_equal(a[k], b[k]) for k in a)


def test_the_cgan_penalty_scores_interpolates_with_the_real_labels(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", "cgan", loss="wgan-gp", critic_norm="none"))
    seen = []
    trainer.D.register_forward_hook(lambda module, args, out: seen.append((args[0], args[1].numpy().copy())))
    x, y = next(trainer.loader.iter_epoch(0))
    trainer.train_step([(x, y)])
    (real, real_y), (fake, fake_y), (x_hat, hat_y), _ = seen   # real, fake, the penalty's x_hat, then G's step
    np.testing.assert_array_equal(real_y, y)
    np.testing.assert_array_equal(hat_y, real_y)               # the label held fixed: the real batch's
    assert not np.array_equal(fake_y, real_y)
    assert x_hat.requires_grad and not np.array_equal(x_hat.numpy(), real.numpy())


def test_the_penalties_see_an_acgan_ds_real_fake_head_and_an_inpainting_ds_whole_image_score(data_dir, tmp_path):
    acgan = GANTrainer(tiny(data_dir, tmp_path / "a", "acgan", r1=1.0, critic_norm="none"))
    x = Tensor(np.random.default_rng(0).uniform(-1, 1, (4, 1, 28, 28)).astype(np.float32))
    y = Tensor(np.arange(4, dtype=np.int64))
    np.testing.assert_array_equal(acgan.updater.critic_score(x, y).numpy(), acgan.D(x)[0].numpy())
    cgan = GANTrainer(tiny(data_dir, tmp_path / "c", "cgan", r1=1.0, critic_norm="none"))
    np.testing.assert_array_equal(cgan.updater.critic_score(x, y).numpy(), cgan.D(x, y).numpy())
    painter = GANTrainer(tiny(data_dir, tmp_path / "i", "inpaint", r1=1.0, critic_norm="none", aux_classes=True))
    np.testing.assert_array_equal(painter.updater.critic_score(x).numpy(), painter.D.scores_and_classes(x)[0].numpy())


@pytest.mark.parametrize("model", TASKS)
def test_wgan_clips_the_critic_and_uses_rmsprop(data_dir, tmp_path, model):
    trainer = trainer_for(tiny(data_dir, tmp_path / "run", model, loss="wgan", clip=0.005, lr_d=1e-2,
                               max_steps=2))
    assert type(trainer.opt_d).__name__ == "RMSprop" and type(trainer.opt_g).__name__ == "RMSprop"
    trainer.train()
    assert max(float(np.abs(p.array).max()) for p in trainer.D.parameters()) <= 0.005 + 1e-9


# ---- R1, spectral norm, EMA, lr schedules --------------------------------------------------------------
STABILISED = dict(r1=1.0, r1_every=2, critic_norm="instance", spectral_norm=True, ema=0.8, lr_schedule="step:1:0.5")


@pytest.mark.parametrize("model", TASKS)
def test_r1_spectral_norm_ema_and_schedule_train_together(data_dir, tmp_path, model):
    run = tmp_path / "run"
    trainer = trainer_for(tiny(data_dir, run, model, max_steps=6, **STABILISED))
    layers = [m for m in trainer.D.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert layers and all(hasattr(m, "weight_orig") and hasattr(m, "weight_u") for m in layers)
    trainer.train()
    recs = records(run)
    assert ["r1" in r for r in recs] == [True, False] * 3                       # lazy R1, every 2nd critic step
    assert [r["lr_g"] for r in recs] == [2e-4] * 4 + [1e-4] * 2                 # halved after epoch 1
    ema = averaged(trainer)
    assert ema.num_updates == 6 and trainer.updater.generator is ema.module
    state = load_checkpoint(run)
    assert {"ema", "schedulers", "critic_steps"} <= set(state)
    assert any(k.endswith("weight_orig") for k in state["discriminator"])
    raw, avg = state["generator"], state["ema"]["module"]
    assert not all(np.array_equal(raw[k], avg[k]) for k in raw)
    # grids, evaluation samples and the CLI's loaders all use the EMA generator
    if model == "inpaint":
        np.testing.assert_array_equal(trainer.generate(), inpaint(ema.module, trainer.updater.fixed_images,
                                                                  trainer.fixed_noise))
        G, _ = load_inpainting_generator(run)
    else:
        labels = class_order_labels(20)
        np.testing.assert_array_equal(trainer.generate(), generate(ema.module, 20, noise=trainer.fixed_noise,
                                                                   labels=labels))
        np.testing.assert_array_equal(trainer.updater.evaluation_samples(20, seed=0, batch_size=20),
                                      generate(ema.module, 20, seed=0, batch_size=20, labels=labels))
        G, _ = load_generator(run)
    for key, value in G.state_dict().items():
        np.testing.assert_array_equal(np.asarray(value), avg[key])


@pytest.mark.parametrize("model, kw", [
    ("cgan", STABILISED), ("acgan", STABILISED), ("inpaint", STABILISED),
    ("cgan", dict(loss="wgan-gp", critic_norm="layer", n_critic=2, ema=0.9, lr_schedule="cosine")),
    ("acgan", dict(loss="wgan-gp", critic_norm="layer", ema=0.9, lr_schedule="linear")),
    ("inpaint", dict(loss="wgan-gp", critic_norm="layer", ema=0.9, lr_schedule="cosine", aux_classes=True)),
])
def test_resume_is_bit_identical(data_dir, tmp_path, model, kw):
    base = dict(epochs=3, **kw)
    total = 3 * (4 // kw.get("n_critic", 1))
    trainer_for(tiny(data_dir, tmp_path / "straight", model, **base)).train()
    trainer_for(tiny(data_dir, tmp_path / "split", model, max_steps=5, **base)).train()   # inside epoch 2
    assert GANTrainer.from_checkpoint(tmp_path / "split", max_steps=total).train().step == total
    same_checkpoints(tmp_path / "straight", tmp_path / "split", "max_steps")
    assert strip(tmp_path / "straight") == strip(tmp_path / "split")


# ---- the critic-norm rule, for every discriminator -----------------------------------------------------
@pytest.mark.parametrize("model", TASKS + ("cgan-concat",))
def test_a_batchnorm_critic_under_a_penalty_is_refused_saying_why(data_dir, tmp_path, model):
    with pytest.raises(ValueError, match="BatchNorm2d.*batch norm mixes the samples"):
        trainer_for(tiny(data_dir, tmp_path / "r1", model, r1=1.0))            # D's own BatchNorm, kept
    with pytest.raises(ValueError, match="--loss wgan-gp with --critic-norm batch: the gradient penalty is per "
                                         "sample"):
        trainer_for(tiny(data_dir, tmp_path / "gp", model, loss="wgan-gp", critic_norm="batch"))


# ---- --eval-every on a conditional run: class accuracy and per-class FID ----------------------------------
def test_eval_every_scores_by_class_as_minigan_eval_does(data_dir, tmp_path, capsys):
    run = tmp_path / "run"
    result = GANTrainer(tiny(data_dir, run, "acgan", epochs=1, eval_every=1, eval_n=20, ema=0.9)).train()
    line = [r for r in records(run) if r.get("type") == "eval"][0]
    assert line == result.evaluations[0]
    for key in ("class_accuracy", "mean_class_fid", "baseline_class_accuracy", "baseline_mean_class_fid"):
        assert np.isfinite(line[key]), key
    assert line["n_per_class"] == 2 and 0.0 <= line["class_accuracy"] <= 1.0
    metrics = json.loads((run / "metrics.jsonl").read_text().splitlines()[0])
    assert len(metrics["class_fid"]) == 10 and 0.0 <= metrics["class_baseline"]["class_accuracy"] <= 1.0
    # the very numbers `minigan eval --checkpoint RUN --n 20` prints for the (EMA) generator
    assert main(["eval", "--checkpoint", str(run), "--n", "20", "--json", str(tmp_path / "e.json")]) == 0
    report = json.loads((tmp_path / "e.json").read_text())
    for key in ("class_accuracy", "mean_class_fid", "class_fid", "fid", "inception_score"):
        assert report[key] == metrics[key], key
    assert "class accuracy" in capsys.readouterr().err


def test_unconditional_eval_every_has_no_class_scores(data_dir, tmp_path):
    run = tmp_path / "run"
    GANTrainer(tiny(data_dir, run, "dcgan", latent_dim=8, epochs=1, eval_every=1, eval_n=20)).train()
    line = [r for r in records(run) if r.get("type") == "eval"][0]
    assert np.isfinite(line["fid"]) and "class_accuracy" not in line


# ---- a checkpoint of either task: one trainer resumes it, the other task's tools say what it holds ----------
def test_one_trainer_resumes_either_task_and_a_checkpoint_of_the_other_task_is_one_line(data_dir, tmp_path):
    GANTrainer(tiny(data_dir, tmp_path / "inpaint", "inpaint", max_steps=1)).train()
    GANTrainer(tiny(data_dir, tmp_path / "cgan", "cgan", max_steps=1)).train()
    trainer = GANTrainer.from_checkpoint(tmp_path / "inpaint", max_steps=2)
    assert trainer.config.model == "inpaint" and trainer.family.task == "inpaint" and trainer.train().step == 2
    assert resume(tmp_path / "cgan", max_steps=2).step == 2
    with pytest.raises(ValueError, match="cannot change --model when resuming: the checkpoint has 'inpaint', got "
                                         "'cgan'"):
        GANTrainer.from_checkpoint(tmp_path / "inpaint", model="cgan")
    with pytest.raises(ValueError, match=r"--model cgan does not serve --task inpaint \(that is --model inpaint\)"):
        GANTrainer.from_checkpoint(tmp_path / "cgan", task="inpaint")
    with pytest.raises(CheckpointError, match=r"holds a 'cgan' GAN \(task 'gan'\), not an inpainting model") as caught:
        load_inpainting_generator(tmp_path / "cgan")
    assert "\n" not in str(caught.value)
    with pytest.raises(CheckpointError, match=r"inpaint/checkpoint.npz holds the 'inpaint' family's model .* which "
                                              r"does not draw images from noise: use `minigan inpaint`"):
        sample_checkpoint(tmp_path / "inpaint", 10)


# ---- the command line -----------------------------------------------------------------------------------
TINY = ["--width", "4", "--batch-size", "16", "--progress", "none", "--max-steps", "2"]


@pytest.mark.parametrize("target, extra, expect", [
    (["--model", "cgan", "--latent-dim", "8", "--samples", "20"],
     ["--loss", "wgan-gp", "--critic-norm", "layer", "--gp-weight", "5", "--n-critic", "1", "--ema", "0.9",
      "--lr-schedule", "cosine"],
     dict(loss="wgan-gp", critic_norm="layer", gp_weight=5.0, n_critic=1, ema=0.9, lr_schedule="cosine")),
    (["--model", "acgan", "--latent-dim", "8", "--samples", "20"],
     ["--r1", "2", "--r1-every", "2", "--critic-norm", "instance", "--spectral-norm"],
     dict(r1=2.0, r1_every=2, critic_norm="instance", spectral_norm=True)),
    (["--model", "cgan-concat", "--latent-dim", "8", "--samples", "20"], ["--loss", "wgan", "--clip", "0.02"],
     dict(loss="wgan", clip=0.02, n_critic=1)),
    (["--task", "inpaint", "--samples", "8"],
     ["--loss", "wgan-gp", "--ema", "0.5", "--lr-schedule", "exp:0.9", "--spectral-norm"],
     dict(loss="wgan-gp", critic_norm="layer", n_critic=1, beta1=0.0, ema=0.5, lr_schedule="exp:0.9",
          spectral_norm=True)),
])
def test_train_takes_the_stabiliser_options_for_conditional_models_and_inpainting(data_dir, tmp_path, target,
                                                                                 extra, expect):
    run = tmp_path / "run"
    if "--n-critic" not in extra and "--task" not in target:
        extra = extra + ["--n-critic", "1"]    # wgan's default of 5 needs more than this run's 4 batches
    assert main(["train", *target, *extra, "--data-dir", str(data_dir), "--out", str(run), *TINY]) == 0
    config = load_checkpoint(run)["config"]
    for key, value in expect.items():
        assert config[key] == value, key
    assert main(["train", "--resume", str(run), "--max-steps", "3"]) == 0   # and resume with them
    assert load_checkpoint(run)["step"] == 3


# cgan's D has no BatchNorm under the default recipe: keep it; the inpainting D keeps it by default
@pytest.mark.parametrize("target", [["--model", "cgan", "--latent-dim", "8", "--critic-norm", "batch"],
                                    ["--task", "inpaint"]])
def test_train_refuses_a_batchnorm_critic_under_r1_as_a_usage_error(data_dir, tmp_path, capsys, target):
    with pytest.raises(SystemExit) as exit_:
        main(["train", *target, "--r1", "1", "--data-dir", str(data_dir), "--out", str(tmp_path / "r"), *TINY])
    assert exit_.value.code == 2
    assert "batch norm mixes the samples" in capsys.readouterr().err


# ---- on a GPU (or the CuPy stand-in: MINIGAN_CUPY_STANDIN=1) ---------------------------------------------
@pytest.mark.skipif(not cuda.is_available(), reason="CuPy/GPU not available")
@pytest.mark.parametrize("model, kw", [("cgan", dict(loss="wgan-gp", critic_norm="layer")),
                                       ("acgan", dict(r1=1.0, critic_norm="instance", spectral_norm=True)),
                                       ("inpaint", dict(loss="wgan-gp", critic_norm="layer", aux_classes=True))])
def test_stabilised_steps_train_and_resume_on_cuda(data_dir, tmp_path, model, kw):
    run = tmp_path / "gpu"
    trainer_for(tiny(data_dir, run, model, max_steps=2, device="cuda", ema=0.9, lr_schedule="cosine", **kw)).train()
    assert GANTrainer.from_checkpoint(run, max_steps=3).train().step == 3
    recs = records(run)
    assert all(np.isfinite(r["loss_D"]) and np.isfinite(r["loss_G"]) for r in recs)
    assert all(("gp" in r) == (kw.get("loss") == "wgan-gp") for r in recs)
    state = load_checkpoint(run)
    assert state["ema"]["num_updates"] == 3 and isinstance(state["ema"]["module"], dict)


def test_spectral_norm_trains_the_concat_discriminators_first_conv(data_dir, tmp_path):
    # ConcatDiscriminator computes its first conv by hand (image and label parts): the spectral norm hook,
    # which sets the normalised weight before a module's forward, must run there too
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", "cgan-concat", spectral_norm=True, max_steps=2))
    conv = trainer.D.body.net[0]
    before, u_before = conv.weight_orig.numpy().copy(), conv.weight_u.numpy().copy()
    trainer.train()
    assert not np.array_equal(conv.weight_orig.numpy(), before)   # it had a gradient
    assert not np.array_equal(conv.weight_u.numpy(), u_before)    # and a power iteration per forward
