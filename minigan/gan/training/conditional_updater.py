"""ConditionalUpdater: the alternating GAN step for class-conditional models (cGAN, cGAN-concat, AC-GAN).

The same step as ``GANUpdater`` with labels threaded through it (issue 11):

    for each real batch (x, y) from the loader:
        z ~ N(0, I);  y_fake ~ uniform over the classes (both from minigan's seeded stream,
        so a checkpointed RNG state resumes the same noise and the same labels)
        fake = G(z, y_fake)
        cGAN:   D loss = loss.d_real(D(x, y)) + loss.d_fake(D(fake.detach(), y_fake))
        AC-GAN: D loss = loss.d_real(*D(x), y) + loss.d_fake(*D(fake.detach()), y_fake)
    cGAN:   G loss = loss.g(D(fake, y_fake));   AC-GAN: loss.g(*D(fake), y_fake)

Any unconditional ``GANLoss`` (bce, lsgan, hinge, the Wasserstein one) works: the cGAN
discriminators score (x, y) pairs, and for AC-GAN the loss is wrapped in ``ACGANLoss`` with
``config.class_weight``. The per-epoch grid has one row per class with the same fixed noise
in every row, so a column shows one "style" across the classes::

    GANTrainer(TrainConfig(model="acgan", class_weight=1.0, epochs=5)).train()   # picks this updater
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...autograd import Tensor, no_grad
from ..conditional import ACGANDiscriminator
from ..conditional_losses import ACGANLoss
from ..labels import check_labels, class_order_labels, conditional_grid_inputs, uniform_labels
from ..losses import GANLoss
from ..sampling import generate
from .updater import GANUpdater, frozen, grad_norm, mean_sigmoid

__all__ = ["ConditionalUpdater"]


class ConditionalUpdater(GANUpdater):
    """One step of a class-conditional GAN: D on (real, y) and (fake, y_fake) pairs, then G; see the module doc.

    `loss` is a ``GANLoss`` for cGAN discriminators (which take the label) or an ``ACGANLoss``
    for an AC-GAN discriminator (which returns scores and class logits).
    """

    def __init__(self, generator, discriminator, opt_g, opt_d, loss, *, device="cpu", latent_dim: int | None = None,
                 n_critic: int = 1):
        super().__init__(generator, discriminator, opt_g, opt_d, loss, device=device, latent_dim=latent_dim,
                         n_critic=n_critic)
        self.num_classes = int(generator.num_classes)
        self.auxiliary = isinstance(loss, ACGANLoss)   # AC-GAN: D sees images only and classifies them

    @classmethod
    def from_config(cls, config, generator, discriminator, loss, device) -> "ConditionalUpdater":
        """Adam as for the DCGAN; an AC-GAN discriminator gets `loss` wrapped in ACGANLoss (config's class weights)."""
        if isinstance(discriminator, ACGANDiscriminator) and isinstance(loss, GANLoss):
            loss = ACGANLoss(loss, getattr(config, "class_weight", 1.0), getattr(config, "fake_class_weight", 0.0))
        k = int(generator.num_classes)
        if config.eval_every and config.eval_n % k:
            raise ValueError(f"eval_n must be a multiple of {k} for a conditional model (the same number of "
                             f"samples of every class), got {config.eval_n}")
        return super().from_config(config, generator, discriminator, loss, device)

    # ---- labels -------------------------------------------------------------------------------
    def _labels(self, batch, n: int):
        """The real batch's labels (from the loader), checked, on the updater's device."""
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise TypeError("ConditionalUpdater: a conditional model needs (images, labels) batches; the loader "
                            "gave images only")
        labels = batch[1]
        return Tensor(check_labels(labels, self.num_classes, n, "ConditionalUpdater", device=self.device,
                                   against=f"a real batch of {n} images"))

    def fake_labels(self, n: int) -> Tensor:
        """Labels of a fake batch: uniform over the classes, from the seeded stream (resumes identically)."""
        return uniform_labels(n, self.num_classes, device=self.device)

    # ---- D and G scores, with or without the auxiliary classifier -------------------------------
    def _scores(self, images: Tensor, labels: Tensor):
        """(what the loss takes as D's output, the real/fake scores alone)."""
        if self.auxiliary:
            scores, class_logits = self.D(images)
            return (scores, class_logits, labels), scores
        scores = self.D(images, labels)
        return (scores,), scores

    def discriminator_step(self, x: Tensor, y: Tensor, fake_for_d: Tensor, fake_y: Tensor, record: dict) -> None:
        """One D update on a real and a fake batch with their labels; fills loss_D, D_x, D_G_z, grad_norm_D."""
        self.opt_d.zero_grad()
        real_args, real_scores = self._scores(x, y)              # separate real and fake passes:
        fake_args, fake_scores = self._scores(fake_for_d, fake_y)  # separate BatchNorm statistics
        loss_d = self.loss.d_real(*real_args) + self.loss.d_fake(*fake_args)
        if self.statistics:
            loss_d_value = float(loss_d.item())
            self.check_finite(loss_d_value, "loss_D")
        loss_d.backward()
        if self.statistics:
            record["grad_norm_D"] = grad_norm(self.D.parameters())
        self.opt_d.step()
        if self.statistics:
            record["loss_D"] = loss_d_value
            record["D_x"] = mean_sigmoid(real_scores)
            record["D_G_z"] = mean_sigmoid(fake_scores)

    def generator_step(self, fake: Tensor, fake_y: Tensor, record: dict) -> None:
        """One G update on D's scores of (fake, fake_y), with D's weights frozen for the backward pass."""
        self.opt_g.zero_grad()
        with frozen(self.D):  # no gradients for D's weights in G's backward pass
            args, scores = self._scores(fake, fake_y)
            loss_g = self.loss.g(*args)
            if self.statistics:
                loss_g_value = float(loss_g.item())
                self.check_finite(loss_g_value, "loss_G")
            loss_g.backward()
        if self.statistics:
            record["grad_norm_G"] = grad_norm(self.G.parameters())
        self.opt_g.step()
        if self.statistics:
            record["loss_G"] = loss_g_value
            record["D_G_z_after"] = mean_sigmoid(scores)

    def step(self, batches: Sequence) -> dict:
        """One generator update after len(batches) discriminator updates; returns the log record."""
        G = self.G
        G.train()
        self.D.train()
        fake = fake_y = None
        record: dict[str, Any] = {}
        for k, batch in enumerate(batches):
            x = self._real(batch)
            y = self._labels(batch, x.shape[0])
            z = self.noise(x.shape[0])
            labels = self.fake_labels(x.shape[0])
            if k == len(batches) - 1:
                fake, fake_y = G(z, labels), labels   # kept with its graph: the G step reuses it
                fake_for_d = fake.detach()
            else:
                with no_grad():
                    fake_for_d = G(z, labels)
            self.discriminator_step(x, y, fake_for_d, labels, record)
        self.generator_step(fake, fake_y, record)
        return record

    # ---- grids and evaluation samples -----------------------------------------------------------
    def fixed_inputs(self, seed: int, n: int) -> np.ndarray:
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
