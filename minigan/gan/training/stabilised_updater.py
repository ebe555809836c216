"""StabilisedUpdater (issue 13): the GAN step with Wasserstein critics, penalties, spectral norm, EMA and lr schedules.

Every option is off by default, and then the step is exactly ``GANUpdater``'s (same numbers, same
noise draws), so ``GANTrainer`` uses this updater for every unconditional run. What each option does:

    loss "wgan-gp"   the WGAN critic loss + gp_weight * E[(||grad D(x_hat)|| - 1)^2] on random interpolates
                     (Gulrajani et al. 2017); the critic must not hold BatchNorm (`critic_norm`)
    loss "wgan"      the WGAN critic loss, the critic's weights clipped to [-clip, clip] after each of
                     its steps, RMSprop on both nets (Arjovsky et al. 2017)
    r1 = gamma       + gamma/2 E[||grad D(x)||^2] on real images, any loss; r1_every = k applies it on
                     every k-th critic step, scaled by k (lazy regularisation, StyleGAN2)
    spectral_norm    nn.utils.spectral_norm on every Conv2d / ConvTranspose2d / Linear of D
    ema = decay      an EMA of G's weights (gan/ema.py): samples, grids, evaluation and the checkpoint's
                     generator for `minigan eval` / `sample` come from it; checkpointed as "ema"
    lr_schedule      one scheduler per optimiser (see `parse_lr_schedule`), stepped at each epoch's end

The options live in the ``Stabilisers`` mixin, which fills ``GANUpdater``'s step hooks, so the
conditional (``ConditionalUpdater``) and inpainting (``InpaintUpdater``) steps take every one of them
too; a penalty differentiates D's real/fake score (``critic_score``) w.r.t. the image, labels fixed.

From Python::

    from minigan.gan import GANTrainer, TrainConfig
    from minigan.gan.training.stabilised_updater import loss_defaults
    GANTrainer(TrainConfig(loss="wgan-gp", **loss_defaults("wgan-gp"), ema=0.999, out="runs/wgp")).train()
"""
from __future__ import annotations

from ... import nn, optim
from ...autograd import Tensor
from ..core.checkpoint import CheckpointError
from ..core.ema import EMA
from ..core.lr_schedules import parse_lr_schedule
from ..core.penalties import check_per_sample_critic, gradient_penalty, r1_penalty
from .hooks import clip_weights_
from .extensions import Extension
from .updater import GANUpdater

__all__ = ["StabilisedUpdater", "Stabilisers", "stabiliser_parts", "ScheduleStep", "CRITIC_NORMS", "loss_defaults",
           "parse_lr_schedule", "set_critic_norm", "spectral_norm_all"]

CRITIC_NORMS = ("batch", "layer", "instance", "none")

# The Wasserstein losses' own settings (the CLI uses them unless an option is given): the papers', except
# WGAN-GP's rate: 4e-4 instead of the paper's 1e-4, which in 5 MNIST epochs (935 G steps at n_critic 5) reached
# FID 192.1 against 81.3 at 4e-4 (docs/stabilisers.md). No spectral norm in either paper: these override a
# preset's (the default recipe's) spectral norm too.
_LOSS_DEFAULTS = {
    "wgan-gp": {"n_critic": 5, "beta1": 0.0, "beta2": 0.9, "lr_g": 4e-4, "lr_d": 4e-4, "critic_norm": "layer",
                "spectral_norm": False},
    "wgan": {"n_critic": 5, "lr_g": 5e-5, "lr_d": 5e-5, "critic_norm": "batch", "spectral_norm": False},
}


def loss_defaults(loss: str) -> dict:
    """The TrainConfig fields a loss changes from the general defaults: wgan-gp n_critic 5, Adam (0, 0.9), a
    LayerNorm critic (Gulrajani et al.), lr 4e-4 (the paper: 1e-4); wgan n_critic 5, RMSprop lr 5e-5 (Arjovsky
    et al.); neither has spectral norm."""
    return dict(_LOSS_DEFAULTS.get(loss, {}))


def resolved_critic_norm(config) -> str:
    """config.critic_norm, or when None the loss's default ('layer' for wgan-gp, else the model's 'batch')."""
    return config.critic_norm or loss_defaults(config.loss).get("critic_norm", "batch")


class ScheduleStep(Extension):
    """Steps the updater's lr schedulers at each epoch's end (added after the default extensions, so a
    checkpoint never holds a stepped schedule with the position of the epoch before)."""

    def epoch_end(self, trainer) -> None:
        trainer.updater.step_schedules()


# ---- critic surgery ----------------------------------------------------------------------------------------
def _replacement(bn, norm: str):
    channels = bn.num_features
    if norm == "none":
        return nn.Identity()
    if isinstance(bn, nn.BatchNorm1d):
        if norm == "instance":
            raise ValueError("critic_norm='instance' needs 2-d feature maps, but the critic has a BatchNorm1d")
        return nn.LayerNorm(channels)
    # LayerNorm over each sample's (C, H, W) with per-channel affine, as the WGAN-GP code's conv critics
    return nn.GroupNorm(1, channels) if norm == "layer" else nn.InstanceNorm2d(channels, affine=True)


def set_critic_norm(critic: nn.Module, norm: str, device=None) -> nn.Module:
    """Replace every BatchNorm of `critic` with a per-sample norm: 'layer' (GroupNorm(1, C)), 'instance'
    (InstanceNorm2d, affine) or 'none'; 'batch' keeps it. In place; returns the critic."""
    if norm not in CRITIC_NORMS:
        raise ValueError(f"critic_norm must be one of {', '.join(CRITIC_NORMS)}, got {norm!r}")
    if norm == "batch":
        return critic
    for parent in list(critic.modules()):
        for name, child in list(parent._modules.items()):
            if isinstance(child, (nn.BatchNorm1d, nn.BatchNorm2d)):
                new = _replacement(child, norm)
                parent._modules[name] = new.to(device) if device is not None else new
    return critic


def spectral_norm_all(module: nn.Module) -> nn.Module:
    """nn.utils.spectral_norm on every Conv2d, ConvTranspose2d and Linear of `module` (in place)."""
    for m in list(module.modules()):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.utils.spectral_norm(m)
    return module


# ---- the stabilisers, for any updater ----------------------------------------------------------------------
def stabiliser_parts(config, generator, discriminator, device) -> tuple:
    """(opt_g, opt_d, options) for `config`: D's critic norm and spectral norm applied in place, then the
    optimisers (RMSprop for 'wgan', else Adam) and the keyword options of ``Stabilisers.init_stabilisers``."""
    set_critic_norm(discriminator, resolved_critic_norm(config), device)
    if config.spectral_norm:
        spectral_norm_all(discriminator)
    if config.loss == "wgan":
        opt_g = optim.RMSprop(generator.parameters(), lr=config.lr_g)
        opt_d = optim.RMSprop(discriminator.parameters(), lr=config.lr_d)
    else:
        betas = (config.beta1, config.beta2)
        opt_g = optim.Adam(generator.parameters(), lr=config.lr_g, betas=betas)
        opt_d = optim.Adam(discriminator.parameters(), lr=config.lr_d, betas=betas)
    schedules = {}
    if config.lr_schedule:
        make = parse_lr_schedule(config.lr_schedule, config.epochs)
        schedules = {"optimizer_g": make, "optimizer_d": make}
    options = dict(gp_weight=config.gp_weight if config.loss == "wgan-gp" else 0.0,
                   clip=config.clip if config.loss == "wgan" else None, r1=config.r1, r1_every=config.r1_every,
                   ema=config.ema, schedules=schedules)
    return opt_g, opt_d, options


class Stabilisers:
    """The options of the module docstring as a mixin over any ``GANUpdater`` subclass: it fills the step's
    hooks (``critic_penalty``, ``after_critic_step``, ``after_generator_step``) and adds its state.

    The updater tells the penalties how D scores a batch with ``critic_score(images, labels)`` (the
    real/fake scores alone: D(x), D(x, y) for a cGAN, the first head of an AC-GAN D), so a penalty is
    taken w.r.t. the image with the label held fixed. Call ``init_stabilisers`` from ``__init__``::

        class MyUpdater(Stabilisers, GANUpdater):
            def __init__(self, G, D, opt_g, opt_d, loss, **options):
                super().__init__(G, D, opt_g, opt_d, loss)
                self.init_stabilisers(**options)
    """

    stabiliser_log_keys = ("gp", "r1", "lr_g", "lr_d")

    def init_stabilisers(self, *, gp_weight: float = 0.0, clip: float | None = None, r1: float = 0.0,
                         r1_every: int = 1, ema: float | None = None, schedules: dict | None = None) -> None:
        """Switch the options on (all off by default); refuses a BatchNorm critic under a penalty."""
        self.gp_weight, self.clip, self.r1, self.r1_every = float(gp_weight), clip, float(r1), int(r1_every)
        if self.gp_weight > 0:
            check_per_sample_critic(self.D, "gradient penalty (wgan-gp)")
        if self.r1 > 0:
            check_per_sample_critic(self.D, "R1 penalty (--r1)")
        self.critic_steps = 0           # counts critic updates, for lazy R1 (checkpointed)
        self.ema = EMA(self.G, ema) if ema else None
        self.schedulers = {name: make(self.optimizers[name]) for name, make in (schedules or {}).items()}

    def critic_score(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        """D's real/fake scores of `images` (with `labels` held fixed, for a conditional D): the updater's
        ``score`` hook without the loss's extra arguments (D(x), D(x, y), an AC-GAN's first head)."""
        return self.score(images, labels)[1]

    # ---- the step's additions ----------------------------------------------------------------------------
    def critic_penalty(self, x: Tensor, fake: Tensor, record: dict, labels: Tensor | None = None) -> Tensor | None:
        if self.gp_weight <= 0 and self.r1 <= 0:
            return None
        check_per_sample_critic(self.D, "gradient penalty" if self.gp_weight > 0 else "R1 penalty")  # D in train()

        def critic(images: Tensor) -> Tensor:   # D as a function of the image alone, the labels held fixed
            return self.critic_score(images, labels)

        total = None
        if self.gp_weight > 0:
            total = gradient_penalty(critic, x, fake, self.gp_weight)
            if self.statistics:
                record["gp"] = float(total.item())
        if self.r1 > 0 and self.critic_steps % self.r1_every == 0:
            r1 = r1_penalty(critic, x, self.r1 * self.r1_every)
            if self.statistics:
                record["r1"] = float(r1.item())
            total = r1 if total is None else total + r1
        return total

    def after_critic_step(self) -> None:
        self.critic_steps += 1
        if self.clip is not None:
            clip_weights_(self.D, self.clip)

    def after_generator_step(self, record: dict) -> None:
        if self.ema is not None:
            self.ema.update()
        if self.schedulers and self.statistics:
            record["lr_g"], record["lr_d"] = (self.optimizers[k].param_groups[0]["lr"]
                                              for k in ("optimizer_g", "optimizer_d"))

    def step_schedules(self) -> None:
        for scheduler in self.schedulers.values():
            scheduler.step()

    def extensions(self) -> list:
        """What the trainer must add for this updater: the schedule's epoch step."""
        return [ScheduleStep()] if self.schedulers else []

    @property
    def generator(self):
        """The EMA generator when EMA is on, else G."""
        return self.ema.module if self.ema is not None else self.G

    # ---- state ---------------------------------------------------------------------------------------------
    def set_learning_rates(self, rates: dict) -> None:
        """A rate given on resume rescales a scheduled optimiser (base and current lr); the saved base rate
        itself changes nothing (so a resumed schedule goes on exactly)."""
        plain = {}
        for name, lr in rates.items():
            scheduler = self.schedulers.get(name)
            if scheduler is None:
                plain[name] = lr
            elif lr != scheduler.base_lrs[0]:
                factor = lr / scheduler.base_lrs[0]
                scheduler.base_lrs = [b * factor for b in scheduler.base_lrs]
                for group in self.optimizers[name].param_groups:
                    group["initial_lr"] *= factor
                    group["lr"] *= factor
        super().set_learning_rates(plain)

    def state_dict(self) -> dict:
        state = super().state_dict()
        if self.ema is not None:
            state["ema"] = self.ema.state_dict()
        if self.schedulers:
            state["schedulers"] = {name: s.state_dict() for name, s in self.schedulers.items()}
        if self.r1 > 0:
            state["critic_steps"] = self.critic_steps
        return state

    def load_state_dict(self, state: dict, source: str = "checkpoint") -> None:
        super().load_state_dict(state, source)
        for key, wanted in (("ema", self.ema is not None), ("schedulers", bool(self.schedulers))):
            if wanted and key not in state:
                raise CheckpointError(f"{source} has no {key} state, but this run uses one")
        try:
            if self.ema is not None:
                self.ema.load_state_dict(state["ema"])
            for name, scheduler in self.schedulers.items():
                scheduler.load_state_dict(dict(state["schedulers"][name]))
        except (KeyError, ValueError, TypeError, RuntimeError) as exc:
            raise CheckpointError(f"{source}: the EMA / schedule state does not fit this run: {exc}") from None
        self.critic_steps = int(state.get("critic_steps", 0))

    def non_finite_parameter(self) -> str | None:
        found = super().non_finite_parameter()
        if found is None and self.ema is not None:
            for pname, p in self.ema.module.named_parameters():
                if not bool(p.xp.isfinite(p.array).all()):
                    return f"EMA generator parameter {pname}"
        return found


# ---- the unconditional updater ------------------------------------------------------------------------------
class StabilisedUpdater(Stabilisers, GANUpdater):
    """``GANUpdater`` plus the options of the module docstring; `schedules` maps optimiser names to
    ``optimizer -> LRScheduler`` factories."""

    log_keys = GANUpdater.log_keys + Stabilisers.stabiliser_log_keys

    def __init__(self, generator, discriminator, opt_g, opt_d, loss, *, device="cpu", latent_dim=None,
                 n_critic: int = 1, gp_weight: float = 0.0, clip: float | None = None, r1: float = 0.0,
                 r1_every: int = 1, ema: float | None = None, schedules: dict | None = None):
        super().__init__(generator, discriminator, opt_g, opt_d, loss, device=device, latent_dim=latent_dim,
                         n_critic=n_critic)
        self.init_stabilisers(gp_weight=gp_weight, clip=clip, r1=r1, r1_every=r1_every, ema=ema,
                              schedules=schedules)

    @classmethod
    def from_config(cls, config, generator, discriminator, loss, device) -> "StabilisedUpdater":
        """Critic norm and spectral norm applied to D, then the optimisers (RMSprop for 'wgan', else Adam)."""
        opt_g, opt_d, options = stabiliser_parts(config, generator, discriminator, device)
        return cls(generator, discriminator, opt_g, opt_d, loss, device=device, latent_dim=config.latent_dim,
                   n_critic=config.n_critic, **options)
