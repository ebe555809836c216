"""TrainConfig: every setting a GAN training run depends on, validated, and saved in each checkpoint."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..backend import Device
from .core.losses import G_LOSSES, LOSSES, build_loss
from .core.lr_schedules import parse_lr_schedule
from .families.infogan.models import NUM_CODES
from .families.unconditional.models import MODELS
from .families.inpainting.losses import RECONSTRUCTIONS
from .families.inpainting.masks import MASK_KINDS

__all__ = ["TrainConfig", "FIXED_ON_RESUME", "TASKS", "INPAINT_MODEL"]

# Settings that decide what the next step computes: a resumed run must keep them.
FIXED_ON_RESUME = ("model", "latent_dim", "width", "dataset", "batch_size", "seed", "n_critic", "loss", "g_loss",
                    "label_smoothing", "lsgan_a", "lsgan_b", "lsgan_c", "beta1", "beta2", "n_samples")
FIXED_ON_RESUME += ("critic_norm", "gp_weight", "clip", "r1", "r1_every", "spectral_norm", "ema",  # issue 13
                    "lr_schedule")
FIXED_ON_RESUME += ("class_weight", "fake_class_weight")   # issue 11: conditional models
FIXED_ON_RESUME += ("info_weight", "info_real_weight", "info_codes")   # InfoGAN


@dataclass
class TrainConfig:
    """Everything a training run depends on; saved in every checkpoint (``to_dict``)."""

    model: str = "dcgan"                # a name in minigan.gan.MODELS, or "custom" for your own modules
    latent_dim: int | None = None       # None: the model's default (100)
    width: int | None = None            # None: the model's default (dcgan 64 base channels, mlp 256 units)
    dataset: str = "mnist"              # "mnist" or "fashion-mnist"
    data_dir: str | None = None         # where the IDX files are (else $MINIGAN_DATA_DIR, the cache, download)
    download: bool = True               # download the dataset into the cache when it is not found
    loss: str = "bce"                   # "bce", "lsgan" or "hinge"
    g_loss: str = "non-saturating"      # for bce: "non-saturating" or "minimax"
    label_smoothing: float = 0.0        # bce only: D's real target is 1 - label_smoothing (one-sided)
    lsgan_a: float = 0.0                # lsgan: fake target for D
    lsgan_b: float = 1.0                # lsgan: real target for D
    lsgan_c: float = 1.0                # lsgan: G's target
    epochs: int = 5
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    n_critic: int = 1                   # D updates per G update (each on a new real batch)
    device: str = "cpu"
    seed: int = 0                       # fixes initialisation, noise and data order
    out: str | None = None              # run folder; None: runs/<model>-<dataset>-<timestamp>
    checkpoint_every: int = 500         # steps between checkpoints (0: only on Ctrl-C and at the end)
    max_steps: int | None = None        # stop after this many steps in all (a resumed run counts on)
    n_samples: int = 64                 # images in each sample grid
    progress: str = "auto"              # "auto" (bar on a TTY, else a line per epoch), "bar", "epoch", "none"
    eval_every: int = 0                 # epochs between FID / Inception Score evaluations (0: never)
    eval_n: int = 10_000                # generated images scored in each evaluation
    # issue 13: Wasserstein losses and stabilisers (gan/training/stabilised_updater.py; every model and task)
    critic_norm: str | None = None      # D's BatchNorm -> "batch" (kept), "layer", "instance", "none"; None: the
                                        # loss's default (layer for wgan-gp, else batch)
    gp_weight: float = 10.0             # wgan-gp: lambda of the gradient penalty
    clip: float = 0.01                  # wgan: the critic's weights are clipped to [-clip, clip]
    r1: float = 0.0                     # gamma of the R1 penalty on real images (0: off), any loss
    r1_every: int = 1                   # lazy R1: on every k-th critic step, scaled by k
    spectral_norm: bool = False         # spectral norm on every conv / linear layer of D
    ema: float | None = None            # decay of an EMA of G's weights for samples and eval (None: off)
    lr_schedule: str | None = None      # "cosine", "step:SIZE:GAMMA", "exp:GAMMA", "linear", per epoch
    # issue 12: inpainting (task "inpaint": an encoder-decoder G completes masked images; model is "inpaint")
    task: str = "gan"                   # "gan" (noise -> image) or "inpaint" (masked image -> completed image)
    mask: str = "random"                # inpaint: the training masks (minigan.gan.inpainting.MASK_KINDS)
    rec_weight: float = 100.0           # inpaint: weight of the reconstruction loss on the hidden pixels
    adv_weight: float = 1.0             # inpaint: weight of the adversarial loss
    rec_loss: str = "l1"                # inpaint: "l1" or "l2"
    unet: bool = True                   # inpaint: U-Net skip connections in G
    aux_classes: bool = False           # inpaint: D's auxiliary class head (AC-GAN class loss on reals and completions)
    # issue 11 (acgan) and issue 12 (inpaint with --aux-classes): weight of the class cross-entropy
    class_weight: float = 1.0           # in D's and G's losses
    fake_class_weight: float = 0.0      # acgan: D's class term on fakes (the paper: = class_weight; see ACGANLoss)
    info_weight: float = 1.0            # infogan: weight of the code's mutual-information term (InfoGANLoss)
    info_real_weight: float = 0.0       # infogan: weight of Q's information on real images (batch_information)
    info_codes: int = 10                # infogan: categories of the code (read from the first info_codes noise entries)

    def validate(self) -> "TrainConfig":
        """Raise ValueError naming the first bad field."""
        def positive_int(name, allow_none=False):
            value = getattr(self, name)
            if value is None and allow_none:
                return
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")

        if self.model not in MODELS and self.model not in ("custom", INPAINT_MODEL):
            raise ValueError(f"unknown model {self.model!r}; choose one of: {', '.join(sorted(MODELS))}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of: {', '.join(LOSSES)}")
        if self.g_loss not in G_LOSSES:
            raise ValueError(f"g_loss must be one of {', '.join(G_LOSSES)}, got {self.g_loss!r}")
        for name in ("epochs", "batch_size", "n_critic", "n_samples", "eval_n"):
            positive_int(name)
        for name in ("latent_dim", "width", "max_steps"):
            positive_int(name, allow_none=True)
        for name in ("checkpoint_every", "eval_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        if self.eval_every and self.eval_n < 2:
            raise ValueError(f"eval_n must be at least 2 (FID needs a covariance), got {self.eval_n!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        for name in ("lr_g", "lr_d"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        for name in ("beta1", "beta2"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0.0 <= value < 1.0):
                raise ValueError(f"{name} must be in [0, 1), got {value!r}")
        if self.progress not in ("auto", "bar", "epoch", "none"):
            raise ValueError(f"progress must be 'auto', 'bar', 'epoch' or 'none', got {self.progress!r}")
        build_loss(self.loss, g_loss=self.g_loss, label_smoothing=self.label_smoothing,
                   lsgan_a=self.lsgan_a, lsgan_b=self.lsgan_b, lsgan_c=self.lsgan_c)  # raises on bad combinations
        Device(self.device)  # raises DeviceError on a malformed name
        self._validate_stabilisers()
        _validate_inpainting(self)
        # issue 11: the AC-GAN class weights
        if _non_negative(self, "class_weight") != 1.0 and self.model != "acgan" and not (
                self.task == "inpaint" and self.aux_classes):
            raise ValueError(f"class_weight applies to the acgan model and to inpainting with aux_classes only, "
                             f"not {self.model!r}")
        codes = self.info_codes
        if isinstance(codes, bool) or not isinstance(codes, (int, np.integer)) or codes < 2:
            raise ValueError(f"info_codes must be an integer >= 2, got {codes!r}")
        if codes != NUM_CODES and self.model != "infogan":
            raise ValueError(f"info_codes applies to the infogan model only, not {self.model!r}")
        if self.model == "infogan" and self.latent_dim is not None and self.latent_dim < codes:
            raise ValueError(f"latent_dim must be at least info_codes={codes} for the infogan model (its {codes}-way "
                             f"code is read from the first {codes} noise entries), got {self.latent_dim}; or choose "
                             f"another model (--model dcgan)")
        if _non_negative(self, "fake_class_weight") != 0.0 and self.model != "acgan":
            raise ValueError(f"fake_class_weight applies to the acgan model only, not {self.model!r}")
        for name, default in (("info_weight", 1.0), ("info_real_weight", 0.0)):
            if _non_negative(self, name) != default and self.model != "infogan":
                raise ValueError(f"{name} applies to the infogan model only, not {self.model!r}")
        return self

    def _validate_stabilisers(self) -> None:
        # issue 13's fields
        if self.critic_norm is not None and self.critic_norm not in ("batch", "layer", "instance", "none"):
            raise ValueError(f"critic_norm must be 'batch', 'layer', 'instance' or 'none', got {self.critic_norm!r}")
        for name in ("gp_weight", "r1"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")
        if not (isinstance(self.clip, (int, float)) and math.isfinite(self.clip) and self.clip > 0):
            raise ValueError(f"clip must be a positive number, got {self.clip!r}")
        if isinstance(self.r1_every, bool) or not isinstance(self.r1_every, (int, np.integer)) or self.r1_every < 1:
            raise ValueError(f"r1_every must be a positive integer, got {self.r1_every!r}")
        if self.ema is not None and not (isinstance(self.ema, (int, float)) and 0.0 < self.ema < 1.0):
            raise ValueError(f"ema must be a decay in (0, 1) (e.g. 0.999) or None, got {self.ema!r}")
        if self.lr_schedule is not None:
            parse_lr_schedule(self.lr_schedule, self.epochs)
        if self.loss == "wgan-gp" and self.critic_norm == "batch":
            raise ValueError("loss='wgan-gp' with critic_norm='batch': the gradient penalty is per sample, but "
                             "batch norm mixes the samples of a batch, so the penalised gradients are wrong; "
                             "use critic_norm='layer', 'instance' or 'none'")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# ---- issue 12: inpainting settings -------------------------------------------------------------
TASKS = ("gan", "inpaint")
INPAINT_MODEL = "inpaint"  # the model name an inpainting run records (G and D of gan/inpainting/model.py)
FIXED_ON_RESUME = FIXED_ON_RESUME + ("task", "mask", "rec_weight", "adv_weight", "rec_loss", "unet", "aux_classes")


def _non_negative(config, name: str) -> float:
    """config.<name>, which must be a finite number >= 0 (a ValueError naming the field otherwise)."""
    value = getattr(config, name)
    if isinstance(value, bool) or not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return value


def _validate_inpainting(config: TrainConfig) -> None:
    """The issue-12 fields: ValueError naming the first bad one."""
    if config.task not in TASKS:
        raise ValueError(f"unknown task {config.task!r}; choose one of: {', '.join(TASKS)}")
    if (config.task == "inpaint") != (config.model == INPAINT_MODEL):
        raise ValueError(f"model {INPAINT_MODEL!r} goes with task 'inpaint' (got model {config.model!r}, "
                         f"task {config.task!r})")
    if config.task != "inpaint":
        return
    if config.mask not in MASK_KINDS:
        raise ValueError(f"unknown mask {config.mask!r}; choose one of: {', '.join(MASK_KINDS)}")
    if config.rec_loss not in RECONSTRUCTIONS:
        raise ValueError(f"rec_loss must be one of {', '.join(RECONSTRUCTIONS)}, got {config.rec_loss!r}")
    for name in ("rec_weight", "adv_weight", "class_weight"):
        _non_negative(config, name)
    if config.n_critic != 1:
        raise ValueError(f"the inpainting task takes one D step per G step (n_critic=1), got n_critic={config.n_critic}")
