"""The inpainting step (issue 12): G completes masked real images, D judges whole images.

One step, on one real batch x (with labels y)::

    m ~ MaskSampler(config.mask)            # the run's own mask stream (1 = hidden)
    completed = G(x, m)                     # visible pixels are x's, exactly
    D step on D(x) and D(completed.detach())        (+ class loss on both with the aux head)
    G step on D(completed) re-scored with the updated D, plus rec_weight * L1/L2 on the hidden pixels

Issue 13's options (the ``Stabilisers`` mixin) apply as for the DCGAN: wgan-gp / R1 penalise
D's whole-image score (``critic_score``: D(x), the class head aside) at interpolates of originals
and completions / at the originals, wgan clips D, spectral norm, EMA of G (completions, grids and
evaluations use it), lr schedules. The mask sampler's state is part of the updater's state (``state_dict``), so a
resumed run draws the very masks the uninterrupted one would have drawn. The
sample grids and evaluations use fixed examples with masks from a second,
separately seeded sampler, never the training stream::

    updater = InpaintUpdater.from_config(config, G, D, build_loss("bce"), device)
    record = updater.step([(images, labels)])    # loss_D, loss_G, rec, adv, ...
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .... import creation
from ....autograd import Tensor
from ...core.checkpoint import CheckpointError
from . import InpaintingLoss, MaskSampler, inpaint
from ...core.losses import GANLoss
from ...training.stabilised_updater import Stabilisers, stabiliser_parts
from ...training.updater import GANUpdater, frozen, grad_norm, mean_sigmoid

__all__ = ["InpaintUpdater", "mask_seed", "MASK_STATE"]

MASK_STATE = "mask_sampler"   # the checkpoint entry of the training masks' stream
_TRAIN_MASKS, _FIXED_MASKS = 0x6D61, 0x6678  # spawn keys: the training and grid mask streams differ


def mask_seed(seed: int, stream: int = _TRAIN_MASKS) -> int:
    """A mask sampler's seed derived from the run's seed (a different one for the grid masks)."""
    return int(np.random.SeedSequence([int(seed), stream]).generate_state(1)[0])


class InpaintUpdater(Stabilisers, GANUpdater):
    """GANUpdater's modules and optimisers with the inpainting step; `loss` is an ``InpaintingLoss``;
    `stabilisers` are ``Stabilisers.init_stabilisers``' options (all off by default)."""

    log_keys = ("loss_D", "loss_G", "rec", "adv", "class_D", "class_G", "D_x", "D_G_z", "D_G_z_after",
                "grad_norm_D", "grad_norm_G") + Stabilisers.stabiliser_log_keys

    def __init__(self, generator, discriminator, opt_g, opt_d, loss: InpaintingLoss, sampler: MaskSampler, *,
                 device="cpu", aux_classes: bool = False, **stabilisers):
        super().__init__(generator, discriminator, opt_g, opt_d, loss.adversarial, device=device, latent_dim=0)
        self.inpainting_loss, self.sampler, self.aux_classes = loss, sampler, bool(aux_classes)
        self.init_stabilisers(**stabilisers)

    @classmethod
    def from_config(cls, config, generator, discriminator, loss: GANLoss, device) -> "InpaintUpdater":
        """Optimisers and stabilisers as for the DCGAN (``stabiliser_parts``); `loss` is the adversarial part,
        wrapped in an InpaintingLoss."""
        opt_g, opt_d, options = stabiliser_parts(config, generator, discriminator, device)
        objective = InpaintingLoss(loss, reconstruction=config.rec_loss, rec_weight=config.rec_weight,
                                   adv_weight=config.adv_weight, class_weight=config.class_weight)
        sampler = MaskSampler(config.mask, seed=mask_seed(config.seed))
        return cls(generator, discriminator, opt_g, opt_d, objective, sampler, device=device,
                   aux_classes=config.aux_classes, **options)

    # ---- the step ------------------------------------------------------------------------------
    def _scores(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        if self.aux_classes:
            return self.D.scores_and_classes(images)
        return self.D(images), None

    def critic_score(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        """D's whole-image real/fake score (the class head, if any, is not penalised)."""
        return self.D(images)

    def _labels(self, batch) -> Tensor | None:
        if not self.aux_classes:
            return None
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise ValueError("the auxiliary class head needs labelled batches (images, labels)")
        labels = batch[1]
        if not isinstance(labels, Tensor):  # wrapped as they are: the loader's already live on the device
            labels = Tensor(labels)
        return labels if labels.device == self.device else labels.to(self.device)

    def step(self, batches: Sequence) -> dict:
        """One D update and one G update on the last batch of `batches` (n_critic is 1 for inpainting)."""
        G, D, loss, stats = self.G, self.D, self.inpainting_loss, self.statistics
        G.train()
        D.train()
        batch = batches[-1]
        x, y = self._real(batch), self._labels(batch)
        m = creation.tensor(self.sampler.sample(x.shape[0]), device=self.device)
        completed = G(x, m)
        record: dict[str, Any] = {}

        self.opt_d.zero_grad()
        real_scores, real_classes = self._scores(x)
        fake_scores, fake_classes = self._scores(completed.detach())
        loss_d, parts_d = loss.discriminator(real_scores, fake_scores, real_classes, fake_classes, y)
        penalty = self.critic_penalty(x, completed.detach(), record)
        if penalty is not None:
            loss_d = loss_d + penalty
        if stats:
            record["loss_D"] = float(loss_d.item())
            self.check_finite(record["loss_D"], "loss_D")
        loss_d.backward()
        if stats:
            record["grad_norm_D"] = grad_norm(D.parameters())
        self.opt_d.step()
        self.after_critic_step()

        self.opt_g.zero_grad()
        with frozen(D):  # no gradients for D's weights in G's backward pass
            after_scores, after_classes = self._scores(completed)  # D changed: score again
            loss_g, parts_g = loss.generator(completed, x, m, after_scores, after_classes, y)
            if stats:
                record["loss_G"] = float(loss_g.item())
                self.check_finite(record["loss_G"], "loss_G")
            loss_g.backward()
        if stats:
            record["grad_norm_G"] = grad_norm(G.parameters())
        self.opt_g.step()
        if stats:
            record.update(rec=float(parts_g["rec"].item()), adv=float(parts_g["adv"].item()),
                          D_x=mean_sigmoid(real_scores), D_G_z=mean_sigmoid(fake_scores),
                          D_G_z_after=mean_sigmoid(after_scores))
            if "class" in parts_d:
                record.update(class_D=float(parts_d["class"].item()), class_G=float(parts_g["class"].item()))
        self.after_generator_step(record)
        return record

    # ---- state ---------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {**super().state_dict(), MASK_STATE: self.sampler.state_dict()}

    def load_state_dict(self, state: dict, source: str = "checkpoint") -> None:
        super().load_state_dict(state, source)
        if MASK_STATE not in state:
            raise CheckpointError(f"{source} has no {MASK_STATE}: not an inpainting checkpoint")
        try:
            self.sampler.load_state_dict(state[MASK_STATE])
        except (KeyError, ValueError, TypeError) as exc:
            raise CheckpointError(f"{source}: {exc}") from None

    # ---- grids and evaluation ------------------------------------------------------------------
    def fixed_inputs(self, seed: int, n: int) -> np.ndarray:
        """The grid's masks (n, 1, 28, 28), from their own sampler (the trainer pairs them with fixed images)."""
        return MaskSampler(self.sampler.kind, seed=mask_seed(seed, _FIXED_MASKS)).sample(n)

    def complete(self, images: np.ndarray, masks: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """G's completions of `images` under `masks` (eval mode, no graph), float32 host array."""
        return inpaint(self.generator, images, masks, batch_size=batch_size, device=self.device)

    def sample(self, fixed: np.ndarray) -> np.ndarray:
        raise TypeError("an inpainting generator completes images: use complete(images, masks)")

    def evaluation_samples(self, n: int, *, seed: int, batch_size: int) -> np.ndarray:
        raise TypeError("an inpainting generator completes images: use complete(images, masks)")
