"""Named training recipes, and the one rule that merges a recipe, a loss's defaults and your own settings.

``minigan train`` starts from ``DEFAULT_PRESET`` unless ``--preset`` names another; ``minigan sweep``
and Python use the same rule (`preset_fields`)::

    from minigan.gan import GANTrainer, TrainConfig, preset_config
    GANTrainer(preset_config(out="runs/info")).train()                  # what `minigan train` runs
    GANTrainer(preset_config("pytorch-dcgan", out="runs/ref")).train()  # the reference, = TrainConfig()
    preset_config(loss="wgan-gp")     # the default recipe with wgan-gp's own settings (loss_defaults) on top

A field given always wins; then the loss's own defaults (``loss_defaults``: wgan-gp's n_critic 5, Adam
(0, 0.9), LayerNorm critic and no spectral norm; wgan's RMSprop); then the preset. The default preset is
tuned for its model (InfoGAN); a run of another model starts from the general recipe it was built on
(``FALLBACK``: sngan-ema), so ``minigan train --model cgan`` is sngan-ema's cGAN.

Why ``TrainConfig()``'s own field defaults stay the reference's (the PyTorch DCGAN example's): a checkpoint
stores its config by field, and one written before a field existed is read with that field's default. Keeping
the dataclass defaults fixed keeps every saved run meaning what it meant; a new recipe is a preset.
"""
from __future__ import annotations

from .config import TrainConfig
from .training.stabilised_updater import loss_defaults

__all__ = ["PRESETS", "DEFAULT_PRESET", "FALLBACK", "preset_fields", "preset_config"]

PRESETS: dict[str, dict] = {
    # The PyTorch DCGAN example's settings, which were minigan train's defaults before issue 13: the reference
    # run, and TrainConfig()'s field defaults.
    "pytorch-dcgan": {"model": "dcgan", "loss": "bce", "g_loss": "non-saturating", "label_smoothing": 0.0,
                      "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.999, "n_critic": 1, "batch_size": 64,
                      "critic_norm": "batch", "r1": 0.0, "spectral_norm": False, "ema": None,
                      "lr_schedule": None},
    # SNGAN's discriminator (Miyato et al. 2018: hinge loss, spectral norm on every layer, no BatchNorm) with
    # two time-scale rates (Heusel et al. 2017) and Adam (0, 0.9). 5 MNIST epochs: FID 51.7 (docs/stabilisers.md).
    "sngan-ttur": {"loss": "hinge", "spectral_norm": True, "critic_norm": "none", "lr_d": 8e-4, "lr_g": 4e-4,
                   "beta1": 0.0, "beta2": 0.9},
    # The recipe of every model but infogan (the default before sngan-info): the same D at twice the rates, and
    # G's samples from an EMA of its weights (decay 0.995: an average over about the last 200 steps; it took FID
    # from 48.9 for the raw G to 39.2). 5 MNIST epochs of the DCGAN: FID 39.2, IS 7.56 against the reference's
    # 116.0, 6.82. No model: it combines with every model (dcgan, mlp, cgan, cgan-concat, acgan, infogan).
    "sngan-ema": {"loss": "hinge", "spectral_norm": True, "critic_norm": "none", "lr_d": 1.6e-3, "lr_g": 8e-4,
                  "beta1": 0.0, "beta2": 0.9, "ema": 0.995},
}
# The default: sngan-ema's recipe tuned for InfoGAN (gan/info.py): a 20-way code, Q's information on real images
# at weight 1 (the clustering term: the categories G draws are the data's clusters, so its samples commit to one
# digit) and batch 32 (twice the steps per epoch). 5 MNIST epochs, seeds 0 / 1 / 2: FID 22.0 / 28.2 / 29.1, IS
# 8.84 / 8.83 / 8.71 (sngan-ema's DCGAN: 39.2, 7.56; the reference: 116.0, 6.82), at 1.25x the reference's time
# per epoch on 2 threads, 1.13x on one (docs/stabilisers.md, third round). It is a recipe for its model: with
# another --model, sngan-ema (FALLBACK), whose figures those models were measured with.
PRESETS["sngan-info"] = {**PRESETS["sngan-ema"], "model": "infogan", "info_codes": 20, "info_real_weight": 1.0,
                         "batch_size": 32}

# A preset tuned for one model, and the preset a run of any other model starts from instead.
FALLBACK = {"sngan-info": "sngan-ema"}

# What `minigan train` and `minigan sweep` start from when no --preset is given, for the GAN task
# (README: "Defaults"). The inpainting task starts from TrainConfig's fields and its model's own settings.
DEFAULT_PRESET = "sngan-info"


def preset_fields(preset: str | None = None, given: dict | None = None) -> dict:
    """TrainConfig fields: `preset`'s, overridden by the loss's defaults, overridden by `given`.

    `preset` None means the default: ``DEFAULT_PRESET`` for the GAN task, none for ``task="inpaint"`` (its
    settings are the inpainting model's own; a loss's n_critic does not apply there either: one D step per
    G step). ``"pytorch-dcgan"`` gives TrainConfig()'s own defaults, the reference run. A preset tuned for
    one model (``FALLBACK``: sngan-info, for infogan) gives way to its general preset (sngan-ema) when
    `given` names another model.
    """
    given = dict(given or {})
    inpainting = given.get("task") == "inpaint"
    if preset is None:
        preset = None if inpainting else DEFAULT_PRESET
    elif preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of: {', '.join(sorted(PRESETS))}")
    if preset in FALLBACK and given.get("model", PRESETS[preset]["model"]) != PRESETS[preset]["model"]:
        preset = FALLBACK[preset]   # a recipe tuned for its model: another model starts from the general one
    fields = dict(PRESETS[preset]) if preset is not None else {}
    defaults = loss_defaults(given.get("loss", fields.get("loss", TrainConfig.loss)))
    if inpainting:
        defaults.pop("n_critic", None)
    return {**fields, **defaults, **given}


def preset_config(preset: str | None = None, **fields) -> TrainConfig:
    """The TrainConfig `minigan train` builds from `preset` (None: the default) and these fields, unvalidated."""
    return TrainConfig(**preset_fields(preset, fields))
