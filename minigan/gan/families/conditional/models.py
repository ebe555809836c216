"""Class-conditional GAN models: a label-driven generator, projection / concatenation and AC-GAN discriminators.

All are the DCGAN models of `minigan.gan.families.unconditional.models` (same layers, same N(0, 0.02)
initialisation) with the label joined in where the papers put it:

``ConditionalGenerator`` (Mirza & Osindero 2014, DCGAN-sized)
    G(z, y): [z, code(y)] -> the DCGAN generator, whose first Linear takes latent_dim + code_dim inputs.
    code(y) is a learned Embedding(num_classes, code_dim) (default; N(0, 1) like the noise beside it)
    or the one-hot vector of y (``label_code="one-hot"``, code_dim = num_classes).
``ProjectionDiscriminator`` (Miyato & Koyama 2018; the ``cgan`` default)
    D(x, y) = psi(phi(x)) + <embed(y), phi(x)>, phi = the DCGAN discriminator up to its flattened
    features (2w*7*7), psi its final Linear; embed(y) ~ N(0, 0.02) like psi's weights.
``ConcatDiscriminator`` (the classic cGAN D; ``cgan-concat``)
    D(x, y) = DCGAN D on [x, one-hot(y) broadcast to num_classes image planes].
``ACGANDiscriminator`` (Odena et al. 2017; ``acgan``)
    D(x) = (psi(phi(x)), class_head(phi(x))): a real/fake logit (N, 1) and class logits (N, num_classes)
    on shared features. It does not see the label; the class loss trains it to tell the class.

Every model checks its labels with `minigan.data.labels.check_labels` (integers, shape (N,), in
0..num_classes-1) and carries ``num_classes``, which is how sampling tells a conditional model apart.

    G, D = build_models("cgan")                    # or "cgan-concat", "acgan"
    z, y = minigan.randn(64, G.latent_dim), uniform_labels(64, G.num_classes)
    logits = D(G(z, y), y)                         # (64, 1); ACGAN: scores, class_logits = D(G(z, y))
"""
from __future__ import annotations

from .... import nn
from ....autograd import Tensor
from ....data.datasets import NUM_CLASSES
from ....nn import functional as F
from ....nn import init
from ....ops.conv import conv2d
from ....ops.linalg import matmul
from ....ops.reduce import sum as _sum
from ....ops.shape import concat, getitem, permute, reshape, transpose
from .labels import check_labels
from ..unconditional.models import DCGANDiscriminator, DCGANGenerator, dcgan_init_

__all__ = ["ConditionalGenerator", "ProjectionDiscriminator", "ConcatDiscriminator", "ACGANDiscriminator",
           "LABEL_CODES", "NUM_CLASSES"]

LABEL_CODES = ("embedding", "one-hot")


def _one_hot(y, num_classes: int, dtype, xp) -> Tensor:
    """Constant float one-hot rows (N, num_classes) of checked labels `y` (no gradient: labels are data)."""
    return Tensor(xp.eye(num_classes, dtype=dtype)[y])


def _split_features(width: int, channels: int, image_size: int) -> "tuple[nn.Sequential, nn.Linear]":
    """The DCGAN discriminator as phi (conv stack to flattened features) and psi (the last Linear)."""
    layers = list(DCGANDiscriminator(width, channels, image_size).net)
    return nn.Sequential(*layers[:-1]), layers[-1]


def _check_images(x: Tensor, channels: int, image_size: int, op: str) -> None:
    if x.ndim != 4 or tuple(x.shape[1:]) != (channels, image_size, image_size):
        raise ValueError(f"{op}: images must have shape (N, {channels}, {image_size}, {image_size}), "
                         f"got {tuple(x.shape)}")


class ConditionalGenerator(nn.Module):
    """(z (N, latent_dim), labels (N,) int) -> images (N, channels, size, size) in [-1, 1]."""

    def __init__(self, latent_dim: int = 100, width: int = 64, num_classes: int = NUM_CLASSES,
                 label_code: str = "embedding", code_dim: int | None = None, channels: int = 1,
                 image_size: int = 28):
        super().__init__()
        if label_code not in LABEL_CODES:
            raise ValueError(f"label_code must be one of {', '.join(LABEL_CODES)}, got {label_code!r}")
        if label_code == "one-hot" and code_dim not in (None, num_classes):
            raise ValueError(f"a one-hot label code has code_dim = num_classes = {num_classes}, got {code_dim}")
        self.latent_dim, self.width, self.channels, self.image_size = latent_dim, width, channels, image_size
        self.num_classes, self.label_code = int(num_classes), label_code
        self.code_dim = int(code_dim or num_classes)
        if label_code == "embedding":
            self.embed = nn.Embedding(self.num_classes, self.code_dim)   # N(0, 1), the noise's scale
        self.body = DCGANGenerator(latent_dim + self.code_dim, width, channels, image_size)

    def forward(self, z: Tensor, labels=None) -> Tensor:
        op = type(self).__name__
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"{op}: noise must have shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        y = check_labels(labels, self.num_classes, z.shape[0], op, device=z.device,
                         against=f"noise of shape {tuple(z.shape)}")
        code = self.embed(Tensor(y)) if self.label_code == "embedding" else _one_hot(y, self.num_classes,
                                                                                     z.dtype, z.xp)
        return self.body(concat([z, code], 1))

    def extra_repr(self) -> str:
        return f"latent_dim={self.latent_dim}, num_classes={self.num_classes}, label_code={self.label_code!r}"


class ProjectionDiscriminator(nn.Module):
    """(images (N, C, H, W), labels (N,)) -> logit (N, 1) = psi(phi(x)) + <embed(y), phi(x)>."""

    def __init__(self, width: int = 64, num_classes: int = NUM_CLASSES, channels: int = 1, image_size: int = 28):
        super().__init__()
        self.width, self.channels, self.image_size, self.num_classes = width, channels, image_size, int(num_classes)
        self.features, self.linear = _split_features(width, channels, image_size)
        self.embed = nn.Embedding(self.num_classes, self.linear.in_features)   # the class vectors, (K, features)
        init.normal_(self.embed.weight, 0.0, 0.02)   # the projection starts at psi's scale (DCGAN init)

    def forward(self, x: Tensor, labels=None) -> Tensor:
        op = type(self).__name__
        _check_images(x, self.channels, self.image_size, op)
        y = check_labels(labels, self.num_classes, x.shape[0], op, device=x.device,
                         against=f"images of shape {tuple(x.shape)}")
        h = self.features(x)
        # <embed(y), h> as the y-th column of h @ embed.weight^T: two small GEMMs forward and backward
        # instead of gathering (N, features) rows and scatter-adding their gradient (np.add.at is slow).
        projections = F.linear(h, self.embed.weight)
        return self.linear(h) + _sum(projections * _one_hot(y, self.num_classes, h.dtype, x.xp), 1, keepdims=True)


class ConcatDiscriminator(nn.Module):
    """(images (N, C, H, W), labels (N,)) -> logit (N, 1): the DCGAN D on the image plus one-hot label planes.

    The first conv is computed in two parts that add up to conv([x, planes(y)]): the image channels as
    usual, and the label channels as one response map per class (a conv of the K constant plane stacks,
    K images instead of N), picked by a one-hot GEMM. Same weights and result as the plain concatenation
    (checked against torch), without convolving N * K constant planes every step.
    """

    def __init__(self, width: int = 64, num_classes: int = NUM_CLASSES, channels: int = 1, image_size: int = 28):
        super().__init__()
        self.width, self.channels, self.image_size, self.num_classes = width, channels, image_size, int(num_classes)
        self.body = DCGANDiscriminator(width, channels + self.num_classes, image_size)

    def forward(self, x: Tensor, labels=None) -> Tensor:
        op = type(self).__name__
        _check_images(x, self.channels, self.image_size, op)
        y = check_labels(labels, self.num_classes, x.shape[0], op, device=x.device,
                         against=f"images of shape {tuple(x.shape)}")
        conv, c, k = self.body.net[0], self.channels, self.num_classes
        for hook in list(conv._forward_pre_hooks.values()):  # conv(x) is not called: run what it would run
            hook(conv, (x,))                                   # first (spectral norm sets conv.weight there)
        weight = conv.weight
        h = conv2d(x, getitem(weight, (slice(None), slice(0, c))), conv.bias, conv.stride, conv.padding)
        planes = x.xp.broadcast_to(x.xp.eye(k, dtype=x.dtype)[:, :, None, None], (k, k) + tuple(x.shape[2:]))
        class_maps = conv2d(Tensor(x.xp.ascontiguousarray(planes)), getitem(weight, (slice(None), slice(c, None))),
                            None, conv.stride, conv.padding)                       # (K, width, H/2, W/2)
        # (width*H/2*W/2, N), laid out batch-last like the conv output h, so the sum is a plain streaming add
        picked = matmul(transpose(reshape(class_maps, (k, -1))), transpose(_one_hot(y, k, x.dtype, x.xp)))
        h = h + permute(reshape(picked, tuple(h.shape[1:]) + (h.shape[0],)), (3, 0, 1, 2))
        return self.body.net[1:](h)


class ACGANDiscriminator(nn.Module):
    """images (N, C, H, W) -> (real/fake logit (N, 1), class logits (N, num_classes)) on shared features."""

    def __init__(self, width: int = 64, num_classes: int = NUM_CLASSES, channels: int = 1, image_size: int = 28):
        super().__init__()
        self.width, self.channels, self.image_size, self.num_classes = width, channels, image_size, int(num_classes)
        self.features, self.linear = _split_features(width, channels, image_size)
        self.classifier = nn.Linear(self.linear.in_features, self.num_classes)
        self.classifier.apply(dcgan_init_)

    def forward(self, x: Tensor) -> "tuple[Tensor, Tensor]":
        _check_images(x, self.channels, self.image_size, type(self).__name__)
        h = self.features(x)
        return self.linear(h), self.classifier(h)
