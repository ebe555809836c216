"""InfoGAN (Chen et al. 2016): an unconditional GAN whose noise carries a categorical code that D must recover.

No labels anywhere: G is asked for one of `codes` categories, and an extra head Q on D's features is
trained (together with G) to tell from the image which category G was asked for, so G learns to make
the categories distinct. With Q also sorting the real images (``real_weight``, below) they come out as the
digit classes on MNIST, and fewer samples lie between two digits (docs/).

``InfoGenerator``
    G(z): the code is the argmax of the first `codes` entries of z ~ N(0, I) (uniform over the
    categories, since those entries are i.i.d.), fed beside z as one-hot: [z, one_hot(code)] -> the
    DCGAN generator, whose first Linear takes latent_dim + codes inputs. G is an ordinary G(z): every
    sampling path (grids, ``minigan sample`` / ``eval``, EMA) draws z ~ N(0, I) and gets all categories
    uniformly; ``codes_of(z)`` says which one each z asks for.
``InfoDiscriminator``
    D(x) = (psi(phi(x)), Q(phi(x))): the DCGAN discriminator's real/fake logit (N, 1) and code logits
    (N, codes) on shared features (phi: the conv stack, psi: its last Linear, Q: a Linear beside it).
``InfoGANLoss``
    the adversarial loss, plus ``weight`` * cross-entropy of Q's logits against the codes on fake
    images, in D's loss and in G's: the variational lower bound on the mutual information I(code; G(z))
    (the paper's lambda = 1 for discrete codes). Real images get the adversarial loss, and with
    ``real_weight`` > 0 also - real_weight * ``batch_information(Q(x))``: Q is asked to sort the real
    images into confident, evenly used categories (the information-maximising clustering term of
    Krause et al. 2010, as in CatGAN, Springenberg 2016), so the categories G is trained to draw are the
    clusters of the data (on MNIST: the digits) rather than whatever G finds easiest to tell apart.

    G, D = build_models("infogan")                  # `minigan train --model infogan`
    z = minigan.randn(64, G.latent_dim)
    scores, code_logits = D(G(z))
    loss = InfoGANLoss(build_loss("hinge")).g(scores, code_logits, G.codes_of(z))
"""
from __future__ import annotations

import math
import numbers

from .... import nn
from ....autograd import Tensor
from ....ops.activation import log_softmax
from ....distributed.functions import all_reduce
from ....ops.arith import exp, log
from ....ops.reduce import logsumexp, mean
from ....ops.reduce import sum as _sum
from ....ops.shape import concat
from ..conditional.models import _check_images, _one_hot, _split_features
from ..conditional.losses import checked_adversarial, checked_weight, class_loss
from ...core.losses import GANLoss
from ..unconditional.models import DCGANGenerator, dcgan_init_

__all__ = ["InfoGenerator", "InfoDiscriminator", "InfoGANLoss", "batch_information", "is_info_gan", "NUM_CODES"]

NUM_CODES = 10   # the registered model's categories: as many as MNIST has digits (the paper's 10-way code)


class InfoGenerator(nn.Module):
    """z (N, latent_dim) -> images (N, channels, size, size) in [-1, 1]; the code is argmax(z[:, :codes])."""

    def __init__(self, latent_dim: int = 100, width: int = 64, codes: int = NUM_CODES, channels: int = 1,
                 image_size: int = 28):
        super().__init__()
        if isinstance(codes, bool) or not isinstance(codes, numbers.Integral) or not 2 <= codes <= latent_dim:
            raise ValueError(f"InfoGenerator: codes must be an integer in [2, latent_dim={latent_dim}] (the code is "
                             f"read from the first `codes` noise entries), got {codes!r}")
        self.latent_dim, self.width, self.channels, self.image_size = latent_dim, width, channels, image_size
        self.codes = int(codes)
        self.body = DCGANGenerator(latent_dim + self.codes, width, channels, image_size)

    def codes_of(self, z: Tensor):
        """The category each noise row asks for: argmax of its first `codes` entries (int64 array, shape (N,))."""
        self._check_noise(z)
        data = z.array if isinstance(z, Tensor) else z
        return data[:, :self.codes].argmax(axis=1)

    def forward(self, z: Tensor) -> Tensor:
        code = _one_hot(self.codes_of(z), self.codes, z.dtype, z.xp)
        return self.body(concat([z, code], 1))

    def _check_noise(self, z) -> None:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"{type(self).__name__}: noise must have shape (N, {self.latent_dim}), "
                             f"got {tuple(z.shape)}")

    def extra_repr(self) -> str:
        return f"latent_dim={self.latent_dim}, codes={self.codes}"


class InfoDiscriminator(nn.Module):
    """images (N, C, H, W) -> (real/fake logit (N, 1), code logits (N, codes)) on shared features."""

    def __init__(self, width: int = 64, codes: int = NUM_CODES, channels: int = 1, image_size: int = 28):
        super().__init__()
        self.width, self.channels, self.image_size, self.codes = width, channels, image_size, int(codes)
        self.features, self.linear = _split_features(width, channels, image_size)
        self.code_head = nn.Linear(self.linear.in_features, self.codes)
        self.code_head.apply(dcgan_init_)

    def forward(self, x: Tensor) -> "tuple[Tensor, Tensor]":
        _check_images(x, self.channels, self.image_size, type(self).__name__)
        h = self.features(x)
        return self.linear(h), self.code_head(h)


def is_info_gan(discriminator) -> bool:
    """True for a discriminator with a code head (``InfoDiscriminator``): the run trains with ``InfoGANLoss``."""
    return isinstance(discriminator, InfoDiscriminator)


def batch_information(code_logits: Tensor, process_group=None) -> Tensor:
    """H(mean_i p_i) - mean_i H(p_i) for p_i = softmax(code_logits[i]): the mutual information between the
    batch's images and Q's categories (in nats; ln K at most, for K categories), as a scalar Tensor.

    Large when each image gets one category confidently (low H(p_i)) and the batch uses all of them evenly
    (high H of the mean). Computed from log-probabilities (log of the mean by logsumexp), finite for any logits::

        batch_information(minigan.tensor([[9.0, -9.0], [-9.0, 9.0]]))   # ~ ln 2: two sure, different categories

    With a `process_group` (a ``minigan.distributed`` communicator) of several ranks the batch is the global
    one: the mean of p_i is taken over every rank's rows (differentiably), as one process with all of them.
    """
    if code_logits.ndim != 2:
        raise ValueError(f"batch_information: code logits must have shape (N, K), got {tuple(code_logits.shape)}")
    n = code_logits.shape[0]
    logp = log_softmax(code_logits, 1)
    per_image = -mean(_sum(exp(logp) * logp, 1))
    local = logsumexp(logp, 0)
    if process_group is not None and process_group.size > 1:
        # log sum over every rank's rows: shifted by the largest local term, so the sum is at least 1
        top = process_group.allreduce(local.array.copy(), "max")
        local = log(all_reduce(exp(local - Tensor(top)), process_group)) + Tensor(top)
        n = n * process_group.size
    log_marginal = local - math.log(n)
    return -_sum(exp(log_marginal) * log_marginal) - per_image


class InfoGANLoss:
    """`adversarial` (a GANLoss) on the real/fake logits + `weight` * cross-entropy of the code logits on fakes
    (- `real_weight` * ``batch_information`` of Q on reals, when > 0)."""

    def __init__(self, adversarial: GANLoss | None = None, weight: float = 1.0, real_weight: float = 0.0,
                 process_group=None):
        self.adversarial = checked_adversarial(adversarial, "InfoGANLoss")
        self.process_group = process_group   # several ranks: the information over the global batch
        self.weight = checked_weight("InfoGANLoss", "weight", weight)
        self.real_weight = checked_weight("InfoGANLoss", "real_weight", real_weight)

    def d_real(self, real_scores: Tensor, code_logits: Tensor | None = None) -> Tensor:
        """D's loss on a real batch: the adversarial one, minus real_weight * Q's information on it (real
        images carry no code; `code_logits` are needed only when real_weight > 0)."""
        loss = self.adversarial.d_real(real_scores)
        if self.real_weight == 0.0:
            return loss
        if code_logits is None:
            raise ValueError("InfoGANLoss.d_real: real_weight > 0 needs Q's code logits of the real batch")
        return loss - self.real_weight * batch_information(code_logits, self.process_group)

    def d_fake(self, fake_scores: Tensor, code_logits: Tensor, codes) -> Tensor:
        """D's (and Q's) loss on a fake batch: adversarial + weight * CE of the codes G was asked for."""
        return self.adversarial.d_fake(fake_scores) + self.weight * class_loss(code_logits, codes,
                                                                               "InfoGANLoss.d_fake")

    def g(self, fake_scores: Tensor, code_logits: Tensor, codes) -> Tensor:
        """G's loss: adversarial + weight * CE, so G makes its categories recognisable."""
        return self.adversarial.g(fake_scores) + self.weight * class_loss(code_logits, codes, "InfoGANLoss.g")

    def config(self) -> dict:
        return {**self.adversarial.config(), "info_weight": self.weight, "info_real_weight": self.real_weight}

    def __repr__(self) -> str:
        return f"InfoGANLoss({self.adversarial!r}, weight={self.weight!r}, real_weight={self.real_weight!r})"
