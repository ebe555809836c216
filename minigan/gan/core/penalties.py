"""Gradient penalties on the critic: WGAN-GP (Gulrajani et al. 2017) and R1 (Mescheder et al. 2018).

Both penalise the norm of the critic's input gradient, per sample, and are
differentiated with respect to D's parameters: the input gradient is taken with
``create_graph=True``, so ``penalty.backward()`` runs a double backward through
the critic (exact in minigan, conv included)::

    gp = gradient_penalty(D, real, fake, weight=10.0)     # 10 * E[(||grad D(x_hat)||_2 - 1)^2]
    r1 = r1_penalty(D, real, gamma=10.0)                  # 10/2 * E[||grad D(x)||_2^2]
    (d_loss + gp).backward()

A training step is given penalties as objects (``GradientPenalty(10.0)``, ``R1Penalty(10.0, every=4)``):
each is called once per critic step with D's real/fake score as a function of the image, and returns the
term to add to D's loss (or None on a step it skips); the step reports it under the penalty's ``name``.

The penalty is per sample, so the critic must not mix the samples of a batch:
a BatchNorm in training mode makes D(x_i) depend on every x_j, and the
gradient at x_i then is not the per-sample gradient the penalty constrains. Both
functions refuse such a critic (`check_per_sample_critic`); use LayerNorm,
InstanceNorm2d, GroupNorm or no normalisation in it. For lazy regularisation
(R1 every k steps, StyleGAN2) multiply the penalty by k on the steps it is applied.
"""
from __future__ import annotations

import math
from typing import Callable

from ...autograd import Tensor, grad
from ...creation import rand
from ...distributed.sharding import draw_rows
from ...nn import BatchNorm1d, BatchNorm2d, Module
from ...ops.reduce import sum as _sum
from ...ops.shape import reshape

__all__ = ["gradient_penalty", "r1_penalty", "input_gradient_norms", "check_per_sample_critic", "Penalty",
           "GradientPenalty", "R1Penalty"]


def _check_weight(op: str, name: str, value: float) -> float:
    value = float(value)
    if not (value >= 0 and math.isfinite(value)):
        raise ValueError(f"{op}: {name} must be a finite number >= 0, got {value!r}")
    return value


def check_per_sample_critic(critic: Callable, op: str = "gradient penalty") -> None:
    """Raise ValueError when `critic` (a Module) holds a BatchNorm in training mode, saying why."""
    if not isinstance(critic, Module):
        return
    for name, m in critic.named_modules():
        if isinstance(m, (BatchNorm1d, BatchNorm2d)) and m.training:
            raise ValueError(
                f"{op}: the critic has {type(m).__name__} at {name or '<root>'!r} in training mode; batch norm "
                f"mixes the samples of a batch, so the critic's gradient at one sample depends on the others "
                f"and the per-sample gradient penalty is wrong. Use LayerNorm, InstanceNorm2d, GroupNorm or no "
                f"normalisation in the critic")


def _squared_input_gradient_norms(critic: Callable, x: Tensor) -> Tensor:
    # summing the scores gives each sample its own gradient: the critic treats samples independently
    scores = critic(x)
    (g,) = grad(scores.sum(), x, create_graph=True)
    return _sum(reshape(g * g, (g.shape[0], -1)), 1)


def input_gradient_norms(critic: Callable, x: Tensor) -> Tensor:
    """||d D(x_i) / d x_i||_2 for each sample i, shape (N,), differentiable (create_graph=True).

    `x` must be a leaf that requires grad.
    """
    return _squared_input_gradient_norms(critic, x) ** 0.5


def _leaf(x: Tensor) -> Tensor:
    return x.detach().requires_grad_(True)


def gradient_penalty(critic: Callable, real: Tensor, fake: Tensor, weight: float = 10.0, *,
                     alpha: Tensor | None = None, target: float = 1.0) -> Tensor:
    """WGAN-GP: weight * E[(||grad_x D(x_hat)||_2 - target)^2] on x_hat = alpha * real + (1 - alpha) * fake.

    ``alpha`` (shape (N,), one per sample) is drawn uniformly in [0, 1) from
    minigan's seeded generator unless given. Real and fake are detached: the
    penalty trains the critic only; its gradient reaches D's parameters through
    the double backward.
    """
    weight = _check_weight("gradient_penalty", "weight", weight)
    check_per_sample_critic(critic, "gradient_penalty")
    if tuple(real.shape) != tuple(fake.shape):
        raise ValueError(f"gradient_penalty: real {tuple(real.shape)} and fake {tuple(fake.shape)} batches "
                         f"must have the same shape")
    n = real.shape[0]
    if alpha is None:
        alpha = draw_rows(lambda rows: rand(rows, dtype=real.dtype, device=real.device), n)
    elif not isinstance(alpha, Tensor):
        alpha = Tensor(alpha)
    if tuple(alpha.shape) != (n,):
        raise ValueError(f"gradient_penalty: alpha must have shape ({n},), one per sample, got "
                         f"{tuple(alpha.shape)}")
    a = reshape(alpha.detach(), (n,) + (1,) * (real.ndim - 1))
    x_hat = _leaf(a * real.detach() + (1.0 - a) * fake.detach())
    norms = input_gradient_norms(critic, x_hat)
    return weight * ((norms - target) ** 2).mean()


def r1_penalty(critic: Callable, real: Tensor, gamma: float = 10.0) -> Tensor:
    """R1: gamma / 2 * E[||grad_x D(x)||_2^2] on real images (usable with any GAN loss)."""
    gamma = _check_weight("r1_penalty", "gamma", gamma)
    check_per_sample_critic(critic, "r1_penalty")
    return (0.5 * gamma) * _squared_input_gradient_norms(critic, _leaf(real)).mean()


class Penalty:
    """A term a training step adds to D's loss: ``penalty(critic, real, fake) -> Tensor | None``.

    `critic` is D's real/fake score as a function of the images alone (labels held fixed); `name` is the
    key the step reports the term under. A penalty with a counter gives ``state_key`` and its state.
    """

    name = "penalty"
    state_key: str | None = None

    def check(self, discriminator) -> None:
        """Refuse a discriminator the penalty cannot be taken on (a batch-norm critic)."""
        check_per_sample_critic(discriminator, f"{self.name} penalty")

    def __call__(self, critic: Callable, real: Tensor, fake: Tensor) -> Tensor | None:
        raise NotImplementedError


class GradientPenalty(Penalty):
    """WGAN-GP's `weight` * E[(||grad D(x_hat)|| - 1)^2] on interpolates of the real and fake batches."""

    name = "gp"

    def __init__(self, weight: float = 10.0):
        self.weight = _check_weight("GradientPenalty", "weight", weight)

    def __call__(self, critic: Callable, real: Tensor, fake: Tensor) -> Tensor:
        return gradient_penalty(critic, real, fake, self.weight)

    def __repr__(self) -> str:
        return f"GradientPenalty(weight={self.weight:g})"


class R1Penalty(Penalty):
    """R1's gamma/2 E[||grad D(x)||^2] on real images; lazy with ``every`` = k: applied on every k-th critic
    step, scaled by k (StyleGAN2). The critic steps counted are checkpointed (state_key "critic_steps")."""

    name = "r1"
    state_key = "critic_steps"

    def __init__(self, gamma: float = 10.0, every: int = 1):
        self.gamma = _check_weight("R1Penalty", "gamma", gamma)
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"R1Penalty: every must be a positive integer, got {every!r}")
        self.every, self.critic_steps = every, 0

    def __call__(self, critic: Callable, real: Tensor, fake: Tensor) -> Tensor | None:
        due = self.critic_steps % self.every == 0
        self.critic_steps += 1
        return r1_penalty(critic, real, self.gamma * self.every) if due else None

    def state_dict(self) -> int:
        return self.critic_steps

    def load_state_dict(self, state) -> None:
        self.critic_steps = int(state)

    def __repr__(self) -> str:
        return f"R1Penalty(gamma={self.gamma:g}, every={self.every})"
