"""Generator and discriminator models, and a registry to build them by name.

Two families, both for 1x28x28 images in [-1, 1] (MNIST, Fashion-MNIST):

``dcgan`` (the default; Radford et al. 2015, sized for 28x28 as in PyTorch's DCGAN examples)
    G: z -> Linear(latent, 2w*7*7) + BN1d + ReLU -> (2w, 7, 7)
         -> ConvTranspose2d(2w -> w, 4, 2, 1) + BN2d + ReLU -> (w, 14, 14)
         -> ConvTranspose2d(w -> 1, 4, 2, 1) + tanh            -> (1, 28, 28)
    D: x -> Conv2d(1 -> w, 4, 2, 1) + LeakyReLU(0.2)            -> (w, 14, 14)
         -> Conv2d(w -> 2w, 4, 2, 1) + BN2d + LeakyReLU(0.2)    -> (2w, 7, 7)
         -> Flatten -> Linear(2w*7*7 -> 1)                       -> logit
    with w = ``width`` = 64 base channels by default. Weights N(0, 0.02), biases 0,
    BatchNorm gamma N(1, 0.02), beta 0 (the DCGAN paper's initialisation).

``mlp`` (Goodfellow et al. 2014, fully connected)
    G: z -> [Linear + BN1d + LeakyReLU(0.2)] x3 (w, 2w, 4w units) -> Linear(784) + tanh -> (1, 28, 28)
    D: x -> Flatten -> Linear(784 -> 2w) + LeakyReLU(0.2) -> Linear(2w -> w) + LeakyReLU(0.2) -> Linear(w -> 1)
    with w = ``width`` = 256 by default (G 100-256-512-1024-784, D 784-512-256-1),
    PyTorch's default layer initialisation.

The discriminators return raw logits of shape (N, 1); the losses apply the sigmoid
(or none: LSGAN and hinge use the raw score). The models are plain ``nn.Module``s:
any generator mapping (N, latent_dim) noise to (N, 1, 28, 28) images and any
discriminator mapping images to (N, 1) scores can be used with ``GANTrainer``.
A family of your own (families/registry.py) makes its models buildable by name.
"""
from __future__ import annotations

from .... import nn
from ....nn import init

__all__ = ["dcgan_init_", "DCGANGenerator", "DCGANDiscriminator", "MLPGenerator", "MLPDiscriminator"]

IMAGE_SHAPE = (1, 28, 28)


def dcgan_init_(module: nn.Module) -> None:
    """DCGAN initialisation for one module; use as ``model.apply(dcgan_init_)``.

    Conv, transposed conv and linear weights ~ N(0, 0.02), biases 0;
    BatchNorm weight (gamma) ~ N(1, 0.02), bias (beta) 0.
    """
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        if module.weight is not None:
            init.normal_(module.weight, 1.0, 0.02)
        if module.bias is not None:
            init.zeros_(module.bias)


class _Reshape(nn.Module):
    def __init__(self, *shape: int):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self) -> str:
        return ", ".join(str(s) for s in self.shape)


class DCGANGenerator(nn.Module):
    """z (N, latent_dim) -> image (N, channels, 4*s, 4*s) in [-1, 1]; s = image_size // 4 (7 for 28x28)."""

    def __init__(self, latent_dim: int = 100, width: int = 64, channels: int = 1, image_size: int = 28):
        super().__init__()
        if image_size % 4:
            raise ValueError(f"the DCGAN models need an image size divisible by 4, got {image_size}")
        self.latent_dim, self.width, self.channels, self.image_size = latent_dim, width, channels, image_size
        s = image_size // 4
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 2 * width * s * s),
            nn.BatchNorm1d(2 * width * s * s),
            nn.ReLU(),
            _Reshape(2 * width, s, s),
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.ConvTranspose2d(width, channels, 4, stride=2, padding=1),
            nn.Tanh(),
        )
        self.apply(dcgan_init_)

    def forward(self, z):
        return self.net(z)


class DCGANDiscriminator(nn.Module):
    """image (N, channels, H, W) -> logit (N, 1)."""

    def __init__(self, width: int = 64, channels: int = 1, image_size: int = 28):
        super().__init__()
        if image_size % 4:
            raise ValueError(f"the DCGAN models need an image size divisible by 4, got {image_size}")
        self.width, self.channels, self.image_size = width, channels, image_size
        s = image_size // 4
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),
            nn.BatchNorm2d(2 * width),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * width * s * s, 1),
        )
        self.apply(dcgan_init_)

    def forward(self, x):
        return self.net(x)


class MLPGenerator(nn.Module):
    """z (N, latent_dim) -> image (N, channels, size, size) in [-1, 1] through width, 2*width, 4*width units."""

    def __init__(self, latent_dim: int = 100, width: int = 256, channels: int = 1, image_size: int = 28):
        super().__init__()
        self.latent_dim, self.width, self.channels, self.image_size = latent_dim, width, channels, image_size
        pixels = channels * image_size * image_size
        layers: list[nn.Module] = []
        in_features = latent_dim
        for out_features in (width, 2 * width, 4 * width):
            layers += [nn.Linear(in_features, out_features),
                       nn.BatchNorm1d(out_features, eps=1e-5, momentum=0.1),
                       nn.LeakyReLU(0.2)]
            in_features = out_features
        layers += [nn.Linear(in_features, pixels), nn.Tanh(), _Reshape(channels, image_size, image_size)]
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """image (N, channels, size, size) -> logit (N, 1) through 2*width and width units."""

    def __init__(self, width: int = 256, channels: int = 1, image_size: int = 28):
        super().__init__()
        self.width, self.channels, self.image_size = width, channels, image_size
        pixels = channels * image_size * image_size
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(pixels, 2 * width),
            nn.LeakyReLU(0.2),
            nn.Linear(2 * width, width),
            nn.LeakyReLU(0.2),
            nn.Linear(width, 1),
        )

    def forward(self, x):
        return self.net(x)
