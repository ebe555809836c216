"""The infogan family (minigan/gan/families/infogan/): the code read from the noise, Q's head, the loss (float64
gradchecks), the step's hooks and grids, sampling, the family's options and defaults, the CLI options and bad
input."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigan as mg
from minigan.gan import (PRESETS, BCELoss, GANTrainer, HingeLoss, LSGANLoss, TrainConfig, WassersteinLoss,
                         build_loss, build_models, generate, get_family, load_checkpoint, load_generator, read_png,
                         resume)
from minigan.gan.families.infogan.models import (InfoDiscriminator, InfoGANLoss, InfoGenerator, batch_information,
                                                 is_info_gan)
from minigan.gan.families.infogan.step import InfoUpdater, code_grid_noise

from tests.gan.families.conditional.test_conditional_losses import _ce, _t
from tests.gan.test_trainer import data_dir  # noqa: F401  (the fixture)
from tests.gan.test_trainer import tiny as trainer_tiny


def tiny(data_dir, out, **kw):
    """test_trainer's tiny run (64 images, batch 16 -> 4 steps per epoch) as the paper's infogan: latent 12 (10
    code entries and 2 more), no real-image term, grids of 2 per code."""
    return trainer_tiny(data_dir, out, **{"model": "infogan", "latent_dim": 12, "n_samples": 20, "info_codes": 10,
                                          "info_real_weight": 0.0, **kw})


# ---- the models ------------------------------------------------------------------------------------------------
def test_the_code_is_the_argmax_of_the_first_noise_entries_and_uniform():
    G = InfoGenerator(latent_dim=16, width=4, codes=5)
    z = np.random.default_rng(0).standard_normal((20000, 16)).astype(np.float32)
    codes = G.codes_of(mg.tensor(z))
    np.testing.assert_array_equal(codes, z[:, :5].argmax(1))
    share = np.bincount(codes, minlength=5) / len(codes)
    assert np.abs(share - 0.2).max() < 0.015   # i.i.d. entries: each is the largest equally often


def test_the_generator_sees_the_one_hot_code_beside_the_noise():
    mg.manual_seed(0)
    G = InfoGenerator(latent_dim=12, width=4, codes=10)
    seen = []
    G.body.register_forward_hook(lambda module, args, out: seen.append(args[0].numpy().copy()))
    z = np.random.default_rng(1).standard_normal((6, 12)).astype(np.float32)
    out = G(mg.tensor(z))
    assert out.shape == (6, 1, 28, 28)
    np.testing.assert_array_equal(seen[0][:, :12], z)
    np.testing.assert_array_equal(seen[0][:, 12:], np.eye(10, dtype=np.float32)[z[:, :10].argmax(1)])
    assert not hasattr(G, "num_classes")   # an unconditional G: every sampling path draws it with noise alone


def test_the_discriminator_returns_scores_and_code_logits_from_shared_features():
    mg.manual_seed(0)
    G, D = build_models("infogan", width=4)   # the family's default code: 20 categories
    assert isinstance(G, InfoGenerator) and isinstance(D, InfoDiscriminator) and is_info_gan(D)
    assert G.codes == D.codes == 20
    scores, logits = D(G(mg.randn(3, 100)))
    assert scores.shape == (3, 1) and logits.shape == (3, 20)
    assert build_models("infogan", width=4, info_codes=10)[1].codes == 10
    assert D.code_head.in_features == D.linear.in_features


@pytest.mark.parametrize("make, match", [
    (lambda: InfoGenerator(latent_dim=8, codes=10), r"codes must be an integer in \[2, latent_dim=8\]"),
    (lambda: InfoGenerator(codes=1), "codes must be an integer"),
    (lambda: InfoGenerator(codes=2.5), "codes must be an integer"),
    (lambda: build_models("infogan", latent_dim=4), r"latent_dim=4"),
])
def test_bad_code_sizes_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_wrong_noise_and_image_shapes_name_the_model():
    G, D = build_models("infogan", latent_dim=12, width=4, info_codes=10)
    with pytest.raises(ValueError, match=r"InfoGenerator: noise must have shape \(N, 12\), got \(2, 11\)"):
        G(mg.randn(2, 11))
    with pytest.raises(ValueError, match=r"InfoDiscriminator: images must have shape \(N, 1, 28, 28\)"):
        D(mg.randn(2, 1, 14, 14))


# ---- the loss --------------------------------------------------------------------------------------------------
ADVERSARIAL = [BCELoss(), LSGANLoss(), HingeLoss(), WassersteinLoss()]


@st.composite
def _batch(draw):
    n, k = draw(st.integers(1, 5)), draw(st.integers(2, 10))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    scores = rng.standard_normal((n, 1)) * 2
    scores = scores + np.where(np.abs(np.abs(scores) - 1) < 0.05, 0.2, 0)   # hinge kinks away from the FD step
    return scores, rng.standard_normal((n, k)) * 2, rng.integers(0, k, n)


@pytest.mark.parametrize("adversarial", ADVERSARIAL, ids=repr)
@given(batch=_batch(), weight=st.sampled_from([0.0, 0.5, 1.0, 2.0]))
def test_the_loss_is_the_adversarial_one_plus_the_weighted_code_cross_entropy_on_fakes(adversarial, batch,
                                                                                        weight):
    scores, logits, codes = batch
    loss = InfoGANLoss(adversarial, weight)
    np.testing.assert_allclose(loss.d_real(_t(scores)).item(), adversarial.d_real(_t(scores)).item(), rtol=1e-12)
    np.testing.assert_allclose(loss.d_fake(_t(scores), _t(logits), codes).item(),
                               adversarial.d_fake(_t(scores)).item() + weight * _ce(logits, codes), rtol=1e-12)
    np.testing.assert_allclose(loss.g(_t(scores), _t(logits), codes).item(),
                               adversarial.g(_t(scores)).item() + weight * _ce(logits, codes), rtol=1e-12)


@pytest.mark.parametrize("adversarial", ADVERSARIAL, ids=repr)
@settings(max_examples=20, deadline=None)
@given(batch=_batch())
def test_the_loss_gradchecks_and_gradgradchecks_in_float64(adversarial, batch):
    scores, logits, codes = batch
    loss = InfoGANLoss(adversarial, 0.7)
    for fn in (lambda s, c: loss.d_fake(s, c, codes), lambda s, c: loss.g(s, c, codes)):
        assert mg.gradcheck(fn, (_t(scores), _t(logits)))
        assert mg.gradgradcheck(fn, (_t(scores), _t(logits)))


def _information(logits):
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    entropy = lambda q: -(q * np.log(np.where(q > 0, q, 1))).sum(-1)
    return entropy(p.mean(0)) - entropy(p).mean()


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 6), k=st.integers(2, 8), scale=st.sampled_from([0.1, 1.0, 5.0]), seed=st.integers(0, 2**16))
def test_batch_information_is_the_marginal_entropy_minus_the_mean_entropy(n, k, scale, seed):
    logits = np.random.default_rng(seed).standard_normal((n, k)) * scale
    value = batch_information(_t(logits)).item()
    np.testing.assert_allclose(value, _information(logits), rtol=1e-10, atol=1e-12)
    assert -1e-12 <= value <= np.log(min(n, k)) + 1e-12
    assert mg.gradcheck(batch_information, (_t(logits),))
    assert mg.gradgradcheck(batch_information, (_t(logits),))


def test_batch_information_is_finite_for_extreme_logits_and_checks_its_shape():
    sure = batch_information(_t([[400.0, -400.0, 0.0], [-400.0, 400.0, 0.0]]))
    np.testing.assert_allclose(sure.item(), np.log(2), rtol=1e-12)
    # uniform predictions carry no information: ln 3 - ln 3, up to the rounding of numpy's and math's logs
    np.testing.assert_allclose(batch_information(_t(np.zeros((4, 3)))).item(), 0.0, atol=1e-15)
    with pytest.raises(ValueError, match=r"batch_information: code logits must have shape \(N, K\), got \(3,\)"):
        batch_information(_t(np.zeros(3)))


@pytest.mark.parametrize("adversarial", ADVERSARIAL, ids=repr)
@settings(max_examples=20, deadline=None)
@given(batch=_batch(), real_weight=st.sampled_from([0.5, 2.0]))
def test_the_real_term_subtracts_q_s_information_on_reals_and_gradchecks(adversarial, batch, real_weight):
    scores, logits, _codes = batch
    loss = InfoGANLoss(adversarial, 1.0, real_weight)
    np.testing.assert_allclose(loss.d_real(_t(scores), _t(logits)).item(),
                               adversarial.d_real(_t(scores)).item() - real_weight * _information(logits), rtol=1e-10,
                               atol=1e-12)
    assert mg.gradcheck(loss.d_real, (_t(scores), _t(logits)))
    assert mg.gradgradcheck(loss.d_real, (_t(scores), _t(logits)))
    with pytest.raises(ValueError, match="real_weight > 0 needs Q's code logits of the real batch"):
        loss.d_real(_t(scores))


def test_the_code_term_raises_the_asked_codes_logit():
    logits = _t(np.zeros((2, 4)))
    InfoGANLoss(HingeLoss()).g(_t(np.zeros((2, 1))), logits, np.array([1, 3])).backward()
    grad = logits.grad.numpy()
    assert grad[0, 1] < 0 and grad[1, 3] < 0 and np.all(np.delete(grad[0], 1) > 0)


@pytest.mark.parametrize("make, error, match", [
    (lambda: InfoGANLoss(HingeLoss(), -1.0), ValueError, "weight must be a finite number >= 0, got -1.0"),
    (lambda: InfoGANLoss(HingeLoss(), float("nan")), ValueError, "weight must be a finite number"),
    (lambda: InfoGANLoss("hinge"), TypeError, "adversarial must be a GANLoss"),
    (lambda: InfoGANLoss(HingeLoss(), 1.0, -0.5), ValueError, "real_weight must be a finite number >= 0"),
])
def test_bad_loss_arguments_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_bad_codes_name_the_loss():
    loss = InfoGANLoss(build_loss("hinge"))
    with pytest.raises(ValueError, match="InfoGANLoss.g"):
        loss.g(_t(np.zeros((2, 1))), _t(np.zeros((2, 4))), np.array([0, 4]))


# ---- the grid noise --------------------------------------------------------------------------------------------
@given(n=st.integers(1, 6), codes=st.integers(2, 6), extra=st.integers(0, 3), seed=st.integers(0, 2**16))
def test_grid_noise_has_one_row_per_code_with_the_same_values(n, codes, extra, seed):
    noise = np.random.default_rng(seed).standard_normal((n, codes + extra)).astype(np.float32)
    grid = code_grid_noise(noise, codes).reshape(codes, n, -1)
    for c in range(codes):
        np.testing.assert_array_equal(grid[c, :, :codes].argmax(1), c)
        np.testing.assert_array_equal(np.sort(grid[c], axis=1), np.sort(noise, axis=1))   # a permutation ...
        np.testing.assert_array_equal(grid[c, :, codes:], noise[:, codes:])              # of the code block only


# ---- training ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("loss", ["bce", "hinge", "wgan-gp"])
def test_infogan_trains_with_any_loss_logs_the_code_term_and_draws_the_codes_in_blocks(data_dir, tmp_path, loss):
    extra = {"critic_norm": "layer", "n_critic": 2} if loss == "wgan-gp" else {}
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", loss=loss, max_steps=4, **extra))
    assert isinstance(trainer.updater, InfoUpdater) and isinstance(trainer.loss, InfoGANLoss)
    trainer.train()
    records = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    for r in records:
        assert 0 < r["info"] < 10 and np.isfinite(r["loss_G"]), r
    state = load_checkpoint(tmp_path / "run")
    assert state["model"] == "infogan" and state["task"] == "gan" and state["model_config"]["codes"] == 10
    assert state["config"]["options"] == {"info_codes": 10, "info_weight": 1.0, "info_real_weight": 0.0}
    grid = read_png(tmp_path / "run" / f"samples_epoch_{trainer.epoch:03d}.png")
    assert grid.shape == (5 * 30 + 2, 4 * 30 + 2)   # 10 codes of 2 images: two blocks of 5 rows, a code a half-row


def test_the_step_scores_fakes_against_the_codes_of_their_own_noise(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run"))
    noises, targets = [], []
    trainer.G.register_forward_hook(lambda module, args, out: noises.append(args[0].numpy().copy()))
    original = trainer.loss.g
    trainer.updater.loss.g = lambda s, c, codes: targets.append(codes.numpy().copy()) or original(s, c, codes)
    x = next(trainer.loader.iter_epoch(0))[0]
    record = trainer.train_step([x])
    np.testing.assert_array_equal(targets[0], noises[0][:, :10].argmax(1))
    assert 0 < record["info"] < 5


def test_the_code_term_teaches_q_to_read_the_codes(data_dir, tmp_path):
    """40 steps: Q's cross-entropy falls well below chance (ln 10 = 2.30), the mutual information G and Q share."""
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", width=8, loss="hinge", epochs=10, lr_g=1e-3, lr_d=1e-3))
    trainer.train()
    info = [json.loads(line)["info"] for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert np.mean(info[:4]) > 2.0 and np.mean(info[-4:]) < 1.0, info


def test_the_real_term_reaches_the_loss_with_q_s_logits_of_the_real_batch(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", info_real_weight=0.5))
    assert trainer.loss.real_weight == 0.5
    seen = []
    original = trainer.loss.d_real
    trainer.updater.loss.d_real = lambda *args: seen.append(len(args)) or original(*args)
    x = next(trainer.loader.iter_epoch(0))[0]
    record = trainer.train_step([x])
    assert seen == [2] and np.isfinite(record["loss_D"])
    plain = GANTrainer(tiny(data_dir, tmp_path / "plain"))
    plain_d_real = plain.loss.d_real
    plain.updater.loss.d_real = lambda *args: seen.append(len(args)) or plain_d_real(*args)
    plain.train_step([x])
    assert seen == [2, 1]   # off, the real batch's Q logits are not passed (the paper's InfoGAN)
    with pytest.raises(ValueError, match="--info-real-weight (does|do) not apply to --model mlp"):
        GANTrainer(tiny(data_dir, tmp_path / "x", model="mlp", info_real_weight=1.0))


def test_info_weight_goes_into_the_loss_and_applies_to_infogan_only(data_dir, tmp_path):
    assert GANTrainer(tiny(data_dir, tmp_path / "run", info_weight=0.25)).loss.weight == 0.25
    with pytest.raises(ValueError, match="--info-weight (does|do) not apply to --model dcgan"):
        tiny(data_dir, tmp_path / "x", model="dcgan", info_weight=2.0).resolved()
    for option in ("info_weight", "info_real_weight"):
        flag = "--" + option.replace("_", "-")
        with pytest.raises(ValueError, match=f"--model infogan: {flag} must be a finite number >= 0, got -1.0"):
            tiny(data_dir, tmp_path / "x", **{option: -1.0}).resolved().validate()


# Resume: tests/gan/test_trainer.py's test_resume_is_bit_identical runs infogan too (with EMA, SN, lazy R1, real term).


def test_a_checkpoint_samples_like_any_unconditional_generator(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", max_steps=2, ema=0.9))
    trainer.train()
    G, state = load_generator(tmp_path / "run")
    assert isinstance(G, InfoGenerator) and state["model"] == "infogan"
    images = generate(G, 30, seed=0)
    assert images.shape == (30, 1, 28, 28)
    np.testing.assert_array_equal(images, generate(trainer.updater.generator, 30, seed=0))   # the EMA G


def test_infogan_trains_on_every_device(data_dir, tmp_path, device):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", device=device, max_steps=3, loss="hinge",
                              spectral_norm=True, critic_norm="none"))
    trainer.train()
    z = trainer.updater.noise(16)
    assert z.device == trainer.device and trainer.updater.fake_labels(16, z).device == trainer.device
    records = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert len(records) == 3 and all(np.isfinite(r["info"]) and np.isfinite(r["loss_D"]) for r in records)


# ---- the command line --------------------------------------------------------------------------------------------
def test_cli_trains_resumes_samples_and_evaluates_an_infogan(data_dir, tmp_path, capsys):
    from minigan.cli import main
    run = tmp_path / "info"
    common = ["--width", "4", "--latent-dim", "24", "--batch-size", "16", "--progress", "none"]
    argv = ["train", "--model", "infogan", "--info-weight", "0.5", "--info-real-weight", "0.25",
            "--data-dir", str(data_dir), "--out", str(run), "--max-steps", "2", *common]
    assert main(argv) == 0
    config = json.loads((run / "config.json").read_text())
    assert (config["model"], config["loss"]) == ("infogan", "hinge")   # hinge: the default recipe's loss
    assert config["options"] == {"info_codes": 20, "info_weight": 0.5, "info_real_weight": 0.25}   # 20: the default
    assert load_checkpoint(run)["model_config"]["codes"] == 20
    assert main(["train", "--resume", str(run), "--max-steps", "3"]) == 0
    assert load_checkpoint(run)["step"] == 3
    assert main(["sample", "--checkpoint", str(run), "--n", "8", "--out", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (8, 1, 28, 28)
    assert main(["eval", "--checkpoint", str(run), "--n", "32", "--data-dir", str(data_dir), "--no-baseline",
                 "--json", str(tmp_path / "e.json")]) == 0
    assert np.isfinite(json.loads((tmp_path / "e.json").read_text())["fid"])
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["train", "--model", "infogan", "--info-weight", "-1", "--out", str(tmp_path / "x")])
    assert "--model infogan: --info-weight must be a finite number >= 0, got -1.0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--model", "dcgan", "--info-weight", "2", "--data-dir", str(data_dir), "--out",
              str(tmp_path / "y"), *common])
    assert "--info-weight does not apply to --model dcgan" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--resume", str(run), "--info-weight", "2"])
    assert "cannot change --info-weight when resuming: the checkpoint has 0.5, got 2.0" in capsys.readouterr().err


# ---- the default recipe ------------------------------------------------------------------------------------------
def test_the_default_recipe_is_infogan_and_other_models_start_from_sngan_ema():
    common = {k: v for k, v in PRESETS["sngan-ema"].items() if k != "model"}
    default = TrainConfig().resolved()
    assert default.model == "infogan" and default.preset is None
    assert {k: getattr(default, k) for k in common} == {**common, "batch_size": 32}   # the family's recipe
    assert default.options == {"info_codes": 20, "info_weight": 1.0, "info_real_weight": 1.0}
    assert get_family("infogan").recipe == {"batch_size": 32}
    assert TrainConfig(model="infogan", seed=1).resolved().to_dict() == {**default.to_dict(), "seed": 1}
    assert TrainConfig(preset="sngan-info").resolved().to_dict() == {**default.to_dict(), "preset": "sngan-info"}
    for model in ("dcgan", "mlp", "cgan", "acgan"):   # the sngan-ema recipe, which validates for every model
        config = TrainConfig(model=model).resolved().validate()
        assert {k: getattr(config, k) for k in common} == common and config.model == model
    mlp = TrainConfig(preset="sngan-info", model="mlp").resolved()   # a recipe tuned for infogan: sngan-ema's
    assert {k: getattr(mlp, k) for k in common} == common and mlp.options == {}
    with pytest.raises(ValueError, match="--info-real-weight does not apply to --model cgan"):
        TrainConfig(model="cgan", info_real_weight=1.0).resolved()   # given, it is an error
    assert TrainConfig(preset="pytorch-dcgan", model="mlp").resolved().lr_g == 2e-4   # a preset without a fallback
    TrainConfig().resolved().validate()


def test_info_codes_sets_the_categories_and_the_checkpoint_rebuilds_them(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", info_codes=4, n_samples=8, max_steps=2))
    assert trainer.G.codes == trainer.D.codes == trainer.updater.codes == 4
    assert trainer.fixed_noise.shape == (8, 12)   # 4 rows (codes) of 2
    trainer.train()
    G, state = load_generator(tmp_path / "run")
    assert G.codes == 4 and state["model_config"]["codes"] == 4
    np.testing.assert_array_equal(generate(G, 6, seed=1), generate(trainer.updater.generator, 6, seed=1))
    with pytest.raises(ValueError, match="cannot change --info-codes when resuming: the checkpoint has 4, got 5"):
        resume(tmp_path / "run", info_codes=5)
    for fields, match in (({"info_codes": 13}, r"--latent-dim must be at least --info-codes 13 for --model infogan "
                                               r".* got 12"),
                          ({"info_codes": 1}, "--info-codes must be an integer >= 2, got 1"),
                          ({"model": "dcgan", "info_codes": 20},   # tiny gives --info-real-weight too
                           "--info-codes, --info-real-weight do(es)? not apply to --model dcgan")):
        with pytest.raises(ValueError, match=match):
            tiny(data_dir, tmp_path / "x", **fields).resolved().validate()
