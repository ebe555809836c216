"""InfoGAN (Chen et al. 2016): a categorical code in G's noise that a head Q on D's features must recover.

The first ``--info-codes`` noise entries give the code (their argmax); the loss adds
``--info-weight`` * Q's cross-entropy on fakes to D's and G's losses, and ``--info-real-weight`` *
Q's information on real images (batch_information) to D's, which makes the code's categories the
data's clusters. Grids have one row per code. This family is tuned with a smaller batch (``recipe``).
"""
from __future__ import annotations

import dataclasses

from ..conditional.losses import checked_weight
from ..registry import Family
from .models import InfoDiscriminator, InfoGANLoss, InfoGenerator
from .step import InfoUpdater

__all__ = ["InfoGANFamily", "InfoGANOptions"]


@dataclasses.dataclass
class InfoGANOptions:
    info_codes: int = dataclasses.field(default=20, metadata={
        "help": "categories of the code, read from the first K noise entries, at most --latent-dim", "metavar": "K"})
    info_weight: float = dataclasses.field(default=1.0, metadata={
        "help": "weight of the code's mutual-information term (Q's cross-entropy on fakes) in D's and G's losses "
                "(the paper's for a categorical code)", "metavar": "W"})
    info_real_weight: float = dataclasses.field(default=1.0, metadata={
        "help": "weight of Q's information on real images in D's loss: Q sorts real images into confident, "
                "evenly used categories, so G's categories become the data's clusters (0: the paper's InfoGAN)",
        "metavar": "W"})


class InfoGANFamily(Family):
    name = "infogan"
    help = "InfoGAN: a DCGAN whose noise carries a categorical code that a head on D recovers (Chen et al. 2016)"
    Options = InfoGANOptions
    recipe = {"batch_size": 32}
    defaults = {"latent_dim": 100, "width": 64}

    def validate(self, config) -> None:
        super().validate(config)
        options = self.options(config)
        codes = options.info_codes
        if isinstance(codes, bool) or not isinstance(codes, int) or codes < 2:
            raise ValueError(f"--info-codes must be an integer >= 2, got {codes!r}")
        if config.latent_dim is not None and config.latent_dim < codes:
            raise ValueError(f"--latent-dim must be at least --info-codes {codes} for --model infogan (its {codes}-way "
                             f"code is read from the first {codes} noise entries), got {config.latent_dim}")
        for name in ("info_weight", "info_real_weight"):
            checked_weight("--model infogan", f"--{name.replace('_', '-')}", getattr(options, name))

    def model_config(self, config) -> dict:
        return {**super().model_config(config), "codes": self.options(config).info_codes}

    def build_models(self, config):
        codes = self.options(config).info_codes
        return (InfoGenerator(config.latent_dim, config.width, codes),
                InfoDiscriminator(config.width, codes))

    def build_generator(self, model_config: dict):
        return InfoGenerator(model_config.get("latent_dim", 100), model_config.get("width", 64),
                             model_config.get("codes", 10))

    def make_loss(self, adversarial, config):
        options = self.options(config)
        return InfoGANLoss(adversarial, options.info_weight, options.info_real_weight)

    def make_updater(self, G, D, opt_g, opt_d, loss, *, config, penalties, device):
        return InfoUpdater(G, D, opt_g, opt_d, loss, device=device, latent_dim=config.latent_dim,
                           n_critic=config.n_critic, penalties=penalties)
