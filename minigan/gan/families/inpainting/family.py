"""Inpainting: an encoder-decoder G completes masked images (visible pixels kept exactly), D judges
whole images (Pathak et al. 2016's context encoder with a GAN loss; a U-Net G by default).

``--task inpaint`` picks this family. It is tuned with the PyTorch DCGAN example's optimiser settings
(``recipe``) and one D step per G step (``fixed``); its grid shows masked input | completion | original
for fixed training examples; its evaluation completes test images and scores them (metrics.py).
Complete images afterwards with ``minigan inpaint``.
"""
from __future__ import annotations

import dataclasses

from ....data.datasets import NUM_CLASSES
from ..conditional.losses import checked_weight
from ..registry import Family
from . import command
from .checkpoint import INPAINT_TASK
from .losses import RECONSTRUCTIONS, InpaintingLoss
from .masks import MASK_KINDS, MaskSampler
from .models import InpaintingGenerator, build_inpainting_models
from .step import InpaintUpdater, mask_seed

__all__ = ["InpaintingFamily", "InpaintingOptions"]


@dataclasses.dataclass
class InpaintingOptions:
    mask: str = dataclasses.field(default="random", metadata={
        "help": "training masks: a mix of center, bottom-half, right-half and random-box (random), so one model "
                "serves every mask", "choices": MASK_KINDS})
    rec_weight: float = dataclasses.field(default=100.0, metadata={
        "help": "weight of the reconstruction loss on the hidden pixels", "metavar": "W"})
    adv_weight: float = dataclasses.field(default=1.0, metadata={
        "help": "weight of the adversarial loss (0: a plain context autoencoder)", "metavar": "W"})
    rec_loss: str = dataclasses.field(default="l1", metadata={"help": "the reconstruction loss",
                                                              "choices": RECONSTRUCTIONS})
    unet: bool = dataclasses.field(default=True, metadata={"help": "U-Net skip connections in G"})
    aux_classes: bool = dataclasses.field(default=False, metadata={
        "help": "give D an auxiliary class head: a class loss on real images and completions"})
    class_weight: float = dataclasses.field(default=1.0, metadata={
        "help": "with --aux-classes: weight of the class cross-entropy", "metavar": "W"})


class InpaintingFamily(Family):
    name = "inpaint"
    help = "inpainting: an encoder-decoder G completes masked digits, D judges whole images"
    task = INPAINT_TASK
    Options = InpaintingOptions
    recipe = {"loss": "bce", "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.999, "critic_norm": "batch",
              "spectral_norm": False, "ema": None}
    fixed = {"n_critic": 1}
    defaults = {"latent_dim": 0, "width": 32}
    commands = command.COMMANDS

    def validate(self, config) -> None:
        super().validate(config)
        options = self.options(config)
        if options.mask not in MASK_KINDS:
            raise ValueError(f"unknown --mask {options.mask!r}; choose one of: {', '.join(MASK_KINDS)}")
        if options.rec_loss not in RECONSTRUCTIONS:
            raise ValueError(f"--rec-loss must be one of {', '.join(RECONSTRUCTIONS)}, got {options.rec_loss!r}")
        for name in ("rec_weight", "adv_weight", "class_weight"):
            checked_weight("--model inpaint", f"--{name.replace('_', '-')}", getattr(options, name))
        if options.class_weight != 1.0 and not options.aux_classes:
            raise ValueError("--class-weight applies to --model inpaint with --aux-classes only")

    def model_config(self, config) -> dict:
        options = self.options(config)
        return {"width": config.width, "d_width": 2 * config.width, "unet": options.unet, "noise": "dropout",
                "num_classes": NUM_CLASSES if options.aux_classes else 0}

    def build_models(self, config):
        options = self.options(config)
        return build_inpainting_models(config.width, 2 * config.width, unet=options.unet,
                                       num_classes=NUM_CLASSES if options.aux_classes else 0)

    def build_generator(self, model_config: dict):
        return InpaintingGenerator(int(model_config.get("width", 32)), unet=bool(model_config.get("unet", True)),
                                   noise=str(model_config.get("noise", "dropout")))

    def make_loss(self, adversarial, config):
        options = self.options(config)
        return InpaintingLoss(adversarial, reconstruction=options.rec_loss, rec_weight=options.rec_weight,
                              adv_weight=options.adv_weight, class_weight=options.class_weight)

    def make_updater(self, G, D, opt_g, opt_d, loss, *, config, penalties, device):
        options = self.options(config)
        sampler = MaskSampler(options.mask, seed=mask_seed(config.seed))
        return InpaintUpdater(G, D, opt_g, opt_d, loss, sampler, device=device, aux_classes=options.aux_classes,
                              penalties=penalties)

    def sampling_labels(self, generator, n: int, class_index: int | None = None):
        raise ValueError("an inpainting generator completes images rather than drawing them: use "
                         "`minigan inpaint --checkpoint RUN`")

    def add_eval_arguments(self, parser, source) -> None:
        command.add_eval_arguments(parser, source)

    def run_eval(self, args):
        if args.inpaint is not None or command.is_inpainting_checkpoint(args.checkpoint):
            return command.run_inpaint_eval(args)
        return None

    def evaluate_generator(self, generator, n: int, **scoring) -> dict:
        raise ValueError("an inpainting checkpoint is scored on its completions: `minigan eval --checkpoint RUN "
                         "--mask KIND` (or `minigan inpaint` then `minigan eval --inpaint FILE`)")
