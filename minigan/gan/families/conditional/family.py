"""The class-conditional families: G(z, y) and a D that knows the class.

    cgan          projection discriminator (Miyato & Koyama 2018)
    cgan-concat   the label concatenated to D's input (Mirza & Osindero 2014)
    acgan         D classifies what it scores (Odena et al. 2017): --class-weight, --fake-class-weight

Each step draws fake labels uniformly from the seeded stream (step.py); grids have one row per class;
evaluation adds class accuracy and per-class FID from minigan's classifier (report.py); `minigan sample`
draws N/10 images per class in class order, or N of one --class.
"""
from __future__ import annotations

import dataclasses
import os

from ....data.datasets import NUM_CLASSES
from ....evaluation import evaluate_samples, load_classifier
from ....evaluation.class_report import evaluate_class_samples, format_class_report
from ...core.sampling import generate, interleave_classes
from ..registry import Family
from .labels import class_order_labels, sampling_labels
from .losses import ACGANLoss, checked_weight
from .models import ACGANDiscriminator, ConcatDiscriminator, ConditionalGenerator, ProjectionDiscriminator
from .step import ConditionalUpdater

__all__ = ["ConditionalFamily", "CGANFamily", "CGANConcatFamily", "ACGANFamily", "ACGANOptions"]


class ConditionalFamily(Family):
    """What the three conditional families share: the generator, the step, sampling and evaluation by class."""

    discriminator: type = ProjectionDiscriminator

    def build_models(self, config):
        G = ConditionalGenerator(config.latent_dim, config.width, NUM_CLASSES)
        return G, self.discriminator(config.width, NUM_CLASSES)

    def build_generator(self, model_config: dict):
        return ConditionalGenerator(model_config.get("latent_dim", 100), model_config.get("width", 64), NUM_CLASSES)

    def validate(self, config) -> None:
        super().validate(config)
        if config.eval_every and config.eval_n % NUM_CLASSES:
            raise ValueError(f"--eval-n must be a multiple of {NUM_CLASSES} for --model {self.name} (the same "
                             f"number of samples of every class), got {config.eval_n}")

    def make_updater(self, G, D, opt_g, opt_d, loss, *, config, penalties, device):
        return ConditionalUpdater(G, D, opt_g, opt_d, loss, device=device, latent_dim=config.latent_dim,
                                  n_critic=config.n_critic, penalties=penalties)

    def sampling_labels(self, generator, n: int, class_index: int | None = None):
        return sampling_labels(generator, n, class_index=class_index)

    def evaluate_generator(self, generator, n: int, *, dataset: str, seed: int = 0, device: str = "cpu",
                           batch_size: int = 250, classifier=None, data_dir=None, baseline: bool = True,
                           **scoring) -> dict:
        """n // 10 images of every class: FID / IS / coverage of them mixed, then accuracy and per-class FID."""
        labels = class_order_labels(n, generator.num_classes)
        samples = generate(generator, n, device=device, seed=seed, batch_size=batch_size, labels=labels)
        if classifier is None or isinstance(classifier, (str, os.PathLike)):   # one classifier for both reports
            classifier = load_classifier(classifier or dataset, device=device)
        result = evaluate_samples(samples[interleave_classes(labels)], dataset, classifier=classifier,
                                  data_dir=data_dir, device=device, batch_size=batch_size, baseline=baseline,
                                  **scoring)
        result.update(evaluate_class_samples(samples, labels, dataset, classifier=classifier, data_dir=data_dir,
                                             device=device, batch_size=batch_size, baseline=baseline))
        return result

    def format_report(self, result: dict) -> str:
        return format_class_report(result)


class CGANFamily(ConditionalFamily):
    name = "cgan"
    help = "class-conditional DCGAN with a projection discriminator (Miyato & Koyama 2018)"


class CGANConcatFamily(ConditionalFamily):
    name = "cgan-concat"
    help = "class-conditional DCGAN, the label concatenated to D's input (Mirza & Osindero 2014)"
    discriminator = ConcatDiscriminator


@dataclasses.dataclass
class ACGANOptions:
    class_weight: float = dataclasses.field(default=1.0, metadata={
        "help": "weight of the class cross-entropy in D's and G's losses", "metavar": "W"})
    fake_class_weight: float = dataclasses.field(default=0.0, metadata={
        "help": "weight of the class cross-entropy on fakes in D's loss (0: D's classifier learns from real "
                "images only; the paper's loss: W = --class-weight)", "metavar": "W"})


class ACGANFamily(ConditionalFamily):
    name = "acgan"
    help = "auxiliary-classifier GAN: D scores and classifies (Odena et al. 2017)"
    Options = ACGANOptions
    discriminator = ACGANDiscriminator

    def validate(self, config) -> None:
        super().validate(config)
        options = self.options(config)
        for name in ("class_weight", "fake_class_weight"):
            checked_weight(f"--model {self.name}", f"--{name.replace('_', '-')}", getattr(options, name))

    def make_loss(self, adversarial, config):
        options = self.options(config)
        return ACGANLoss(adversarial, options.class_weight, options.fake_class_weight)
