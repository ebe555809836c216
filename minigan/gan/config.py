"""TrainConfig: every setting a GAN training run depends on, validated, and saved in each checkpoint."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..backend import Device
from .losses import G_LOSSES, LOSSES, build_loss
from .models import MODELS

__all__ = ["TrainConfig", "FIXED_ON_RESUME"]

# Settings that decide what the next step computes: a resumed run must keep them.
FIXED_ON_RESUME = ("model", "latent_dim", "width", "dataset", "batch_size", "seed", "n_critic", "loss", "g_loss",
                    "label_smoothing", "lsgan_a", "lsgan_b", "lsgan_c", "beta1", "beta2", "n_samples")
FIXED_ON_RESUME += ("class_weight",)   # issue 11: conditional models


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
    # issue 11: conditional models (--model cgan, cgan-concat, acgan)
    class_weight: float = 1.0           # acgan only: weight of the class cross-entropy in D's and G's losses

    def validate(self) -> "TrainConfig":
        """Raise ValueError naming the first bad field."""
        def positive_int(name, allow_none=False):
            value = getattr(self, name)
            if value is None and allow_none:
                return
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")

        if self.model not in MODELS and self.model != "custom":
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
        # issue 11: the AC-GAN class weight
        weight = self.class_weight
        if isinstance(weight, bool) or not (isinstance(weight, (int, float)) and math.isfinite(weight) and weight >= 0):
            raise ValueError(f"class_weight must be a finite number >= 0, got {weight!r}")
        if weight != 1.0 and self.model != "acgan":
            raise ValueError(f"class_weight applies to the acgan model only, not {self.model!r}")
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
