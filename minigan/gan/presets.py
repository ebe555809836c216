"""Named training recipes, and the one rule that merges a recipe, a loss's defaults and your own settings.

``minigan train`` starts from ``DEFAULT_PRESET`` unless ``--preset`` names another; ``minigan sweep``
and Python use the same rule (`preset_fields`)::

    from minigan.gan import GANTrainer, TrainConfig, preset_config
    GANTrainer(preset_config(out="runs/info")).train()                  # what `minigan train` runs
    GANTrainer(preset_config("pytorch-dcgan", out="runs/ref")).train()  # the reference, = TrainConfig()
    preset_config(loss="wgan-gp")     # the default recipe with wgan-gp's own settings (loss_defaults) on top

A field given always wins; then the loss's own defaults (``loss_defaults``: wgan-gp's n_critic 5, Adam
(0, 0.9), LayerNorm critic and no spectral norm; wgan's RMSprop); then the preset. A preset's fields that
belong to one model (``MODEL_FIELDS``: InfoGAN's weights) are left out when the run is another model, so
``minigan train --model cgan`` is the default recipe for a cGAN.

Why ``TrainConfig()``'s own field defaults stay the reference's (the PyTorch DCGAN example's): a checkpoint
stores its config by field, and one written before a field existed is read with that field's default. Keeping
the dataclass defaults fixed keeps every saved run meaning what it meant; a new recipe is a preset.
"""
from __future__ import annotations

from .config import TrainConfig
from .training.stabilised_updater import loss_defaults

__all__ = ["PRESETS", "DEFAULT_PRESET", "MODEL_FIELDS", "preset_fields", "preset_config"]

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
    # The default: the same D at twice the rates, and G's samples from an EMA of its weights (decay 0.995: an
    # average over about the last 200 steps; it took FID from 48.9 for the raw G to 39.2).
    # 5 MNIST epochs: FID 39.2, IS 7.56 against the reference's 116.0, 6.82. No model: it combines with every
    # model (dcgan, mlp, cgan, cgan-concat, acgan).
    "sngan-ema": {"loss": "hinge", "spectral_norm": True, "critic_norm": "none", "lr_d": 1.6e-3, "lr_g": 8e-4,
                  "beta1": 0.0, "beta2": 0.9, "ema": 0.995},
}
# The default: sngan-ema's recipe for InfoGAN (gan/info.py), with Q's information on real images (CatGAN's
# clustering term) at weight 1: the categories G draws are the data's clusters, and its samples commit to one
# digit. 5 MNIST epochs: FID FIGURE, IS FIGURE (sngan-ema's DCGAN: 39.2, 7.56). With another --model, the
# sngan-ema recipe (the InfoGAN weights are left out: MODEL_FIELDS).
PRESETS["sngan-info"] = {**PRESETS["sngan-ema"], "model": "infogan", "info_real_weight": 1.0}

# Preset fields that mean something for one model only: dropped from a preset when the run's model is another.
MODEL_FIELDS = {"info_weight": "infogan", "info_real_weight": "infogan", "info_codes": "infogan"}

# What `minigan train` and `minigan sweep` start from when no --preset is given, for the GAN task
# (README: "Defaults"). The inpainting task starts from TrainConfig's fields and its model's own settings.
DEFAULT_PRESET = "sngan-info"


def preset_fields(preset: str | None = None, given: dict | None = None) -> dict:
    """TrainConfig fields: `preset`'s, overridden by the loss's defaults, overridden by `given`.

    `preset` None means the default: ``DEFAULT_PRESET`` for the GAN task, none for ``task="inpaint"`` (its
    settings are the inpainting model's own; a loss's n_critic does not apply there either: one D step per
    G step). ``"pytorch-dcgan"`` gives TrainConfig()'s own defaults, the reference run.
    """
    given = dict(given or {})
    inpainting = given.get("task") == "inpaint"
    if preset is None:
        preset = None if inpainting else DEFAULT_PRESET
    elif preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of: {', '.join(sorted(PRESETS))}")
    fields = dict(PRESETS[preset]) if preset is not None else {}
    model = given.get("model", fields.get("model", TrainConfig.model))
    fields = {k: v for k, v in fields.items() if MODEL_FIELDS.get(k, model) == model}
    defaults = loss_defaults(given.get("loss", fields.get("loss", TrainConfig.loss)))
    if inpainting:
        defaults.pop("n_critic", None)
    return {**fields, **defaults, **given}


def preset_config(preset: str | None = None, **fields) -> TrainConfig:
    """The TrainConfig `minigan train` builds from `preset` (None: the default) and these fields, unvalidated."""
    return TrainConfig(**preset_fields(preset, fields))
