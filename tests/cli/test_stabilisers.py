"""`minigan train`'s stabiliser options through the command line (main() in-process, tiny synthetic data)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from minigan.cli import main
from minigan.data import write_fake_dataset
from minigan.gan import load_checkpoint
from minigan.gan.config import TrainConfig

TINY = ["--width", "4", "--latent-dim", "24", "--batch-size", "8", "--samples", "16", "--progress", "none",
        "--checkpoint-every", "0"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fake-mnist")
    write_fake_dataset(folder, train_size=64, test_size=16, seed=1)
    return folder


def train(data_dir, out, *extra):
    return main(["train", "--data-dir", str(data_dir), "--out", str(out), *TINY, *extra])


def test_wgan_gp_from_the_cli_gets_its_loss_defaults(data_dir, tmp_path, capsys):
    assert train(data_dir, tmp_path / "run", "--loss", "wgan-gp", "--max-steps", "1") == 0
    config = load_checkpoint(tmp_path / "run")["config"]
    assert (config["loss"], config["n_critic"], config["beta1"], config["beta2"]) == ("wgan-gp", 5, 0.0, 0.9)
    assert (config["lr_g"], config["lr_d"], config["critic_norm"], config["gp_weight"]) == (4e-4, 4e-4, "layer", 10.0)
    record = json.loads((tmp_path / "run" / "log.jsonl").read_text().splitlines()[0])
    assert record["gp"] >= 0


def test_given_options_win_over_the_loss_defaults(data_dir, tmp_path):
    assert train(data_dir, tmp_path / "run", "--loss", "wgan-gp", "--n-critic", "2", "--gp-weight", "1",
                 "--critic-norm", "instance", "--beta1", "0.5", "--max-steps", "1") == 0
    config = load_checkpoint(tmp_path / "run")["config"]
    assert (config["n_critic"], config["gp_weight"], config["critic_norm"], config["beta1"]) == (2, 1.0,
                                                                                                "instance", 0.5)


def test_wgan_clip_rmsprop(data_dir, tmp_path):
    assert train(data_dir, tmp_path / "run", "--loss", "wgan", "--clip", "0.02", "--max-steps", "1") == 0
    state = load_checkpoint(tmp_path / "run")
    assert state["config"]["clip"] == 0.02 and state["config"]["n_critic"] == 5
    assert all(np.abs(v).max() <= 0.02 for k, v in state["discriminator"].items() if "running" not in k
               and "num_batches" not in k)


def test_ema_spectral_norm_r1_schedule_and_resume(data_dir, tmp_path, capsys):
    extra = ["--ema", "0.9", "--spectral-norm", "--r1", "0.1", "--r1-every", "2", "--critic-norm", "none",
             "--lr-schedule", "step:1:0.5", "--epochs", "2"]
    assert train(data_dir, tmp_path / "straight", *extra) == 0
    assert train(data_dir, tmp_path / "split", *extra, "--max-steps", "5") == 0
    assert main(["train", "--resume", str(tmp_path / "split"), "--max-steps", "16"]) == 0
    a, b = load_checkpoint(tmp_path / "straight"), load_checkpoint(tmp_path / "split")
    for key in ("ema", "schedulers", "critic_steps"):
        assert key in a
    for part in ("generator", "discriminator"):
        assert set(a[part]) == set(b[part])
        for name in a[part]:
            np.testing.assert_array_equal(a[part][name], b[part][name], err_msg=f"{part} {name}")
    assert set(a["ema"]["module"]) == set(b["ema"]["module"]) and any("weight_orig" in k for k in a["discriminator"])
    for name in a["ema"]["module"]:
        np.testing.assert_array_equal(a["ema"]["module"][name], b["ema"]["module"][name], err_msg=f"ema {name}")
    assert a["schedulers"]["optimizer_g"]["last_epoch"] == 2
    config = a["config"]
    assert (config["ema"], config["spectral_norm"], config["r1"], config["lr_schedule"]) == (0.9, True, 0.1,
                                                                                           "step:1:0.5")


def test_resume_refuses_a_changed_stabiliser(data_dir, tmp_path, capsys):
    assert train(data_dir, tmp_path / "run", "--ema", "0.9", "--max-steps", "1") == 0
    with pytest.raises(SystemExit) as info:
        main(["train", "--resume", str(tmp_path / "run"), "--ema", "0.99"])
    assert info.value.code == 2 and "cannot change --ema" in capsys.readouterr().err


def test_preset_pytorch_dcgan_is_the_pytorch_examples_recipe():
    from minigan.gan import PRESETS
    reference = {"model": "dcgan", "loss": "bce", "g_loss": "non-saturating", "label_smoothing": 0.0,
                 "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.999, "n_critic": 1, "batch_size": 64,
                 "critic_norm": "batch", "r1": 0.0, "spectral_norm": False, "ema": None, "lr_schedule": None}
    assert PRESETS["pytorch-dcgan"] == reference
    resolved = TrainConfig(preset="pytorch-dcgan").resolved()
    assert {key: getattr(resolved, key) for key in reference} == {**reference, "ema": 0.0}   # 0: no average
    assert all(getattr(TrainConfig(), key) is None for key in reference)   # nothing given: every field unset


def test_preset_sngan_ttur_sets_its_recipe_and_given_options_win(data_dir, tmp_path):
    assert train(data_dir, tmp_path / "run", "--preset", "sngan-ttur", "--lr-g", "2e-4", "--max-steps", "1") == 0
    config = load_checkpoint(tmp_path / "run")["config"]
    assert (config["loss"], config["spectral_norm"], config["critic_norm"]) == ("hinge", True, "none")
    assert (config["lr_d"], config["lr_g"], config["beta1"], config["beta2"]) == (8e-4, 2e-4, 0.0, 0.9)
    assert config["model"] == "dcgan"


def test_no_preset_is_the_default_recipe_and_python_builds_the_same(data_dir, tmp_path):
    from minigan.gan import PRESETS, TrainConfig
    assert train(data_dir, tmp_path / "run", "--max-steps", "1") == 0
    config = load_checkpoint(tmp_path / "run")["config"]
    recipe = {k: v for k, v in PRESETS["sngan-info"].items() if not k.startswith("info_")}
    recipe["batch_size"] = 8   # the batch size given wins over the recipe's
    assert {key: config[key] for key in recipe} == recipe
    python = TrainConfig(data_dir=str(data_dir), out=str(tmp_path / "run"), width=4, latent_dim=24, batch_size=8,
                         n_samples=16, progress="none", checkpoint_every=0, max_steps=1).resolved().to_dict()
    assert python == config


def test_a_wasserstein_loss_under_the_default_recipe_is_its_papers_setup(data_dir, tmp_path):
    # the default recipe's spectral norm, rates and no-norm D give way to the loss's own settings
    assert train(data_dir, tmp_path / "gp", "--loss", "wgan-gp", "--max-steps", "1") == 0
    assert train(data_dir, tmp_path / "clip", "--loss", "wgan", "--max-steps", "1") == 0
    gp, clip = (load_checkpoint(tmp_path / name)["config"] for name in ("gp", "clip"))
    assert (gp["spectral_norm"], gp["critic_norm"], gp["lr_d"]) == (False, "layer", 4e-4)
    assert (clip["spectral_norm"], clip["critic_norm"], clip["lr_d"]) == (False, "batch", 5e-5)
    assert "discriminator" in load_checkpoint(tmp_path / "clip") and not any(
        "weight_orig" in k for k in load_checkpoint(tmp_path / "clip")["discriminator"])


def test_an_unknown_preset_from_python_names_the_choices():
    from minigan.gan import TrainConfig
    with pytest.raises(ValueError, match="unknown --preset 'keras'; choose one of: pytorch-dcgan, sngan-ema, sngan-info, "
                                         "sngan-ttur"):
        TrainConfig(preset="keras").resolved()


def test_preset_through_the_cli(data_dir, tmp_path):
    assert train(data_dir, tmp_path / "run", "--preset", "pytorch-dcgan", "--max-steps", "1") == 0
    config = load_checkpoint(tmp_path / "run")["config"]
    assert (config["critic_norm"], config["ema"], config["batch_size"]) == ("batch", 0.0, 8)  # given wins


@pytest.mark.parametrize("args, message", [
    (["--gp-weight", "-1"], "argument --gp-weight: expected a number >= 0"),
    (["--ema", "1"], "argument --ema: expected a number in (0, 1)"),
    (["--ema", "0"], "argument --ema: expected a number in (0, 1)"),
    (["--ema", "x"], "argument --ema"),
    (["--clip", "0"], "argument --clip: expected a positive number"),
    (["--r1", "-2"], "argument --r1: expected a number >= 0"),
    (["--lr-schedule", "step:zero"], "argument --lr-schedule: lr schedule 'step:zero'"),
    (["--critic-norm", "group"], "argument --critic-norm: invalid choice"),
    (["--preset", "keras"], "argument --preset: invalid choice"),
    (["--loss", "wgan-gp", "--critic-norm", "batch"], "batch norm mixes the samples"),
    (["--critic-norm", "batch", "--r1", "1"], "per-sample gradient penalty is wrong"),
    (["--preset", "pytorch-dcgan", "--r1", "1"], "per-sample gradient penalty is wrong"),
])
def test_bad_stabiliser_options_exit_2_naming_them(args, message, data_dir, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        train(data_dir, tmp_path / "run", *args)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_preset_with_resume_is_a_usage_error(data_dir, tmp_path, capsys):
    assert train(data_dir, tmp_path / "run", "--max-steps", "1") == 0
    with pytest.raises(SystemExit) as info:
        main(["train", "--resume", str(tmp_path / "run"), "--preset", "pytorch-dcgan"])
    assert info.value.code == 2 and "--preset cannot be combined with --resume" in capsys.readouterr().err


def test_no_spectral_norm_and_no_ema_turn_off_what_a_preset_turns_on(data_dir, tmp_path):
    with_all = ["--spectral-norm", "--ema", "0.9"]  # later flags win, as argparse reads them
    assert train(data_dir, tmp_path / "on", *with_all, "--max-steps", "1") == 0
    assert train(data_dir, tmp_path / "off", *with_all, "--no-spectral-norm", "--no-ema", "--max-steps", "1") == 0
    on, off = load_checkpoint(tmp_path / "on"), load_checkpoint(tmp_path / "off")
    assert (on["config"]["spectral_norm"], on["config"]["ema"]) == (True, 0.9) and "ema" in on
    assert (off["config"]["spectral_norm"], off["config"]["ema"]) == (False, 0.0) and "ema" not in off
    assert not any("weight_orig" in k for k in off["discriminator"])
