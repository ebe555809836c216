"""The inpainting step: G completes masked real images, D judges whole images.

One step, on one real batch x (with labels y)::

    m ~ MaskSampler(config.mask)            # the run's own mask stream (1 = hidden)
    completed = G(x, m)                     # visible pixels are x's, exactly
    D step on D(x) and D(completed.detach())        (+ class loss on both with the aux head)
    G step on D(completed) re-scored with the updated D, plus rec_weight * L1/L2 on the hidden pixels

The stabilisers apply as for every family: wgan-gp / R1 penalise D's whole-image score (D(x), the
class head aside) at interpolates of originals and completions / at the originals, wgan clips D,
spectral norm, the EMA of G (completions, grids and evaluations use it), lr schedules. The mask sampler's state is part of the updater's state (``state_dict``), so a
resumed run draws the very masks the uninterrupted one would have drawn. The
sample grids and evaluations use fixed examples with masks from a second,
separately seeded sampler, never the training stream::

    updater = InpaintUpdater(G, D, opt_g, opt_d, InpaintingLoss(BCELoss()), MaskSampler("center"))
    record = updater.step([(images, labels)])    # loss_D, loss_G, rec, adv, ...
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .... import creation
from ....autograd import Tensor
from ...core.checkpoint import CheckpointError
from . import InpaintingLoss, MaskSampler, inpaint
from ....backend import as_numpy
from ....data import load_dataset
from ....distributed.sharding import draw_rows
from ....evaluation import evaluate_samples
from ...training.reporter import report
from ...training.updater import Updater, frozen, grad_norm, mean_sigmoid
from .grid import save_inpainting_grid
from .metrics import evaluate_inpainting

__all__ = ["InpaintUpdater", "mask_seed", "MASK_STATE"]

MASK_STATE = "mask_sampler"   # the checkpoint entry of the training masks' stream
_TRAIN_MASKS, _FIXED_MASKS = 0x6D61, 0x6678  # spawn keys: the training and grid mask streams differ


def mask_seed(seed: int, stream: int = _TRAIN_MASKS) -> int:
    """A mask sampler's seed derived from the run's seed (a different one for the grid masks)."""
    return int(np.random.SeedSequence([int(seed), stream]).generate_state(1)[0])


class InpaintUpdater(Updater):
    """The inpainting step on G and D with their optimisers; `loss` is an ``InpaintingLoss``, `sampler` the
    training masks' stream, `penalties` as for every step (core/penalties.py)."""

    GRID_PER_ROW = 4     # examples per grid row (each three tiles wide)

    def __init__(self, generator, discriminator, opt_g, opt_d, loss: InpaintingLoss, sampler: MaskSampler, *,
                 device="cpu", aux_classes: bool = False, penalties=()):
        super().__init__({"generator": generator, "discriminator": discriminator},
                         {"optimizer_g": opt_g, "optimizer_d": opt_d}, device=device, latent_dim=0,
                         penalties=penalties)
        self.G, self.D, self.opt_g, self.opt_d = generator, discriminator, opt_g, opt_d
        self.loss = self.inpainting_loss = loss
        self.sampler, self.aux_classes = sampler, bool(aux_classes)
        self.fixed_images = None   # the grid's examples (the first training images), set by fixed_inputs
        for penalty in self.penalties:
            penalty.check(self.D)

    # ---- the step ------------------------------------------------------------------------------
    def _scores(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        if self.aux_classes:
            return self.D.scores_and_classes(images)
        return self.D(images), None

    def critic_score(self, images: Tensor) -> Tensor:
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
        x, y = self.real_images(batch), self._labels(batch)
        m = creation.tensor(draw_rows(self.sampler.sample, x.shape[0]), device=self.device)
        completed = G(x, m)
        record: dict[str, Any] = {}

        self.opt_d.zero_grad()
        real_scores, real_classes = self._scores(x)
        fake_scores, fake_classes = self._scores(completed.detach())
        loss_d, parts_d = loss.discriminator(real_scores, fake_scores, real_classes, fake_classes, y)
        penalty = self.penalty_terms(D, self.critic_score, x, completed.detach(), record)
        if penalty is not None:
            loss_d = loss_d + penalty
        if stats:
            record["loss_D"] = float(loss_d.item())
            self.check_finite(record["loss_D"], "loss_D")
        loss_d.backward()
        self.reduce_gradients(D)
        if stats:
            record["grad_norm_D"] = grad_norm(D.parameters())
        self.opt_d.step()

        self.opt_g.zero_grad()
        with frozen(D):  # no gradients for D's weights in G's backward pass
            after_scores, after_classes = self._scores(completed)  # D changed: score again
            loss_g, parts_g = loss.generator(completed, x, m, after_scores, after_classes, y)
            if stats:
                record["loss_G"] = float(loss_g.item())
                self.check_finite(record["loss_G"], "loss_G")
            loss_g.backward()
        self.reduce_gradients(G)
        if stats:
            record["grad_norm_G"] = grad_norm(G.parameters())
        self.opt_g.step()
        if stats:
            record.update(rec=float(parts_g["rec"].item()), adv=float(parts_g["adv"].item()),
                          D_x=mean_sigmoid(real_scores), D_G_z=mean_sigmoid(fake_scores),
                          D_G_z_after=mean_sigmoid(after_scores))
            if "class" in parts_d:
                record.update(class_D=float(parts_d["class"].item()), class_G=float(parts_g["class"].item()))
        report(record)
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
    def fixed_inputs(self, seed: int, n: int, loader=None) -> np.ndarray:
        """The grid's masks (n, 1, 28, 28), from their own sampler, for the first n training images of `loader`
        (kept as ``fixed_images``; n is at most the number of images)."""
        if loader is not None:
            n = min(n, loader.num_samples)
            self.fixed_images = np.array(as_numpy(loader.images[:n]), dtype=np.float32)
        return MaskSampler(self.sampler.kind, seed=mask_seed(seed, _FIXED_MASKS)).sample(n)

    def complete(self, images: np.ndarray, masks: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """G's completions of `images` under `masks` (eval mode, no graph), float32 host array."""
        return inpaint(self.generator, images, masks, batch_size=batch_size, device=self.device)

    def sample(self, fixed: np.ndarray) -> np.ndarray:
        """G's completions of the grid's fixed examples under the masks `fixed` (eval mode)."""
        return self.complete(self.fixed_images, fixed)

    def save_grid(self, path, fixed: np.ndarray):
        """Masked input | completion | original for the grid's fixed examples."""
        return save_inpainting_grid(path, self.fixed_images, fixed, self.sample(fixed), per_row=self.GRID_PER_ROW)

    def evaluate(self, n: int, *, dataset: str, data_dir=None, seed: int = 0, batch_size: int = 250) -> dict:
        """Complete the first `n` test images under masks of the run's kind (a fixed seed) and score them:
        FID / IS / coverage of the completions, plus 'inpainting': L1 and PSNR on the hidden pixels and
        classifier accuracy of completions, masked-only images and originals."""
        images, labels = load_dataset(dataset, "test", data_dir=data_dir)
        count = min(int(n), len(images))
        originals = images[:count].astype(np.float32) / np.float32(127.5) - np.float32(1.0)
        originals = originals[:, None] if originals.ndim == 3 else originals
        masks = MaskSampler(self.sampler.kind, seed=mask_seed(seed)).sample(count)
        completed = self.complete(originals, masks, batch_size=batch_size)
        device = str(self.device)
        scores = evaluate_samples(completed, dataset, data_dir=data_dir, device=device, batch_size=batch_size)
        scores["inpainting"] = evaluate_inpainting(completed, originals, masks, labels[:count], fid=False,
                                                   dataset=dataset, data_dir=data_dir, device=device,
                                                   batch_size=batch_size)
        scores["inpainting"]["mask"] = self.sampler.kind
        return scores
