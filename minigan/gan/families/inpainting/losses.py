"""Inpainting objectives: reconstruction on the hidden pixels plus any adversarial loss of gan/losses.py.

    G: rec_weight * rec(completed, originals, masks) + adv_weight * adv.g(D(completed))
       [+ class_weight * CE(D_classes(completed), labels)]
    D: adv.d_real(D(originals)) + adv.d_fake(D(completed.detach()))
       [+ class_weight * (CE(D_classes(originals), labels) + CE(D_classes(completed), labels))]

rec is L1 (the default: sharper than L2, pix2pix's choice) or L2, averaged
over the hidden pixels only, so a small box weighs as much per pixel as a half
image. The default weights are pix2pix's (lambda = 100 for L1 against 1 for
the adversarial term); the Context Encoder used 0.999 / 0.001.

    loss = InpaintingLoss("bce", rec_weight=100.0)
    total, parts = loss.generator(completed, originals, masks, D(completed))
    total.backward()          # parts: {'rec': ..., 'adv': ...} as Tensors, for the log
"""
from __future__ import annotations

from ....autograd import Tensor
from ....nn import functional as F
from ...core.losses import GANLoss, build_loss

__all__ = ["RECONSTRUCTIONS", "reconstruction_loss", "InpaintingLoss"]

RECONSTRUCTIONS = ("l1", "l2")


def reconstruction_loss(completed: Tensor, originals: Tensor, masks: Tensor, kind: str = "l1") -> Tensor:
    """Mean |completed - originals| (``kind="l1"``) or squared error (``"l2"``) over the hidden pixels.

    All three are (N, 1, H, W); ``masks`` is 1 where hidden (a constant: no
    gradient flows to it). Visible pixels contribute nothing; with no hidden
    pixel at all the loss is 0. ``reconstruction_loss(G(x, m), x, m)``.
    """
    if kind not in RECONSTRUCTIONS:
        raise ValueError(f"reconstruction loss must be one of {', '.join(RECONSTRUCTIONS)}, got {kind!r}")
    if not (completed.shape == originals.shape == masks.shape):
        raise ValueError(f"reconstruction_loss: completed {completed.shape}, originals {originals.shape} and "
                         f"masks {masks.shape} must have one shape")
    weights = masks.detach().astype(completed.dtype)
    diff = (completed - originals) * weights
    error = diff.abs() if kind == "l1" else diff * diff
    return error.sum() / max(float(weights.sum().item()), 1.0)


class InpaintingLoss:
    """The generator's and discriminator's total losses for inpainting, with their parts for logging.

    ``adversarial`` is a GANLoss or a name for ``build_loss`` ('bce',
    'lsgan', 'hinge'); ``reconstruction`` 'l1' or 'l2'; weights must be >= 0
    (``adv_weight=0`` trains a plain Context-Encoder-style autoencoder).
    ``class_weight`` applies only when class logits and labels are passed.
    """

    def __init__(self, adversarial: "GANLoss | str" = "bce", *, reconstruction: str = "l1",
                 rec_weight: float = 100.0, adv_weight: float = 1.0, class_weight: float = 1.0):
        self.adversarial = build_loss(adversarial) if isinstance(adversarial, str) else adversarial
        if not isinstance(self.adversarial, GANLoss):
            raise TypeError(f"adversarial must be a GANLoss or a loss name, got {type(adversarial).__name__}")
        if reconstruction not in RECONSTRUCTIONS:
            raise ValueError(f"reconstruction must be one of {', '.join(RECONSTRUCTIONS)}, got {reconstruction!r}")
        for name, value in (("rec_weight", rec_weight), ("adv_weight", adv_weight), ("class_weight", class_weight)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0 or value == float("inf"):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        self.reconstruction = reconstruction
        self.rec_weight, self.adv_weight, self.class_weight = float(rec_weight), float(adv_weight), float(class_weight)

    def generator(self, completed: Tensor, originals: Tensor, masks: Tensor, fake_scores: Tensor,
                  fake_class_logits: Tensor | None = None, labels=None) -> tuple[Tensor, dict[str, Tensor]]:
        """(total, parts) for G; `fake_scores` = D(completed) scored after D's update (not detached)."""
        parts = {"rec": reconstruction_loss(completed, originals, masks, self.reconstruction),
                 "adv": self.adversarial.g(fake_scores)}
        total = self.rec_weight * parts["rec"] + self.adv_weight * parts["adv"]
        if _with_classes(fake_class_logits, labels):
            parts["class"] = F.cross_entropy(fake_class_logits, labels)
            total = total + self.class_weight * parts["class"]
        return total, parts

    def discriminator(self, real_scores: Tensor, fake_scores: Tensor, real_class_logits: Tensor | None = None,
                      fake_class_logits: Tensor | None = None, labels=None) -> tuple[Tensor, dict[str, Tensor]]:
        """(total, parts) for D; `fake_scores` are D's scores of the detached completions."""
        parts = {"d_real": self.adversarial.d_real(real_scores), "d_fake": self.adversarial.d_fake(fake_scores)}
        total = parts["d_real"] + parts["d_fake"]
        if _with_classes(real_class_logits, labels):
            parts["class"] = F.cross_entropy(real_class_logits, labels)
            if fake_class_logits is not None:
                parts["class"] = parts["class"] + F.cross_entropy(fake_class_logits, labels)
            total = total + self.class_weight * parts["class"]
        return total, parts

    def config(self) -> dict:
        return {**self.adversarial.config(), "reconstruction": self.reconstruction, "rec_weight": self.rec_weight,
                "adv_weight": self.adv_weight, "class_weight": self.class_weight}

    def __repr__(self) -> str:
        return f"InpaintingLoss({', '.join(f'{k}={v!r}' for k, v in self.config().items())})"


def _with_classes(class_logits, labels) -> bool:
    if (class_logits is None) != (labels is None):
        raise ValueError("pass both class logits and labels for the class loss, or neither")
    return class_logits is not None
