"""The unconditional families: G(z) -> image, D(image) -> score, with Goodfellow's alternating step.

    dcgan   Radford et al.'s convolutional pair, sized for 28x28 (models.py)
    mlp     Goodfellow et al.'s fully connected pair
"""
from __future__ import annotations

from ..registry import Family
from .models import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator

__all__ = ["DCGANFamily", "MLPFamily"]


class DCGANFamily(Family):
    name = "dcgan"
    help = "the DCGAN: transposed-conv G, conv D (Radford et al. 2015), sized for 28x28"
    defaults = {"latent_dim": 100, "width": 64}

    def build_models(self, config):
        return DCGANGenerator(config.latent_dim, config.width), DCGANDiscriminator(config.width)

    def build_generator(self, model_config: dict):
        return DCGANGenerator(model_config.get("latent_dim", 100), model_config.get("width", 64))


class MLPFamily(Family):
    name = "mlp"
    help = "the original GAN's fully connected G and D (Goodfellow et al. 2014)"
    defaults = {"latent_dim": 100, "width": 256}

    def build_models(self, config):
        return MLPGenerator(config.latent_dim, config.width), MLPDiscriminator(config.width)

    def build_generator(self, model_config: dict):
        return MLPGenerator(model_config.get("latent_dim", 100), model_config.get("width", 256))
