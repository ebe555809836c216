"""Stabilisers in the trainer: wgan-gp, wgan, R1, spectral norm, EMA, lr schedules, the pytorch-dcgan preset."""
from __future__ import annotations

import json

import numpy as np
import pytest

import minigan
from minigan import nn, optim
from minigan.gan import (BCELoss, GANTrainer, GradientPenalty, R1Penalty, TrainConfig, build_models, load_checkpoint,
                         load_generator, resume)
from minigan.gan.core.critic import set_critic_norm, spectral_norm_all
from minigan.gan.core.losses import loss_defaults
from minigan.gan.core.lr_schedules import parse_lr_schedule
from minigan.gan.core.sampling import generate
from minigan.gan.training.extensions.averaging import ExponentialMovingAverage
from minigan.gan.training.extensions.schedule import LRSchedule
from minigan.gan.training.hooks import WeightClipping
from minigan.gan.training.updater import GANUpdater
from minigan.optim import lr_scheduler

from tests.gan.test_trainer import assert_same_tree, data_dir, tiny  # noqa: F401  (data_dir is a fixture)


def records(run):
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


def strip(run):
    return [{k: v for k, v in r.items() if k not in ("time", "images_per_s")} for r in records(run)]


def test_all_options_off_is_exactly_the_plain_gan_step(data_dir, tmp_path):
    # Nothing on: the assembled step is a bare GANUpdater, number for number one stepped by hand.
    trainer = GANTrainer(tiny(data_dir, tmp_path / "a"))
    assert type(trainer.updater) is GANUpdater and trainer.updater.penalties == []
    assert not getattr(trainer.opt_d, "_step_post_hooks", None)
    assert not any(isinstance(e, (ExponentialMovingAverage, LRSchedule)) for e in trainer.extensions)
    batches = list(trainer.loader.iter_epoch(0))[:3]
    assembled = [trainer.train_step([batch]) for batch in batches]
    minigan.manual_seed(0)   # the noise stream starts where the trainer's did: right after the models
    G, D = build_models("dcgan", latent_dim=8, width=4)
    adam = lambda m: optim.Adam(m.parameters(), lr=2e-4, betas=(0.5, 0.999))
    by_hand = GANUpdater(G, D, adam(G), adam(D), BCELoss(), latent_dim=8)
    assert [by_hand.step([batch]) for batch in batches] == assembled
    assert_same_tree(trainer.updater.state_dict(), by_hand.state_dict())


def test_wgan_gp_trains_with_a_layer_norm_critic_and_logs_the_penalty(data_dir, tmp_path):
    # batch 8: 8 batches per epoch, one step of 5 critic updates each
    config = tiny(data_dir, tmp_path / "run", loss="wgan-gp", batch_size=8, **loss_defaults("wgan-gp"))
    trainer = GANTrainer(config)
    assert not any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in trainer.D.modules())
    assert any(isinstance(m, nn.GroupNorm) for m in trainer.D.modules())
    assert trainer.updater.batches_per_step == 5 and trainer.opt_d.param_groups[0]["betas"] == (0.0, 0.9)
    trainer.train()
    recs = records(tmp_path / "run")
    assert len(recs) == 2
    assert all(np.isfinite(r["gp"]) and r["gp"] >= 0 for r in recs)


def test_wgan_gp_penalty_changes_the_critic_update(data_dir, tmp_path):
    kw = dict(loss="wgan-gp", n_critic=1, critic_norm="instance", max_steps=2)
    GANTrainer(tiny(data_dir, tmp_path / "gp", **kw)).train()
    GANTrainer(tiny(data_dir, tmp_path / "nogp", gp_weight=0.0, **kw)).train()
    a, b = load_checkpoint(tmp_path / "gp"), load_checkpoint(tmp_path / "nogp")
    assert not np.array_equal(a["discriminator"]["net.0.weight"], b["discriminator"]["net.0.weight"])
    assert "gp" in records(tmp_path / "gp")[0] and "gp" not in records(tmp_path / "nogp")[0]


def test_a_batchnorm_critic_with_a_gradient_penalty_is_refused_saying_why(data_dir, tmp_path):
    with pytest.raises(ValueError, match="batch norm mixes the samples"):
        tiny(data_dir, tmp_path / "x", loss="wgan-gp", critic_norm="batch").resolved().validate()
    with pytest.raises(ValueError, match="BatchNorm2d.*per-sample"):
        GANTrainer(tiny(data_dir, tmp_path / "y", r1=1.0))  # R1 on the dcgan critic's own BatchNorm


def test_wgan_clips_the_critic_and_uses_rmsprop(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", loss="wgan", n_critic=2, clip=0.005, max_steps=2,
                              lr_d=1e-2))
    assert type(trainer.opt_d).__name__ == "RMSprop" and type(trainer.opt_g).__name__ == "RMSprop"
    # the clipping is a step post-hook on D's optimiser, and on nothing else
    hooks = list(trainer.opt_d._step_post_hooks.values())
    assert len(hooks) == 1 and isinstance(hooks[0], WeightClipping) and hooks[0].clip == 0.005
    assert not getattr(trainer.opt_g, "_step_post_hooks", None) and trainer.updater.penalties == []
    trainer.train()
    for p in trainer.D.parameters():
        assert float(np.abs(p.array).max()) <= 0.005 + 1e-9


def test_r1_lazy_every_k_steps(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", r1=1.0, r1_every=2, critic_norm="none", max_steps=4))
    [penalty] = trainer.updater.penalties
    assert isinstance(penalty, R1Penalty) and (penalty.gamma, penalty.every) == (1.0, 2)
    trainer.train()
    has = ["r1" in r for r in records(tmp_path / "run")]
    assert has == [True, False, True, False]
    assert penalty.critic_steps == 4 and load_checkpoint(tmp_path / "run")["critic_steps"] == 4


def test_the_lazy_r1_counter_survives_a_resume(data_dir, tmp_path):
    # Split after 3 critic steps (an odd count): a counter restarted at 0 would put R1 on the wrong steps.
    kw = dict(r1=1.0, r1_every=2, critic_norm="none")
    GANTrainer(tiny(data_dir, tmp_path / "straight", max_steps=6, **kw)).train()
    GANTrainer(tiny(data_dir, tmp_path / "split", max_steps=3, **kw)).train()
    trainer = GANTrainer.from_checkpoint(tmp_path / "split", max_steps=6)
    [penalty] = trainer.updater.penalties
    assert isinstance(penalty, R1Penalty) and penalty.critic_steps == 3
    trainer.train()
    assert ["r1" in r for r in records(tmp_path / "split")] == [True, False] * 3
    assert strip(tmp_path / "straight") == strip(tmp_path / "split")
    assert load_checkpoint(tmp_path / "split")["critic_steps"] == 6


def test_the_gradient_penalty_is_a_penalty_object(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", loss="wgan-gp", gp_weight=5.0, n_critic=2))
    [penalty] = trainer.updater.penalties
    assert isinstance(penalty, GradientPenalty) and penalty.weight == 5.0 and penalty.state_key is None
    off = GANTrainer(tiny(data_dir, tmp_path / "off", loss="wgan-gp", gp_weight=0.0, n_critic=2))
    assert off.updater.penalties == []


def test_spectral_norm_on_every_conv_and_linear_of_d(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", spectral_norm=True, max_steps=2))
    layers = [m for m in trainer.D.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) == 3 and all(hasattr(m, "weight_orig") and hasattr(m, "weight_u") for m in layers)
    trainer.train()
    state = load_checkpoint(tmp_path / "run")["discriminator"]
    assert {"net.0.weight_orig", "net.0.weight_u", "net.0.weight_v", "net.6.weight_orig"} <= set(state)


def test_ema_generator_samples_evaluates_and_is_what_eval_loads(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", ema=0.9, max_steps=3))
    trainer.train()
    ema = next(e for e in trainer.extensions if isinstance(e, ExponentialMovingAverage)).ema
    assert trainer.updater.generator is ema.module and ema.num_updates == 3 and ema.source is trainer.G
    raw, avg = (np.asarray(m.state_dict()["net.0.weight"]) for m in (trainer.G, ema.module))
    assert not np.array_equal(raw, avg)
    # grids and evaluation samples come from the EMA generator, not from G
    np.testing.assert_array_equal(trainer.generate(), generate(ema.module, 16, noise=trainer.fixed_noise))
    assert not np.array_equal(trainer.generate(), generate(trainer.G, 16, noise=trainer.fixed_noise))
    np.testing.assert_array_equal(trainer.updater.evaluation_samples(8, seed=0, batch_size=8),
                                  generate(ema.module, 8, seed=0, batch_size=8))


def test_load_generator_prefers_the_ema_weights(data_dir, tmp_path):
    GANTrainer(tiny(data_dir, tmp_path / "run", ema=0.5, max_steps=2)).train()
    state = load_checkpoint(tmp_path / "run")
    G, _ = load_generator(tmp_path / "run")
    np.testing.assert_array_equal(np.asarray(G.state_dict()["net.0.weight"]), state["ema"]["module"]["net.0.weight"])
    assert not np.array_equal(state["ema"]["module"]["net.0.weight"], state["generator"]["net.0.weight"])


@pytest.mark.parametrize("kw", [dict(ema=0.9, lr_schedule="cosine"),
                                dict(ema=0.8, lr_schedule="step:1:0.5", spectral_norm=True, hinge=True),
                                dict(loss="wgan-gp", n_critic=2, lr_schedule="linear", ema=0.9)])
def test_resume_with_ema_and_schedule_is_bit_identical(data_dir, tmp_path, kw):
    kw = dict(kw)
    if kw.pop("hinge", False):
        kw["loss"] = "hinge"
    # epochs 3, 4 (or 2) steps per epoch: the split (after 5 steps) falls inside epoch 2, after a schedule step
    base = dict(epochs=3, **kw)
    total = 3 * (4 // kw.get("n_critic", 1))
    GANTrainer(tiny(data_dir, tmp_path / "straight", **base)).train()
    GANTrainer(tiny(data_dir, tmp_path / "split", max_steps=5, **base)).train()
    resumed = resume(tmp_path / "split", max_steps=total)
    assert resumed.step == total
    a, b = load_checkpoint(tmp_path / "straight"), load_checkpoint(tmp_path / "split")
    a["config"].pop("out"), b["config"].pop("out")
    a["config"].pop("max_steps"), b["config"].pop("max_steps")
    assert "ema" in a and "schedulers" in a and a["ema"]["num_updates"] == total
    assert_same_tree(a, b)
    assert strip(tmp_path / "straight") == strip(tmp_path / "split")
    lrs = [r["lr_g"] for r in records(tmp_path / "straight")]
    assert len(set(lrs)) > 1  # the schedule moved the learning rate


def test_schedule_steps_per_epoch_as_torch_names_it():
    opt_lr = []
    from minigan import optim
    p = nn.Linear(2, 1)
    opt = optim.Adam(p.parameters(), lr=1.0)
    sched = parse_lr_schedule("step:2:0.5", epochs=6)(opt)
    assert isinstance(sched, lr_scheduler.StepLR)
    for _ in range(5):
        opt_lr.append(opt.param_groups[0]["lr"])
        sched.step()
    assert opt_lr == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert isinstance(parse_lr_schedule("cosine", 5)(opt), lr_scheduler.CosineAnnealingLR)
    assert isinstance(parse_lr_schedule("exp:0.9", 5)(opt), lr_scheduler.ExponentialLR)
    assert isinstance(parse_lr_schedule("linear:1:0.1", 5)(opt), lr_scheduler.LinearLR)


@pytest.mark.parametrize("spec", ["cosin", "step", "step:x", "exp", "linear:2", "cosine:1:2"])
def test_bad_schedule_specs_are_named(spec):
    with pytest.raises(ValueError, match="lr schedule"):
        parse_lr_schedule(spec, 5)


@pytest.mark.parametrize("field, value", [("ema", 1.0), ("ema", -0.5), ("gp_weight", -1.0), ("r1", -0.5),
                                          ("clip", 0.0), ("r1_every", 0), ("critic_norm", "group"),
                                          ("lr_schedule", "sometimes")])
def test_config_names_bad_stabiliser_fields(field, value):
    flag = "--" + field.replace("_", "-")
    with pytest.raises(ValueError, match=flag if field != "lr_schedule" else "lr schedule"):
        TrainConfig(**{field: value}).resolved().validate()


def test_ema_zero_means_no_average(data_dir, tmp_path):
    assert TrainConfig(ema=0).resolved().ema == 0.0 and TrainConfig().resolved().ema == 0.995
    # saved as 0, it stays off when the saved config is resolved again (a resumed run)
    saved = TrainConfig.from_dict(TrainConfig(model="dcgan", ema=0).resolved().to_dict())
    assert saved.resolved().ema == 0.0
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", ema=0.0))
    assert not any(isinstance(e, ExponentialMovingAverage) for e in trainer.extensions)
    assert trainer.updater.generator is trainer.G


def test_critic_norm_replaces_batch_norm_only():
    _, D = build_models("dcgan", latent_dim=4, width=4)
    set_critic_norm(D, "instance")
    assert any(isinstance(m, nn.InstanceNorm2d) for m in D.modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
    _, D = build_models("dcgan", latent_dim=4, width=4)
    set_critic_norm(D, "none")
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
    _, D = build_models("mlp", latent_dim=4, width=4)
    assert len(list(spectral_norm_all(D).modules())) == len(list(D.modules()))
