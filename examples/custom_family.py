# Shows: a GAN family minigan does not ship, added from outside (no file under minigan/ changes): the
# relativistic average GAN (Jolicoeur-Martineau 2018), its own models, option (--ra-loss) and logged value.
# Takes: a few seconds per 100 steps on a laptop CPU (the models are small).
# "gap" in the log is how much more real than fake D finds the real batch. Every command finds the family
# when this file is named with --plugin:
#
#     minigan train --plugin examples/custom_family.py --model ragan --ra-loss hinge --epochs 1 --out runs/ragan
#     minigan train --plugin examples/custom_family.py --resume runs/ragan --epochs 2
#     minigan sample --plugin examples/custom_family.py --checkpoint runs/ragan --n 64 --grid ragan.png
#     minigan eval --plugin examples/custom_family.py --checkpoint runs/ragan
#
# Installed as a package instead, the family is found with no --plugin when the package declares it:
#     [project.entry-points."minigan.families"]
#     ragan = "custom_family:RelativisticAverageGAN"
from __future__ import annotations

import dataclasses

import minigan
from minigan import nn
from minigan.gan import Family, GANUpdater, register_family, report
from minigan.gan.training.updater import frozen, grad_norm, mean_sigmoid
from minigan.nn import functional as F


class SmallGenerator(nn.Module):
    """z (N, latent_dim) -> (N, 1, 28, 28) in [-1, 1]: a linear layer to 7x7 maps, two upsampling convs."""

    def __init__(self, latent_dim: int = 64, width: int = 32):
        super().__init__()
        self.latent_dim = latent_dim
        self.project = nn.Sequential(nn.Linear(latent_dim, 2 * width * 7 * 7), nn.ReLU())
        self.body = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh())
        self.width = width

    def forward(self, z):
        return self.body(self.project(z).reshape(z.shape[0], 2 * self.width, 7, 7))


class SmallCritic(nn.Module):
    """(N, 1, 28, 28) -> (N, 1) raw scores: two strided convs and a linear layer."""

    def __init__(self, width: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * width * 7 * 7, 1))

    def forward(self, x):
        return self.net(x)


def relativistic_losses(real, fake, kind: str):
    """(D's loss, G's loss) of the relativistic average GAN: each batch is judged against the other's mean."""
    real_vs_fake, fake_vs_real = real - fake.mean(), fake - real.mean()
    if kind == "hinge":
        d = (1 - real_vs_fake).relu().mean() + (1 + fake_vs_real).relu().mean()
        g = (1 + real_vs_fake).relu().mean() + (1 - fake_vs_real).relu().mean()
        return d, g
    bce = F.binary_cross_entropy_with_logits
    ones, zeros = minigan.ones_like(real), minigan.zeros_like(real)
    d = bce(real_vs_fake, ones) + bce(fake_vs_real, zeros)
    g = bce(fake_vs_real, ones) + bce(real_vs_fake, zeros)
    return d, g


class RelativisticStep(GANUpdater):
    """The alternating step with relativistic losses: D and G both see the real and the fake scores."""

    def __init__(self, *args, ra_loss: str = "bce", **kwargs):
        super().__init__(*args, **kwargs)
        self.ra_loss = ra_loss

    def step(self, batches):
        G, D, record = self.G, self.D, {}
        G.train()
        D.train()
        for batch in batches:
            x = self.real_images(batch)
            fake = G(self.noise(x.shape[0]))
            self.opt_d.zero_grad()
            real_scores, fake_scores = D(x), D(fake.detach())
            loss_d, _ = relativistic_losses(real_scores, fake_scores, self.ra_loss)
            penalty = self.critic_penalty(x, fake.detach(), record)
            if penalty is not None:
                loss_d = loss_d + penalty
            record["loss_D"] = float(loss_d.item())
            self.check_finite(record["loss_D"], "loss_D")
            loss_d.backward()
            record["grad_norm_D"] = grad_norm(D.parameters())
            self.opt_d.step()
        self.opt_g.zero_grad()
        with frozen(D):   # D scores again after its update; only G gets gradients
            real_scores, fake_scores = D(x), D(fake)
            _, loss_g = relativistic_losses(real_scores, fake_scores, self.ra_loss)
            record["loss_G"] = float(loss_g.item())
            self.check_finite(record["loss_G"], "loss_G")
            loss_g.backward()
        record["grad_norm_G"] = grad_norm(G.parameters())
        self.opt_g.step()
        record.update(D_x=mean_sigmoid(real_scores), D_G_z=mean_sigmoid(fake_scores),
                      gap=float((real_scores.mean() - fake_scores.mean()).item()))
        report(record)
        return record


@dataclasses.dataclass
class RelativisticOptions:
    ra_loss: str = dataclasses.field(default="bce", metadata={
        "help": "the relativistic loss: bce (RaSGAN) or hinge (RaHingeGAN)", "choices": ("bce", "hinge")})


@register_family
class RelativisticAverageGAN(Family):
    name = "ragan"
    help = "relativistic average GAN (Jolicoeur-Martineau 2018), from examples/custom_family.py"
    Options = RelativisticOptions
    recipe = {"loss": "bce", "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.999, "critic_norm": "batch",
              "spectral_norm": False, "ema": None}
    defaults = {"latent_dim": 64, "width": 32}

    def validate(self, config):
        super().validate(config)
        if self.options(config).ra_loss not in ("bce", "hinge"):
            raise ValueError(f"--ra-loss must be bce or hinge, got {self.options(config).ra_loss!r}")

    def build_models(self, config):
        return SmallGenerator(config.latent_dim, config.width), SmallCritic(config.width)

    def build_generator(self, model_config):
        return SmallGenerator(model_config.get("latent_dim", 64), model_config.get("width", 32))

    def make_updater(self, G, D, opt_g, opt_d, loss, *, config, penalties, device):
        return RelativisticStep(G, D, opt_g, opt_d, loss, device=device, latent_dim=config.latent_dim,
                                n_critic=config.n_critic, penalties=penalties, ra_loss=self.options(config).ra_loss)
