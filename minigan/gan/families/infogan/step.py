"""InfoUpdater: the GAN step for InfoGAN (gan/info.py): the unconditional step plus the code's mutual-information term.

    for each real batch x:
        z ~ N(0, I) (minigan's seeded stream, so a checkpoint resumes the same noise);  c = G.codes_of(z)
        fake = G(z)
        D loss = loss.d_real(*D(x)) + loss.d_fake(*D(fake.detach()), c)      adversarial + w * CE(Q, c)
                                                          (- w_real * Q's information on x, when w_real > 0)
    G loss = loss.g(*D(fake), c)                                              adversarial + w * CE(Q, c)

The loss is ``InfoGANLoss(adversarial, config.info_weight, config.info_real_weight)``. The codes come
from the noise itself (no second draw), so the noise stream is the unconditional step's; a penalty is taken
on D's real/fake head.
The per-epoch grid has one row per code, the same noise in every row but for which entry of the code block
is largest, so a column shows one "style" in every category::

    GANTrainer(TrainConfig(model="infogan", out="runs/info")).train()   # the infogan family's step
"""
from __future__ import annotations

import numpy as np

from ....autograd import Tensor, no_grad
from ..conditional.losses import class_loss
from .models import InfoGANLoss
from ...core.losses import GANLoss
from ...core.plotting import save_grid
from ...training.updater import GANUpdater

__all__ = ["InfoUpdater", "code_grid_noise"]


def code_grid_noise(noise: np.ndarray, codes: int) -> np.ndarray:
    """Noise (codes * len(noise), latent_dim): row block c is `noise` with its largest code entry moved to c.

    The entries of the code block are permuted (the largest swapped with entry c), so every row keeps the
    noise's values and only the category differs.
    """
    noise = np.asarray(noise, dtype=np.float32)
    rows = []
    for c in range(codes):
        z = noise.copy()
        top = z[:, :codes].argmax(axis=1)
        index = np.arange(len(z))
        z[index, c], z[index, top] = noise[index, top], noise[index, c]
        rows.append(z)
    return np.concatenate(rows, axis=0)


class InfoUpdater(GANUpdater):
    """One InfoGAN step (see the module doc): `loss` is an ``InfoGANLoss`` (a plain GANLoss is wrapped, weight 1)."""

    def __init__(self, generator, discriminator, opt_g, opt_d, loss, *, device="cpu", latent_dim: int | None = None,
                 n_critic: int = 1, penalties=()):
        if isinstance(loss, GANLoss):
            loss = InfoGANLoss(loss)
        super().__init__(generator, discriminator, opt_g, opt_d, loss, device=device, latent_dim=latent_dim,
                         n_critic=n_critic, penalties=penalties)
        self.codes = int(generator.codes)

    # ---- GANUpdater's hooks ---------------------------------------------------------------------------------
    def fake_labels(self, n: int, z: Tensor | None = None) -> Tensor:
        """The codes the noise `z` carries (``G.codes_of``): a fake batch's 'labels' for the code loss."""
        if z is None or len(z) != n:
            raise ValueError(f"InfoUpdater.fake_labels: the codes come from the batch's noise; pass the {n} noise "
                             f"vectors as z")
        return Tensor(self.G.codes_of(z))

    def score(self, images: Tensor, labels: Tensor | None = None) -> tuple[tuple, Tensor]:
        """A real batch (no codes): ((scores,), scores); a fake one: ((scores, code_logits, codes), scores)."""
        scores, code_logits = self.D(images)
        if labels is None:   # Q's logits of reals only for the loss's real-image information term
            return ((scores, code_logits) if self.loss.real_weight else (scores,)), scores
        return (scores, code_logits, labels), scores

    def generator_step(self, fake: Tensor, record: dict, labels: Tensor | None = None) -> tuple:
        """G's step, then the code term alone logged as 'info': Q's cross-entropy on that batch (ln codes
        at chance, near 0 once G's categories are distinct and Q reads them)."""
        args = super().generator_step(fake, record, labels)
        if self.statistics:
            with no_grad():
                record["info"] = float(class_loss(args[1].detach(), labels, "InfoUpdater").item())
        return args

    # ---- grids ---------------------------------------------------------------------------------------------
    def fixed_inputs(self, seed: int, n: int, loader=None) -> np.ndarray:
        """Grid noise: ceil(n / codes) vectors, one row of them per code (``code_grid_noise``)."""
        per_row = -(-int(n) // self.codes)
        return code_grid_noise(super().fixed_inputs(seed, per_row), self.codes)

    def grid_columns(self, fixed: np.ndarray) -> int:
        """Images per row of the grid drawn from `fixed`: the codes' rows side by side in `grid_blocks` blocks."""
        return self.grid_blocks(fixed) * (len(fixed) // self.codes)

    def grid_blocks(self, fixed: np.ndarray) -> int:
        """How many codes share a grid row: the divisor of the number of codes that makes the grid closest to
        square (20 codes of 4 images: two blocks of 10 rows, 8 images wide, rather than a 20 x 4 strip)."""
        per_code = max(len(fixed) // self.codes, 1)
        divisors = [b for b in range(1, self.codes + 1) if self.codes % b == 0]
        return min(divisors, key=lambda b: abs(b * per_code - self.codes // b))

    def save_grid(self, path, fixed: np.ndarray):
        """One row of images per code, in `grid_blocks` blocks side by side: code c of `rows` = codes / blocks
        rows sits in block c // rows, row c % rows."""
        images = self.sample(fixed)
        per_code, blocks = len(fixed) // self.codes, self.grid_blocks(fixed)
        rows = self.codes // blocks
        by_code = images.reshape(self.codes, per_code, *images.shape[1:])
        order = [by_code[block * rows + row] for row in range(rows) for block in range(blocks)]
        return save_grid(path, np.concatenate(order), nrow=blocks * per_code)
