"""GAN objectives on discriminator scores (logits): BCE (minimax / non-saturating), LSGAN, hinge.

Every loss has three parts, so the discriminator can score real and fake
batches in separate forward passes (separate BatchNorm statistics per batch,
as PyTorch's DCGAN example does):

    loss.d_real(real_scores)   D's loss on a real batch
    loss.d_fake(fake_scores)   D's loss on a fake batch (scores of G(z).detach())
    loss.g(fake_scores)        G's loss on D's scores of G(z), recomputed after D's update

and ``loss.d(real_scores, fake_scores) = d_real + d_fake``. Scores are raw
discriminator outputs of shape (N, 1): BCE applies the sigmoid itself (as
binary_cross_entropy_with_logits, stably); LSGAN and hinge use them as they are.

bce    D: -E[log D(x)] - E[log(1 - D(G(z)))]  (real target 1 - label_smoothing: one-sided smoothing)
       G: non-saturating -E[log D(G(z))] (default), or minimax E[log(1 - D(G(z)))] (Goodfellow's
          original, minimised by G; its gradient vanishes when D wins, hence the default)
lsgan  D: 1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2];  G: 1/2 E[(D(G(z)) - c)^2]   (Mao et al.)
hinge  D: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))];      G: -E[D(G(z))]
wgan   D: E[D(G(z))] - E[D(x)];                           G: -E[D(G(z))]   (Arjovsky et al.; the critic's
       Lipschitz constraint comes from the updater: weight clipping for "wgan", the gradient penalty for
       "wgan-gp": the WeightClipping optimiser hook (training/hooks.py) and GradientPenalty (penalties.py))
"""
from __future__ import annotations

from ... import creation
from ...autograd import Tensor
from ...nn import functional as F

__all__ = ["GANLoss", "BCELoss", "LSGANLoss", "HingeLoss", "WassersteinLoss", "LOSSES", "G_LOSSES", "build_loss",
           "loss_defaults"]

G_LOSSES = ("non-saturating", "minimax")


def _full_like(scores: Tensor, value: float) -> Tensor:
    return creation.full(scores.shape, float(value), dtype=scores.dtype, device=scores.device)


class GANLoss:
    """Base class: subclass and define d_real, d_fake and g (all take scores, return scalar Tensors)."""

    name = "custom"

    def d_real(self, real_scores: Tensor) -> Tensor:
        raise NotImplementedError

    def d_fake(self, fake_scores: Tensor) -> Tensor:
        raise NotImplementedError

    def g(self, fake_scores: Tensor) -> Tensor:
        raise NotImplementedError

    def d(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        return self.d_real(real_scores) + self.d_fake(fake_scores)

    def config(self) -> dict:
        return {"loss": self.name}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "loss")
        return f"{type(self).__name__}({args})"


class BCELoss(GANLoss):
    """Goodfellow's minimax game; ``g_loss`` is 'non-saturating' (default) or 'minimax'.

    ``label_smoothing`` s makes D's real target 1 - s (one-sided: fakes keep target 0).
    """

    name = "bce"

    def __init__(self, g_loss: str = "non-saturating", label_smoothing: float = 0.0):
        if g_loss not in G_LOSSES:
            raise ValueError(f"g_loss must be one of {', '.join(G_LOSSES)}, got {g_loss!r}")
        if not 0.0 <= float(label_smoothing) < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}")
        self.g_loss, self.label_smoothing = g_loss, float(label_smoothing)

    def d_real(self, real_scores: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(real_scores, _full_like(real_scores, 1.0 - self.label_smoothing))

    def d_fake(self, fake_scores: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(fake_scores, _full_like(fake_scores, 0.0))

    def g(self, fake_scores: Tensor) -> Tensor:
        if self.g_loss == "non-saturating":  # maximise log D(G(z))
            return F.binary_cross_entropy_with_logits(fake_scores, _full_like(fake_scores, 1.0))
        # minimax: minimise log(1 - D(G(z))) = -BCE(D(G(z)), 0)
        return -F.binary_cross_entropy_with_logits(fake_scores, _full_like(fake_scores, 0.0))

    def config(self) -> dict:
        return {"loss": self.name, "g_loss": self.g_loss, "label_smoothing": self.label_smoothing}


class LSGANLoss(GANLoss):
    """Least squares GAN: targets a (fake, for D), b (real, for D), c (what G wants D to say)."""

    name = "lsgan"

    def __init__(self, a: float = 0.0, b: float = 1.0, c: float = 1.0):
        self.a, self.b, self.c = float(a), float(b), float(c)

    def d_real(self, real_scores: Tensor) -> Tensor:
        return 0.5 * F.mse_loss(real_scores, _full_like(real_scores, self.b))

    def d_fake(self, fake_scores: Tensor) -> Tensor:
        return 0.5 * F.mse_loss(fake_scores, _full_like(fake_scores, self.a))

    def g(self, fake_scores: Tensor) -> Tensor:
        return 0.5 * F.mse_loss(fake_scores, _full_like(fake_scores, self.c))

    def config(self) -> dict:
        return {"loss": self.name, "a": self.a, "b": self.b, "c": self.c}


class HingeLoss(GANLoss):
    """Hinge loss (Lim & Ye 2017; SAGAN, BigGAN)."""

    name = "hinge"

    def d_real(self, real_scores: Tensor) -> Tensor:
        return F.relu(1.0 - real_scores).mean()

    def d_fake(self, fake_scores: Tensor) -> Tensor:
        return F.relu(1.0 + fake_scores).mean()

    def g(self, fake_scores: Tensor) -> Tensor:
        return -fake_scores.mean()


class WassersteinLoss(GANLoss):
    """The WGAN objective: d_real = -E[D(x)], d_fake = E[D(G(z))], g = -E[D(G(z))] (raw critic scores).

    Its critic needs a Lipschitz constraint: weight clipping ("wgan") or the gradient penalty ("wgan-gp").
    """

    name = "wgan"

    def d_real(self, real_scores: Tensor) -> Tensor:
        return -real_scores.mean()

    def d_fake(self, fake_scores: Tensor) -> Tensor:
        return fake_scores.mean()

    def g(self, fake_scores: Tensor) -> Tensor:
        return -fake_scores.mean()


# "wgan" (weight clipping) and "wgan-gp" (gradient penalty) share the objective; the updater adds the constraint.
LOSSES = {"bce": BCELoss, "lsgan": LSGANLoss, "hinge": HingeLoss, "wgan": WassersteinLoss,
          "wgan-gp": WassersteinLoss}


def build_loss(name: str = "bce", *, g_loss: str = "non-saturating", label_smoothing: float = 0.0,
               lsgan_a: float = 0.0, lsgan_b: float = 1.0, lsgan_c: float = 1.0) -> GANLoss:
    """A loss by name ('bce', 'lsgan', 'hinge'); options that do not apply to it must keep their defaults."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of: {', '.join(LOSSES)}")
    if name == "bce":
        return BCELoss(g_loss=g_loss, label_smoothing=label_smoothing)
    if g_loss != "non-saturating":
        raise ValueError(f"g_loss={g_loss!r} applies to the bce loss only, not {name!r}")
    if label_smoothing:
        raise ValueError(f"label smoothing applies to the bce loss only; for lsgan set the real target b "
                         f"instead (got loss={name!r}, label_smoothing={label_smoothing})")
    if name == "lsgan":
        return LSGANLoss(lsgan_a, lsgan_b, lsgan_c)
    if (lsgan_a, lsgan_b, lsgan_c) != (0.0, 1.0, 1.0):
        raise ValueError("the lsgan targets a, b, c apply to the lsgan loss only")
    return LOSSES[name]()


# The Wasserstein losses' own settings (a run uses them unless an option is given): the papers', except
# WGAN-GP's rate, 4e-4 instead of the paper's 1e-4, which trains too slowly in a few epochs (docs/). No
# spectral norm in either paper: these override a recipe's spectral norm too.
_LOSS_DEFAULTS = {
    "wgan-gp": {"n_critic": 5, "beta1": 0.0, "beta2": 0.9, "lr_g": 4e-4, "lr_d": 4e-4, "critic_norm": "layer",
                "spectral_norm": False},
    "wgan": {"n_critic": 5, "lr_g": 5e-5, "lr_d": 5e-5, "critic_norm": "batch", "spectral_norm": False},
}


def loss_defaults(loss: str) -> dict:
    """The settings a loss changes from a recipe: wgan-gp n_critic 5, Adam (0, 0.9), a LayerNorm critic
    (Gulrajani et al.), lr 4e-4; wgan n_critic 5, lr 5e-5 with RMSprop (Arjovsky et al.); neither has
    spectral norm."""
    return dict(_LOSS_DEFAULTS.get(loss, {}))
