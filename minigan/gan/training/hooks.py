"""The Wasserstein GAN objective (Arjovsky et al. 2017) and weight clipping, its original Lipschitz constraint.

The critic D scores real and fake batches with raw, unbounded outputs; it
maximises E[D(x)] - E[D(G(z))] (an estimate of the Wasserstein-1 distance when
D is 1-Lipschitz), and G minimises -E[D(G(z))]::

    d_loss = wasserstein_critic_loss(D(real), D(fake.detach()))    # E[D(fake)] - E[D(real)]
    g_loss = wasserstein_generator_loss(D(fake))                   # -E[D(fake)]

The Lipschitz constraint comes from weight clipping after every critic step
(``clip_weights_(D, 0.01)``, with RMSprop, as the paper) or from the gradient
penalty of `minigan.gan.regularizers.gradient_penalty` (WGAN-GP, Adam (0, 0.9)).
`WassersteinLoss` is the same objective in the `GANLoss` interface (d_real,
d_fake, g) the trainer's updaters call.
"""
from __future__ import annotations

import math
from typing import Iterable

from ...autograd import Tensor, no_grad
from ...nn import Module
from ..core.losses import WassersteinLoss  # defined beside the other GANLosses; exported here too

__all__ = ["wasserstein_critic_loss", "wasserstein_generator_loss", "WassersteinLoss", "clip_weights_"]


def wasserstein_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """The critic's loss E[D(fake)] - E[D(real)] (minimised), from raw scores of any shape."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: Tensor) -> Tensor:
    """The generator's loss -E[D(G(z))] (minimised)."""
    return -fake_scores.mean()


def clip_weights_(parameters: "Module | Iterable[Tensor]", clip: float = 0.01) -> None:
    """Clamp every parameter (of a module, or an iterable of them) to [-clip, clip] in place (original WGAN).

    Call it after each critic optimiser step: ``opt_d.step(); clip_weights_(D, 0.01)``.
    """
    clip = float(clip)
    if not (clip > 0 and math.isfinite(clip)):
        raise ValueError(f"clip_weights_: clip must be a positive finite number, got {clip!r}")
    params = parameters.parameters() if isinstance(parameters, Module) else parameters
    with no_grad():
        for p in params:
            xp = p.xp
            xp.clip(p.array, -clip, clip, out=p.array)
