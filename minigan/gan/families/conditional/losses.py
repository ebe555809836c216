"""Losses of the conditional GANs: AC-GAN's adversarial + class terms, on top of any unconditional GANLoss.

A cGAN (projection or concatenation D) needs no new loss: its discriminator
already scores the pair (x, y), so any `GANLoss` (bce, lsgan, hinge, ...) is
applied to ``D(x, y)`` as it is. AC-GAN (Odena et al. 2017) adds a class term
with weight w (``class_weight``), and D's class term on fakes its own weight w_f (``fake_class_weight``):

    D:  adversarial.d(real, fake) + w * CE(class_logits(x), y_real) + w_f * CE(class_logits(G(z, y)), y_fake)
    G:  adversarial.g(fake)       + w * CE(class_logits(G(z, y)), y_fake)        (the intended class)

The paper's D has w_f = w. minigan's default is w_f = 0 (D's classifier learns from real images
only), because with the fake term on, D and G can agree on their own labelling of the fakes: on
MNIST, one epoch of `minigan train --model acgan` gave samples of the asked class 34% of the time
with w_f = 1 (whole classes swapped: asked-for 6s drawn as 0s) and 91% with w_f = 0. Pass
``fake_class_weight=class_weight`` (``--fake-class-weight``) for the paper's loss.

Like `GANLoss`, the D loss has a real and a fake part so the two batches can
go through D in separate forward passes (separate BatchNorm statistics):

    loss = ACGANLoss(build_loss("hinge"), class_weight=1.0, fake_class_weight=0.0)
    scores, class_logits = D(real)
    d_real = loss.d_real(scores, class_logits, real_labels)
    scores, class_logits = D(fake.detach())
    d_fake = loss.d_fake(scores, class_logits, fake_labels)
    ...
    g = loss.g(*D(fake), fake_labels)
"""
from __future__ import annotations

import math

from ....autograd import Tensor
from ....nn import functional as F
from .labels import check_labels
from ...core.losses import GANLoss, build_loss

__all__ = ["ACGANLoss", "class_loss", "checked_adversarial", "checked_weight"]


def class_loss(class_logits: Tensor, labels, op: str = "class_loss") -> Tensor:
    """Mean cross-entropy of class logits (N, K) against integer labels (N,), labels checked first."""
    return F.cross_entropy(class_logits, Tensor(_checked_labels(class_logits, labels, op)))


def _checked_labels(class_logits: Tensor, labels, op: str):
    if class_logits.ndim != 2:
        raise ValueError(f"{op}: class logits must have shape (N, num_classes), got {tuple(class_logits.shape)}")
    n, k = class_logits.shape
    return check_labels(labels, k, n, op, device=class_logits.device,
                        against=f"class logits of shape {tuple(class_logits.shape)}")


class ACGANLoss:
    """AC-GAN's losses: `adversarial` (a GANLoss) on the real/fake logits + `class_weight` * class cross-entropy."""

    def __init__(self, adversarial: GANLoss | None = None, class_weight: float = 1.0, fake_class_weight: float = 0.0):
        self.adversarial = checked_adversarial(adversarial, "ACGANLoss")
        self.class_weight = checked_weight("ACGANLoss", "class_weight", class_weight)
        self.fake_class_weight = checked_weight("ACGANLoss", "fake_class_weight", fake_class_weight)

    def d_real(self, real_scores: Tensor, real_class_logits: Tensor, real_labels) -> Tensor:
        """D's loss on a real batch: adversarial + w * CE on the data's own classes."""
        return self.adversarial.d_real(real_scores) + self.class_weight * class_loss(
            real_class_logits, real_labels, "ACGANLoss.d_real")

    def d_fake(self, fake_scores: Tensor, fake_class_logits: Tensor, fake_labels) -> Tensor:
        """D's loss on a fake batch (scores of G(z, y).detach()): adversarial + w_f * CE on the sampled classes.

        The labels are checked even when w_f = 0 (a bad batch is an error either way)."""
        if self.fake_class_weight == 0.0:   # no zero-weighted branch through the class head
            _checked_labels(fake_class_logits, fake_labels, "ACGANLoss.d_fake")
            return self.adversarial.d_fake(fake_scores)
        return self.adversarial.d_fake(fake_scores) + self.fake_class_weight * class_loss(
            fake_class_logits, fake_labels, "ACGANLoss.d_fake")

    def d(self, real_scores: Tensor, real_class_logits: Tensor, real_labels, fake_scores: Tensor,
          fake_class_logits: Tensor, fake_labels) -> Tensor:
        return (self.d_real(real_scores, real_class_logits, real_labels)
                + self.d_fake(fake_scores, fake_class_logits, fake_labels))

    def g(self, fake_scores: Tensor, fake_class_logits: Tensor, fake_labels) -> Tensor:
        """G's loss on D's outputs for G(z, y): adversarial + w * CE of the class G was asked for."""
        return self.adversarial.g(fake_scores) + self.class_weight * class_loss(
            fake_class_logits, fake_labels, "ACGANLoss.g")

    def config(self) -> dict:
        return {**self.adversarial.config(), "class_weight": self.class_weight,
                "fake_class_weight": self.fake_class_weight}

    def __repr__(self) -> str:
        return (f"ACGANLoss({self.adversarial!r}, class_weight={self.class_weight!r}, "
                f"fake_class_weight={self.fake_class_weight!r})")


def checked_adversarial(adversarial: GANLoss | None, owner: str) -> GANLoss:
    """The adversarial part of a loss that adds a head's term (`owner`: ACGANLoss, InfoGANLoss): a GANLoss, BCE
    when None, else a TypeError naming the owner."""
    adversarial = build_loss("bce") if adversarial is None else adversarial
    if not isinstance(adversarial, GANLoss):
        raise TypeError(f"{owner}: adversarial must be a GANLoss (e.g. build_loss('hinge')), "
                        f"got {type(adversarial).__name__}")
    return adversarial


def checked_weight(owner: str, name: str, value) -> float:
    """`value` as a float, which must be finite and >= 0 (a ValueError naming `owner` and `name` otherwise)."""
    weight = float(value)
    if not math.isfinite(weight) or weight < 0:
        raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {value!r}")
    return weight
