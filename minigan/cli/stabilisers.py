"""``minigan train``'s issue-13 options: Wasserstein losses, penalties, spectral norm, EMA, lr schedules, presets.

One argument group (`add_arguments`), and `config_options(args, given)`, which turns the parsed
options into TrainConfig fields: a --preset first, then the loss's own defaults (wgan-gp: n_critic
5, Adam (0, 0.9), lr 1e-4, a LayerNorm critic; wgan: n_critic 5, RMSprop 5e-5), then every option
given on the command line, which always wins::

    minigan train --loss wgan-gp --ema 0.999 --lr-schedule cosine
    minigan train --preset pytorch-dcgan            # the trainer's original defaults, exactly
"""
from __future__ import annotations

import argparse

from ..gan.lr_schedules import parse_lr_schedule
from ..gan.training.stabilised_updater import CRITIC_NORMS, loss_defaults
from .registry import UsageError
from .validators import non_negative_float, open_unit_float, positive_float, positive_int

__all__ = ["add_arguments", "config_options", "PRESETS", "OPTIONS"]

# The PyTorch DCGAN example's settings, which were minigan train's defaults before issue 13: the reference run.
PRESETS = {
    "pytorch-dcgan": {"model": "dcgan", "loss": "bce", "g_loss": "non-saturating", "label_smoothing": 0.0,
                      "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.999, "n_critic": 1, "batch_size": 64,
                      "critic_norm": "batch", "r1": 0.0, "spectral_norm": False, "ema": None,
                      "lr_schedule": None},
    # The best recipe measured for issue 13 (docs/stabilisers.md): SNGAN's discriminator (Miyato et al. 2018:
    # hinge loss, spectral norm on every layer, no BatchNorm) with two time-scale rates (Heusel et al. 2017)
    # and Adam (0, 0.9). 5 MNIST epochs: FID 51.7, IS 7.43 vs the reference's 116.0, 6.82, at 0.89x its time
    # per epoch. No model: it combines with every model and task.
    "sngan-ttur": {"loss": "hinge", "spectral_norm": True, "critic_norm": "none", "lr_d": 8e-4, "lr_g": 4e-4,
                   "beta1": 0.0, "beta2": 0.9},
}

OPTIONS = {  # argparse dest -> TrainConfig field
    "critic_norm": "critic_norm", "gp_weight": "gp_weight", "clip": "clip", "r1": "r1", "r1_every": "r1_every",
    "spectral_norm": "spectral_norm", "ema": "ema", "lr_schedule": "lr_schedule",
}


def lr_schedule(text: str) -> str:
    try:
        parse_lr_schedule(text, 1)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "stabilisers and Wasserstein losses",
        "--loss wgan-gp / wgan (in --loss above) bring their papers' defaults: n-critic 5; wgan-gp Adam "
        "(0, 0.9), lr 1e-4, a layer-norm critic; wgan RMSprop lr 5e-5. Options given always win.")
    group.add_argument("--preset", choices=sorted(PRESETS), default=None,
                       help="pytorch-dcgan: the PyTorch DCGAN example's settings (bce, Adam 2e-4 (0.5, 0.999), "
                            "batch 64, BatchNorm D, no EMA): the reference run; sngan-ttur: hinge, spectral norm, "
                            "no D norm, lr D 8e-4 / G 4e-4, Adam (0, 0.9): the best measured (docs/stabilisers.md)")
    group.add_argument("--gp-weight", type=non_negative_float, default=None, metavar="LAMBDA",
                       help="wgan-gp: weight of the gradient penalty on interpolates (default 10)")
    group.add_argument("--clip", type=positive_float, default=None, metavar="C",
                       help="wgan: clip the critic's weights to [-C, C] after each critic step (default 0.01)")
    group.add_argument("--critic-norm", choices=CRITIC_NORMS, default=None,
                       help="replace D's BatchNorm: layer (GroupNorm(1, C)), instance, none, or keep batch "
                            "(default: layer for wgan-gp, else batch; a gradient penalty refuses batch)")
    group.add_argument("--r1", type=non_negative_float, default=None, metavar="GAMMA",
                       help="R1 penalty gamma/2 E||grad D(x)||^2 on real images, any loss (default 0: off)")
    group.add_argument("--r1-every", type=positive_int, default=None, metavar="K",
                       help="lazy R1: apply it every K critic steps, scaled by K (default 1)")
    group.add_argument("--spectral-norm", action="store_const", const=True, default=None,
                       help="spectral normalisation on every conv and linear layer of D")
    group.add_argument("--ema", type=open_unit_float, default=None, metavar="DECAY",
                       help="keep an EMA of G's weights (e.g. 0.999); samples, grids, eval and the checkpoint's "
                            "generator for `minigan eval` use it")
    group.add_argument("--lr-schedule", type=lr_schedule, default=None, metavar="SPEC",
                       help="per-epoch lr schedule of both optimisers: cosine[:ETA_MIN], step:SIZE[:GAMMA], "
                            "exp:GAMMA, linear[:START[:END]] (default: constant)")


def config_options(args: argparse.Namespace, given: dict, resuming: bool) -> dict:
    """TrainConfig fields from the preset, the loss's defaults and `given` (the general options given),
    plus this group's given options. On resume only the options given count (the saved config does the rest)."""
    mine = {field: getattr(args, dest) for dest, field in OPTIONS.items() if getattr(args, dest, None) is not None}
    if resuming:
        if getattr(args, "preset", None):
            raise UsageError("--preset cannot be combined with --resume (the run keeps its saved settings)")
        return {**given, **mine}
    preset = dict(PRESETS[args.preset]) if getattr(args, "preset", None) else {}
    loss = given.get("loss", preset.get("loss", "bce"))
    defaults = loss_defaults(loss)
    if given.get("task") == "inpaint":  # one D step per G step there: the loss's n_critic does not apply
        defaults.pop("n_critic", None)
    return {**preset, **defaults, **given, **mine}
