"""``minigan train``'s stabiliser options: Wasserstein losses, penalties, spectral norm, EMA, lr schedules, presets.

One argument group (`add_arguments`), and `config_options(args, given)`, which adds the group's given
options (and --preset) to the TrainConfig fields; ``TrainConfig.resolved`` applies the one rule: the
options given, then the loss's own defaults (wgan-gp: n_critic 5, Adam (0, 0.9), lr 4e-4, a LayerNorm
critic, no spectral norm; wgan: n_critic 5, RMSprop 5e-5), then the --preset or the family's recipe::

    minigan train --loss wgan-gp --ema 0.999 --lr-schedule cosine
    minigan train --preset pytorch-dcgan            # the PyTorch DCGAN example's settings
"""
from __future__ import annotations

import argparse

from ..gan.core.critic import CRITIC_NORMS
from ..gan.core.lr_schedules import parse_lr_schedule
from ..gan.presets import PRESETS
from .registry import UsageError
from ..gan.core.arguments import non_negative_float, open_unit_float, positive_float, positive_int

__all__ = ["add_arguments", "config_options", "PRESETS", "OPTIONS"]

OPTIONS = {  # argparse dest -> TrainConfig field
    "critic_norm": "critic_norm", "gp_weight": "gp_weight", "clip": "clip", "r1": "r1", "r1_every": "r1_every",
    "spectral_norm": "spectral_norm", "ema": "ema", "lr_schedule": "lr_schedule",
}


_NO_EMA = "off"  # --no-ema's value: TrainConfig.ema None, given explicitly


def lr_schedule(text: str) -> str:
    try:
        parse_lr_schedule(text, 1)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "stabilisers and Wasserstein losses",
        "--loss wgan-gp / wgan (in --loss above) bring their own defaults: n-critic 5; wgan-gp Adam "
        "(0, 0.9), lr 4e-4 (the paper's 1e-4 is too slow for 5 epochs), a layer-norm critic; wgan RMSprop "
        "lr 5e-5; neither has spectral norm. Options given always win.")
    group.add_argument("--preset", choices=sorted(PRESETS), default=None,
                       help="a named recipe to start from instead of the family's own (default: none): "
                            "sngan-info: sngan-ema's recipe for --model infogan with 20 codes, --info-real-weight 1 "
                            "and batch 32 (what the defaults train; with another --model, sngan-ema); sngan-ema: hinge, spectral norm, no D norm, lr D 1.6e-3 / G 8e-4, Adam "
                            "(0, 0.9), EMA 0.995 of G; sngan-ttur: the same D at lr 8e-4 / 4e-4, no EMA; "
                            "pytorch-dcgan: the PyTorch DCGAN example's (bce, Adam 2e-4 (0.5, 0.999), batch 64, "
                            "BatchNorm D, no EMA), the reference run")
    group.add_argument("--gp-weight", type=non_negative_float, default=None, metavar="LAMBDA",
                       help="wgan-gp: weight of the gradient penalty on interpolates (default 10)")
    group.add_argument("--clip", type=positive_float, default=None, metavar="C",
                       help="wgan: clip the critic's weights to [-C, C] after each critic step (default 0.01)")
    group.add_argument("--critic-norm", choices=CRITIC_NORMS, default=None,
                       help="replace D's BatchNorm: layer (GroupNorm(1, C)), instance, none, or keep batch "
                            "(default none; layer for wgan-gp, batch for wgan and --preset pytorch-dcgan; a gradient "
                            "penalty refuses batch)")
    group.add_argument("--r1", type=non_negative_float, default=None, metavar="GAMMA",
                       help="R1 penalty gamma/2 E||grad D(x)||^2 on real images, any loss (default 0: off)")
    group.add_argument("--r1-every", type=positive_int, default=None, metavar="K",
                       help="lazy R1: apply it every K critic steps, scaled by K (default 1)")
    group.add_argument("--spectral-norm", action="store_const", const=True, default=None,
                       help="spectral normalisation on every conv and linear layer of D (on by default; off for "
                            "wgan-gp, wgan and --preset pytorch-dcgan)")
    group.add_argument("--no-spectral-norm", dest="spectral_norm", action="store_const", const=False,
                       help="no spectral normalisation, whatever the preset")
    group.add_argument("--ema", type=open_unit_float, default=None, metavar="DECAY",
                       help="keep an EMA of G's weights (e.g. 0.999); samples, grids, eval and the checkpoint's "
                            "generator for `minigan eval` use it (default 0.995; off for --preset pytorch-dcgan)")
    group.add_argument("--no-ema", dest="ema", action="store_const", const=_NO_EMA,
                       help="no EMA of G, whatever the preset")
    group.add_argument("--lr-schedule", type=lr_schedule, default=None, metavar="SPEC",
                       help="per-epoch lr schedule of both optimisers: cosine[:ETA_MIN], step:SIZE[:GAMMA], "
                            "exp:GAMMA, linear[:START[:END]] (default: constant)")


def config_options(args: argparse.Namespace, given: dict, resuming: bool) -> dict:
    """`given` (the general options given) plus this group's given options and --preset, as TrainConfig fields.
    On resume only the options given count (the saved config does the rest)."""
    mine = {field: getattr(args, dest) for dest, field in OPTIONS.items() if getattr(args, dest, None) is not None}
    if mine.get("ema") is _NO_EMA:
        mine["ema"] = None  # given: off (None would read as "not given" above)
    preset = getattr(args, "preset", None)
    if resuming:
        if preset:
            raise UsageError("--preset cannot be combined with --resume (the run keeps its saved settings)")
        return {**given, **mine}
    if "ema" in mine and mine["ema"] is None:
        mine["ema"] = 0   # TrainConfig reads None as "not given": 0 turns the average off
    return {**given, **mine, "preset": preset}
