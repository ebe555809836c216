"""Named training recipes: ``minigan train --preset NAME`` (``TrainConfig(preset=NAME)`` in Python).

Without a preset a run starts from the common defaults (config.py) and its family's own recipe; a preset
replaces both with every recipe setting it names (a loss's own defaults and the options given still win):

    pytorch-dcgan   the PyTorch DCGAN example's settings: the reference run
    sngan-ttur      SNGAN's discriminator (hinge, spectral norm, no BatchNorm) with two time-scale rates
    sngan-ema       the same D at twice the rates, and samples from an EMA of G (the common defaults' recipe)
    sngan-info      sngan-ema's recipe for InfoGAN as the infogan family tunes it (what `minigan train` runs)

The figures each reaches are in docs/.
"""
from __future__ import annotations

__all__ = ["PRESETS", "FALLBACK"]

_REFERENCE = {"model": "dcgan", "loss": "bce", "g_loss": "non-saturating", "label_smoothing": 0.0, "lr_g": 2e-4,
              "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.999, "n_critic": 1, "batch_size": 64, "critic_norm": "batch",
              "r1": 0.0, "spectral_norm": False, "ema": None, "lr_schedule": None}

PRESETS: dict[str, dict] = {
    "pytorch-dcgan": dict(_REFERENCE),
    # Miyato et al. 2018's discriminator with Heusel et al. 2017's two time-scale rates and Adam (0, 0.9).
    "sngan-ttur": {**_REFERENCE, "loss": "hinge", "spectral_norm": True, "critic_norm": "none", "lr_d": 8e-4,
                   "lr_g": 4e-4, "beta1": 0.0, "beta2": 0.9},
    # The same D at twice the rates, G's samples from an EMA of its weights (decay 0.995: about the last 200
    # steps). No model of its own: with --model it combines with every family.
    "sngan-ema": {**_REFERENCE, "loss": "hinge", "spectral_norm": True, "critic_norm": "none", "lr_d": 1.6e-3,
                  "lr_g": 8e-4, "beta1": 0.0, "beta2": 0.9, "ema": 0.995},
}
# sngan-ema's recipe with the infogan family's tuning: a 20-way code, Q's information on real images at
# weight 1 (the code's categories become the data's clusters) and batch 32.
PRESETS["sngan-info"] = {**PRESETS["sngan-ema"], "model": "infogan", "info_codes": 20, "info_real_weight": 1.0,
                         "batch_size": 32}

# A preset tuned for one model, and the preset a run of any other model starts from instead.
FALLBACK = {"sngan-info": "sngan-ema"}
