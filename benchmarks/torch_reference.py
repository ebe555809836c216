"""PyTorch reference models and training step, layer for layer the same as minigan's.

Only the benchmarks import this module, and only when torch is installed. The models are
the ones `minigan.gan.build_models` builds (same layers, same order, same BatchNorm
eps 1e-5 / momentum 0.1, same LeakyReLU slope 0.2; the DCGAN's init N(0, 0.02), the MLP's
PyTorch default init, as minigan's), the loss is BCE-with-logits with the non-saturating
generator loss, and the optimiser is Adam (lr 2e-4, betas (0.5, 0.999)) on each network.
The step mirrors `minigan.gan.training.GANUpdater.step` (the trainer's step) without its logging: D's
weights are frozen (requires_grad False) during the generator's backward pass.
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

LATENT_DIM = 100
LR = 2e-4
BETAS = (0.5, 0.999)


class Reshape(nn.Module):
    def __init__(self, *shape: int):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)


def mlp_models(latent_dim: int = LATENT_DIM) -> tuple[nn.Module, nn.Module]:
    """G 100→256→512→1024→784 (Linear→BN1d→LeakyReLU(0.2), tanh out); D 784→512→256→1."""
    layers: list[nn.Module] = []
    width = latent_dim
    for out in (256, 512, 1024):
        layers += [nn.Linear(width, out), nn.BatchNorm1d(out, eps=1e-5, momentum=0.1), nn.LeakyReLU(0.2)]
        width = out
    layers += [nn.Linear(width, 784), nn.Tanh(), Reshape(1, 28, 28)]
    G = nn.Sequential(*layers)
    D = nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 256), nn.LeakyReLU(0.2),
        nn.Linear(256, 1),
    )
    return G, D


def dcgan_models(latent_dim: int = LATENT_DIM) -> tuple[nn.Module, nn.Module]:
    """The MNIST DCGAN: 7x7x128 → 14x14x64 → 28x28x1 generator and its mirror discriminator."""
    G = nn.Sequential(
        nn.Linear(latent_dim, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7, eps=1e-5, momentum=0.1), nn.ReLU(),
        Reshape(128, 7, 7),
        nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1), nn.BatchNorm2d(64, eps=1e-5, momentum=0.1), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1), nn.Tanh(),
    )
    D = nn.Sequential(
        nn.Conv2d(1, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, stride=2, padding=1), nn.BatchNorm2d(128, eps=1e-5, momentum=0.1), nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(128 * 7 * 7, 1),
    )
    return G, D


def dcgan_init_(module: nn.Module) -> None:
    """DCGAN paper init: conv/linear weights N(0, 0.02), BN weights N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def build_models(name: str, device: str = "cpu", seed: int = 0) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(seed)
    if name == "mlp":
        G, D = mlp_models()
    elif name == "dcgan":
        G, D = dcgan_models()
    else:
        raise ValueError(f"unknown model {name!r}: use 'mlp' or 'dcgan'")
    if name == "dcgan":
        dcgan_init_(G)
        dcgan_init_(D)
    return G.to(device).train(), D.to(device).train()


class TorchGANStep:
    """One GAN iteration: D on a real and a fake batch, then G through a recomputed D(G(z)).

    Exactly the work the minigan side does: one G forward, three D forwards, two backward
    passes (the second with D's weights frozen), two Adam steps.
    """

    def __init__(self, model: str, batch: int, device: str = "cpu", seed: int = 0):
        self.device = torch.device(device)
        self.G, self.D = build_models(model, device, seed)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=LR, betas=BETAS)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=LR, betas=BETAS)
        gen = torch.Generator(device="cpu").manual_seed(seed + 1)
        self.real = (torch.rand(batch, 1, 28, 28, generator=gen) * 2 - 1).to(self.device)
        self.ones = torch.ones(batch, 1, device=self.device)
        self.zeros = torch.zeros(batch, 1, device=self.device)
        self.batch = batch

    def __call__(self) -> tuple[float, float] | None:
        z = torch.randn(self.batch, LATENT_DIM, device=self.device)
        fake = self.G(z)
        # discriminator: real → 1, fake → 0 (fake detached: no gradient into G)
        self.opt_d.zero_grad(set_to_none=True)
        loss_d = (F.binary_cross_entropy_with_logits(self.D(self.real), self.ones)
                  + F.binary_cross_entropy_with_logits(self.D(fake.detach()), self.zeros))
        loss_d.backward()
        self.opt_d.step()
        # generator: non-saturating loss on D(G(z)) recomputed with the updated D
        self.opt_g.zero_grad(set_to_none=True)
        self.D.requires_grad_(False)  # as minigan's trainer: no gradients for D's weights here
        loss_g = F.binary_cross_entropy_with_logits(self.D(fake), self.ones)
        loss_g.backward()
        self.D.requires_grad_(True)
        self.opt_g.step()
        return loss_d, loss_g

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
