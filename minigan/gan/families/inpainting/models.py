"""The inpainting generator (an encoder-decoder, U-Net skips optional) and a whole-image discriminator.

Context Encoder (Pathak et al. 2016) and pix2pix (Isola et al. 2017), sized for
28x28 digits. With w = ``width`` (32 by default) and b = ``bottleneck``:

    input: masked image (hidden pixels set to ``fill``) and the mask       (2, 28, 28)
    encoder  Conv(2 -> w, 4, 2, 1) + LeakyReLU(0.2)                        (w, 14, 14)   e1
             Conv(w -> 2w, 4, 2, 1) + BN + LeakyReLU(0.2)                  (2w, 7, 7)    e2
             Conv(2w -> 4w, 3, 2, 1) + BN + LeakyReLU(0.2)                 (4w, 4, 4)    e3
             Conv(4w -> b, 4, 1, 0) + LeakyReLU(0.2)                       (b, 1, 1)     the feature vector
    decoder  ConvT(b [+ noise_dim] -> 4w, 4, 1, 0) + BN + ReLU [+ Dropout] (4w, 4, 4)
             ConvT(4w [+ 4w] -> 2w, 3, 2, 1) + BN + ReLU [+ Dropout]       (2w, 7, 7)
             ConvT(2w [+ 2w] -> w, 4, 2, 1) + BN + ReLU                    (w, 14, 14)
             ConvT(w [+ w] -> 1, 4, 2, 1) + tanh                           (1, 28, 28)
    output:  where(mask, decoder, image): visible pixels are the input's, bit for bit

``[+ c]`` are the U-Net skips (``unet=True``): the encoder feature of the same
size concatenated on the channel axis. Noise, so that one masked digit can
have several completions: ``noise="dropout"`` (pix2pix: Dropout(0.5) in the
first two decoder blocks, active in training mode only) or ``"bottleneck"``
(z ~ N(0, 1) of ``noise_dim`` channels concatenated to the feature vector;
``forward(..., z=...)`` takes it explicitly, else it is drawn from minigan's
seeded generator) or ``"none"``. No BatchNorm on the first encoder layer and
the 1x1 feature vector, as in pix2pix. DCGAN initialisation throughout.

    G = InpaintingGenerator(width=32, unet=True)
    completed = G(images, masks)          # (N, 1, 28, 28); masks 1 = hidden
"""
from __future__ import annotations

import numpy as np

from .... import creation, nn
from ....autograd import Tensor
from ....ops import concat, where
from ..unconditional.models import DCGANDiscriminator, dcgan_init_

__all__ = ["NOISE_MODES", "InpaintingGenerator", "InpaintingDiscriminator", "build_inpainting_models"]

NOISE_MODES = ("dropout", "bottleneck", "none")


def _positive(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _down(cin: int, cout: int, kernel: int, stride: int, padding: int, batch_norm: bool) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding)]
    return nn.Sequential(*(layers + ([nn.BatchNorm2d(cout)] if batch_norm else []) + [nn.LeakyReLU(0.2)]))


def _up(cin: int, cout: int, kernel: int, stride: int, padding: int, dropout: float) -> nn.Sequential:
    layers = [nn.ConvTranspose2d(cin, cout, kernel, stride=stride, padding=padding), nn.BatchNorm2d(cout), nn.ReLU()]
    return nn.Sequential(*(layers + ([nn.Dropout(dropout)] if dropout else [])))


class InpaintingGenerator(nn.Module):
    """(images, masks) (N, 1, 28, 28) each -> completed images (N, 1, 28, 28) in [-1, 1].

    ``masks`` are 1 where a pixel is hidden; the hidden pixels of ``images``
    are never read (the input is ``where(mask, fill, image)``). ``raw(images,
    masks)`` gives the decoder's whole image before compositing.
    """

    task = "inpaint"  # what inpaint() and checkpoints look for: called as G(images, masks, z=None)

    def __init__(self, width: int = 32, bottleneck: int = 128, *, unet: bool = True, noise: str = "dropout",
                 noise_dim: int = 16, dropout: float = 0.5, fill: float = 0.0, image_size: int = 28):
        super().__init__()
        if image_size != 28:
            raise ValueError(f"InpaintingGenerator is built for 28x28 images, got image_size={image_size}")
        if noise not in NOISE_MODES:
            raise ValueError(f"noise must be one of {', '.join(NOISE_MODES)}, got {noise!r}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        w, b = _positive("width", width), _positive("bottleneck", bottleneck)
        self.width, self.bottleneck, self.unet, self.noise = w, b, bool(unet), noise
        self.noise_dim = _positive("noise_dim", noise_dim) if noise == "bottleneck" else 0
        self.dropout, self.fill, self.image_size = float(dropout), float(fill), image_size
        p = self.dropout if noise == "dropout" else 0.0
        skip = 1 if self.unet else 0
        self.enc1 = _down(2, w, 4, 2, 1, batch_norm=False)
        self.enc2 = _down(w, 2 * w, 4, 2, 1, batch_norm=True)
        self.enc3 = _down(2 * w, 4 * w, 3, 2, 1, batch_norm=True)
        self.enc4 = _down(4 * w, b, 4, 1, 0, batch_norm=False)
        self.dec4 = _up(b + self.noise_dim, 4 * w, 4, 1, 0, p)
        self.dec3 = _up(4 * w * (1 + skip), 2 * w, 3, 2, 1, p)
        self.dec2 = _up(2 * w * (1 + skip), w, 4, 2, 1, 0.0)
        self.dec1 = nn.Sequential(nn.ConvTranspose2d(w * (1 + skip), 1, 4, stride=2, padding=1), nn.Tanh())
        self.apply(dcgan_init_)

    def raw(self, images: Tensor, masks: Tensor, z: Tensor | None = None) -> Tensor:
        """The decoder's output for the whole image, before the visible pixels are put back."""
        images, masks, hidden = self._inputs(images, masks)
        masked = where(hidden, self.fill, images)
        e1 = self.enc1(concat([masked, masks.astype(masked.dtype)], dim=1))
        e2 = self.enc2(e1)
        e3 = self.enc3(e2)
        code = self.enc4(e3)
        if self.noise == "bottleneck":
            code = concat([code, self._noise(z, code)], dim=1)
        elif z is not None:
            raise ValueError(f"this generator takes no z (noise={self.noise!r}); build it with noise='bottleneck'")
        d = self.dec4(code)
        d = self.dec3(concat([d, e3], dim=1) if self.unet else d)
        d = self.dec2(concat([d, e2], dim=1) if self.unet else d)
        return self.dec1(concat([d, e1], dim=1) if self.unet else d)

    def forward(self, images: Tensor, masks: Tensor, z: Tensor | None = None) -> Tensor:
        # where() rather than mask * G + (1 - mask) * x: the same for masks in {0, 1}, but exact
        # (no -0.0 or rounding can touch a visible pixel) and a NaN in G cannot leak into them.
        images, masks, hidden = self._inputs(images, masks)
        return where(hidden, self.raw(images, masks, z), images)

    def _inputs(self, images, masks) -> tuple[Tensor, Tensor, object]:
        """Both as Tensors (arrays go to the images' device) after a shape check, and the boolean hidden mask."""
        images = images if isinstance(images, Tensor) else creation.tensor(images)
        masks = masks if isinstance(masks, Tensor) else creation.tensor(masks, device=images.device)
        size = (1, self.image_size, self.image_size)
        if images.ndim != 4 or images.shape[1:] != size or masks.shape != images.shape:
            raise ValueError(f"InpaintingGenerator: images and masks must both be (N, 1, {self.image_size}, "
                             f"{self.image_size}), got images {images.shape} and masks {masks.shape}")
        return images, masks, masks.array != 0

    def _noise(self, z: Tensor | None, code: Tensor) -> Tensor:
        n = code.shape[0]
        if z is None:
            z = creation.randn(n, self.noise_dim, dtype=code.dtype)
            z = z if code.device.type == "cpu" else z.to(code.device)
        if z.shape != (n, self.noise_dim):
            raise ValueError(f"InpaintingGenerator: z must be ({n}, {self.noise_dim}), got {z.shape}")
        return z.reshape(n, self.noise_dim, 1, 1)

    def extra_repr(self) -> str:
        return (f"width={self.width}, bottleneck={self.bottleneck}, unet={self.unet}, noise={self.noise!r}"
                + (f", noise_dim={self.noise_dim}" if self.noise_dim else "")
                + (f", dropout={self.dropout}" if self.noise == "dropout" else ""))


class InpaintingDiscriminator(nn.Module):
    """Whole image (N, 1, 28, 28) -> real/fake logit (N, 1), plus class logits (N, num_classes) when asked.

    The body is the DCGAN discriminator's (``minigan.gan.families.unconditional.models``); with
    ``num_classes`` an auxiliary class head (AC-GAN, Odena et al. 2017) shares
    its features. ``D(x)`` returns the logit only, so any adversarial loss of
    ``minigan.gan.core.losses`` applies; ``D.scores_and_classes(x)`` returns both
    from one pass: ``scores, class_logits = D.scores_and_classes(completed)``.
    """

    def __init__(self, width: int = 64, num_classes: int = 0, image_size: int = 28):
        super().__init__()
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 0:
            raise ValueError(f"num_classes must be a non-negative integer (0: no class head), got {num_classes!r}")
        self.width, self.num_classes, self.image_size = width, int(num_classes), image_size
        layers = list(DCGANDiscriminator(width, 1, image_size).net)
        self.features = nn.Sequential(*layers[:-1])
        self.score = layers[-1]
        self.classes = nn.Linear(self.score.in_features, self.num_classes) if self.num_classes else None
        if self.classes is not None:
            dcgan_init_(self.classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.score(self.features(x))

    def scores_and_classes(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(logits (N, 1), class logits (N, num_classes)); needs num_classes > 0."""
        if self.classes is None:
            raise ValueError("this discriminator has no class head; build it with num_classes=10")
        features = self.features(x)
        return self.score(features), self.classes(features)


def build_inpainting_models(width: int = 32, d_width: int = 64, *, num_classes: int = 0, **generator_options
                            ) -> tuple[InpaintingGenerator, InpaintingDiscriminator]:
    """(G, D) for inpainting: ``build_inpainting_models(32, unet=True, noise="dropout", num_classes=10)``.

    `generator_options` go to InpaintingGenerator (bottleneck, unet, noise, noise_dim, dropout, fill).
    """
    return InpaintingGenerator(width, **generator_options), InpaintingDiscriminator(d_width, num_classes)
