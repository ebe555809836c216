"""ConditionalUpdater: the alternating GAN step for class-conditional models (cGAN, cGAN-concat, AC-GAN).

The same step as ``GANUpdater`` with labels threaded through it:

    for each real batch (x, y) from the loader:
        z ~ N(0, I);  y_fake ~ uniform over the classes (both from minigan's seeded stream,
        so a checkpointed RNG state resumes the same noise and the same labels)
        fake = G(z, y_fake)
        cGAN:   D loss = loss.d_real(D(x, y)) + loss.d_fake(D(fake.detach(), y_fake))
        AC-GAN: D loss = loss.d_real(*D(x), y) + loss.d_fake(*D(fake.detach()), y_fake)
    cGAN:   G loss = loss.g(D(fake, y_fake));   AC-GAN: loss.g(*D(fake), y_fake)

Any unconditional ``GANLoss`` (bce, lsgan, hinge, the Wasserstein ones) works: the cGAN
discriminators score (x, y) pairs, and for AC-GAN the loss is wrapped in ``ACGANLoss`` with
the acgan family's class weights. The step is ``GANUpdater``'s with its hooks filled in (labels, fakes,
and ``score``: how D scores a batch); a penalty is taken w.r.t. the image with the label held fixed
(D(x_hat, y) with the real batch's labels; an AC-GAN D's real/fake head).
The per-epoch grid has one row per class with the same fixed noise in every row, so a column
shows one "style" across the classes::

    GANTrainer(TrainConfig(model="acgan", class_weight=1.0, epochs=5)).train()   # the acgan family's step
"""
from __future__ import annotations

import numpy as np

from ....autograd import Tensor
from ....distributed.sharding import draw_rows
from .losses import ACGANLoss
from .labels import check_labels, class_order_labels, conditional_grid_inputs, uniform_labels
from ....evaluation import evaluate_samples, load_classifier
from ...core.sampling import generate, interleave_classes, is_conditional
from ....evaluation.class_report import evaluate_class_samples
from ...training.updater import GANUpdater

__all__ = ["ConditionalUpdater"]


class ConditionalUpdater(GANUpdater):
    """One step of a class-conditional GAN: D on (real, y) and (fake, y_fake) pairs, then G; see the module doc.

    `loss` is a ``GANLoss`` for cGAN discriminators (which take the label) or an ``ACGANLoss``
    for an AC-GAN discriminator (which returns scores and class logits).
    """

    def __init__(self, generator, discriminator, opt_g, opt_d, loss, *, device="cpu", latent_dim: int | None = None,
                 n_critic: int = 1, penalties=()):
        super().__init__(generator, discriminator, opt_g, opt_d, loss, device=device, latent_dim=latent_dim,
                         n_critic=n_critic, penalties=penalties)
        if not is_conditional(generator):
            raise ValueError(f"the conditional families' step (--model cgan, cgan-concat, acgan) needs a generator "
                             f"that takes labels, G(z, labels) with num_classes; got {type(generator).__name__}")
        self.num_classes = int(generator.num_classes)
        self.auxiliary = isinstance(loss, ACGANLoss)   # AC-GAN: D sees images only and classifies them

    # ---- GANUpdater's hooks: labels, fakes and D's scores ---------------------------------------------
    def real_labels(self, batch, n: int) -> Tensor:
        """The real batch's labels (from the loader), checked, on the updater's device."""
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise TypeError("ConditionalUpdater: a conditional model needs (images, labels) batches; the loader "
                            "gave images only")
        labels = batch[1]
        return Tensor(check_labels(labels, self.num_classes, n, "ConditionalUpdater", device=self.device,
                                   against=f"a real batch of {n} images"))

    def fake_labels(self, n: int, z: Tensor | None = None) -> Tensor:
        """Labels of a fake batch: uniform over the classes, from the seeded stream (resumes identically)."""
        return draw_rows(lambda rows: uniform_labels(rows, self.num_classes, device=self.device), n)

    def make_fakes(self, z: Tensor, labels: Tensor) -> Tensor:
        return self.G(z, labels)

    def score(self, images: Tensor, labels: Tensor | None = None) -> tuple[tuple, Tensor]:
        """(what the loss takes as D's output, the real/fake scores alone): D(x, y), or an AC-GAN D's
        (scores, class logits) with the labels for its class loss."""
        if self.auxiliary:
            scores, class_logits = self.D(images)
            return (scores, class_logits, labels), scores
        scores = self.D(images, labels)
        return (scores,), scores

    # ---- grids and evaluation samples -----------------------------------------------------------
    def fixed_inputs(self, seed: int, n: int, loader=None) -> np.ndarray:
        """Grid noise: ceil(n / classes) vectors, the same in every class's row (checkpointed as 'fixed_noise')."""
        per_row = -(-int(n) // self.num_classes)
        z, _ = conditional_grid_inputs(self.num_classes, per_row, self.latent_dim, seed=seed)
        return z

    def grid_columns(self, fixed: np.ndarray) -> int:
        """Images per row of the grid drawn from `fixed`: the grid has one row per class."""
        return len(fixed) // self.num_classes

    def sample(self, fixed: np.ndarray) -> np.ndarray:
        """One row per class: row c is G(z_j, c) for the same z_j in every row."""
        fixed = np.asarray(fixed, dtype=np.float32)
        labels = class_order_labels(len(fixed), self.num_classes)
        return generate(self.generator, len(fixed), noise=fixed, labels=labels, batch_size=max(len(fixed), 1),
                        device=self.device)

    def evaluation_samples(self, n: int, *, seed: int, batch_size: int) -> np.ndarray:
        """n // classes images of every class in class order, from their own seeded noise (as ``minigan eval``)."""
        return generate(self.generator, n, latent_dim=self.latent_dim, batch_size=batch_size, seed=seed,
                        labels=class_order_labels(n, self.num_classes), device=self.device)

    def evaluate(self, n: int, *, dataset: str, data_dir=None, seed: int = 0, batch_size: int = 250) -> dict:
        """FID, IS and coverage of n // classes samples of every class mixed evenly (as ``minigan eval`` scores
        them: IS splits of class order would hold one class each), plus class_accuracy, class_fid,
        mean_class_fid and their real baselines (report.evaluate_class_samples)."""
        samples = self.evaluation_samples(n, seed=seed, batch_size=batch_size)
        labels = self.evaluation_labels(n)
        device = str(self.device)
        classifier = load_classifier(dataset, device=device)   # one for both reports
        scores = evaluate_samples(samples[interleave_classes(labels)], dataset, classifier=classifier,
                                  data_dir=data_dir, device=device, batch_size=batch_size)
        try:
            scores.update(evaluate_class_samples(samples, labels, dataset, classifier=classifier, data_dir=data_dir,
                                                 device=device, batch_size=batch_size))
        except ValueError as exc:  # e.g. a test set without some class: keep the unconditional scores
            scores["class_error"] = str(exc)
        return scores

    def evaluation_labels(self, n: int) -> np.ndarray:
        """The classes of ``evaluation_samples(n)``: n // classes of each, in class order."""
        return class_order_labels(n, self.num_classes)
