"""TrainConfig: every setting a GAN training run depends on, resolved, validated and saved (versioned).

A config holds the options common to every family, the loss's options, and the family's own options
(``options``: its Options dataclass's fields, given as keywords like any other)::

    TrainConfig(epochs=5)                          # exactly what `minigan train --epochs 5` trains
    TrainConfig(model="acgan", class_weight=2.0)   # a family option, as `--model acgan --class-weight 2`
    TrainConfig(preset="pytorch-dcgan")            # the PyTorch DCGAN example's recipe

A field left at None is "not given"; ``resolved()`` fills it by one rule, the command line's: what was
given, else the loss's own defaults (wgan-gp, wgan), else the preset's (when one is named) or the family's
recipe, else the common defaults below. The checkpoint and ``config.json`` store the resolved config
with ``CONFIG_VERSION``; ``upgrade_config`` reads every older layout.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..backend import Device
from .core.critic import CRITIC_NORMS
from .core.losses import G_LOSSES, LOSSES, build_loss, loss_defaults
from .core.lr_schedules import parse_lr_schedule
from .families import families, get_family
from .presets import FALLBACK, PRESETS

__all__ = ["TrainConfig", "CONFIG_VERSION", "COMMON_DEFAULTS", "DEFAULT_MODEL", "FIXED_ON_RESUME",
           "upgrade_config", "ConfigVersionError"]

CONFIG_VERSION = 2
DEFAULT_MODEL = "infogan"

# What every family starts from (a family's recipe or a preset changes some): hinge loss, spectral norm and
# no normalisation in D, two time-scale Adam (0, 0.9), and samples from an EMA of G's weights.
COMMON_DEFAULTS: dict[str, Any] = {
    "dataset": "mnist", "data_dir": None, "download": True, "epochs": 5, "batch_size": 64,
    "lr_g": 8e-4, "lr_d": 1.6e-3, "beta1": 0.0, "beta2": 0.9, "n_critic": 1, "device": "cpu", "seed": 0,
    "out": None, "checkpoint_every": 500, "max_steps": None, "n_samples": 64, "progress": "auto",
    "eval_every": 0, "eval_n": 10_000, "latent_dim": None, "width": None,
    "loss": "hinge", "g_loss": "non-saturating", "label_smoothing": 0.0, "lsgan_a": 0.0, "lsgan_b": 1.0,
    "lsgan_c": 1.0, "gp_weight": 10.0, "clip": 0.01,
    "critic_norm": "none", "r1": 0.0, "r1_every": 1, "spectral_norm": True, "ema": 0.995, "lr_schedule": None,
    "sync_batchnorm": False,
}
_OPTIONAL = {"data_dir", "out", "max_steps", "latent_dim", "width", "ema", "lr_schedule", "preset"}


@dataclass(init=False)
class TrainConfig:
    """Everything a training run depends on (see the module docstring); saved in every checkpoint."""

    model: str | None = None            # the family (minigan.gan.family_names()); None: infogan
    preset: str | None = None           # a named recipe (minigan.gan.PRESETS); None: the family's own
    # data and run
    dataset: str | None = None          # "mnist" or "fashion-mnist"
    data_dir: str | None = None         # where the IDX files are (else $MINIGAN_DATA_DIR, the cache, download)
    download: bool | None = None        # download the dataset into the cache when it is not found
    epochs: int | None = None
    batch_size: int | None = None
    max_steps: int | None = None        # stop after this many steps in all (a resumed run counts on)
    device: str | None = None
    seed: int | None = None             # fixes initialisation, noise and data order
    out: str | None = None              # run folder; None: runs/<model>-<dataset>-<timestamp>
    checkpoint_every: int | None = None  # steps between checkpoints (0: only on Ctrl-C and at the end)
    n_samples: int | None = None        # images in each sample grid
    progress: str | None = None         # "auto", "bar", "epoch", "none"
    eval_every: int | None = None       # epochs between FID / Inception Score evaluations (0: never)
    eval_n: int | None = None           # generated images scored in each evaluation
    # the models' sizes (None: the family's defaults)
    latent_dim: int | None = None
    width: int | None = None
    # the objective and its optimisers
    loss: str | None = None             # "bce", "lsgan", "hinge", "wgan", "wgan-gp"
    g_loss: str | None = None           # bce: "non-saturating" or "minimax"
    label_smoothing: float | None = None  # bce: D's real target is 1 - label_smoothing
    lsgan_a: float | None = None        # lsgan: D's fake target
    lsgan_b: float | None = None        # lsgan: D's real target
    lsgan_c: float | None = None        # lsgan: G's target
    gp_weight: float | None = None      # wgan-gp: weight of the gradient penalty
    clip: float | None = None           # wgan: the critic's weights are clipped to [-clip, clip]
    lr_g: float | None = None
    lr_d: float | None = None
    beta1: float | None = None
    beta2: float | None = None
    n_critic: int | None = None         # D updates per G update (each on a new real batch)
    # stabilisers
    critic_norm: str | None = None      # D's BatchNorm -> "batch" (kept), "layer", "instance", "none"
    r1: float | None = None             # gamma of the R1 penalty on real images (0: off)
    r1_every: int | None = None         # lazy R1: on every k-th critic step, scaled by k
    spectral_norm: bool | None = None   # spectral norm on every conv / linear layer of D
    ema: float | None = None            # decay of an EMA of G's weights for samples and eval (0: none)
    lr_schedule: str | None = None      # "cosine", "step:SIZE:GAMMA", "exp:GAMMA", "linear", per epoch
    sync_batchnorm: bool | None = None  # several ranks: BatchNorm statistics over the global batch, not each rank's
    options: dict = field(default_factory=dict)   # the family's own options (its Options dataclass's fields)

    def __init__(self, **values):
        names = {f.name for f in dataclasses.fields(TrainConfig)}
        options = dict(values.pop("options", None) or {})
        task = values.pop("task", None)
        for key in list(values):
            if key not in names:   # a family's option, given like any other field
                options[key] = values.pop(key)
        for f in dataclasses.fields(TrainConfig):
            if f.name != "options":
                setattr(self, f.name, values.get(f.name))
        self.options = options
        if task not in (None, "gan"):
            _pick_task(self, task)

    # ---- the one rule --------------------------------------------------------------------------------
    def given(self) -> dict:
        """The fields set (not None), family options included under their names."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "options"}
        return {**{k: v for k, v in out.items() if v is not None}, **self.options}

    def resolved(self) -> "TrainConfig":
        """Every field filled: given > the loss's defaults > the preset (or the family's recipe) > common."""
        if self.preset is not None and self.preset not in PRESETS:
            raise ValueError(f"unknown --preset {self.preset!r}; choose one of: {', '.join(sorted(PRESETS))}")
        given = self.given()
        name = self.preset
        if name in FALLBACK and given.get("model", PRESETS[name]["model"]) != PRESETS[name]["model"]:
            name = FALLBACK[name]   # a recipe tuned for its model: another model starts from the general one
        preset = dict(PRESETS[name]) if name else {}
        model = given.get("model") or preset.get("model") or DEFAULT_MODEL
        family = get_family(model)
        option_names = {f.name for f in dataclasses.fields(family.Options)}
        foreign = sorted(k for k in given if k not in _FIELD_NAMES and k not in option_names)
        if foreign:   # an option of another family
            verb = "does" if len(foreign) == 1 else "do"
            raise ValueError(f"{', '.join(_flag(k) for k in foreign)} {verb} not apply to --model {model}")
        recipe = preset if name else dict(family.recipe)
        loss = given.get("loss", recipe.get("loss", COMMON_DEFAULTS["loss"]))
        from_loss = {k: v for k, v in loss_defaults(loss).items() if k not in family.fixed}
        values = {**COMMON_DEFAULTS, **recipe, **from_loss, **given, "model": model, "preset": self.preset}
        options = {k: v for k, v in values.items() if k in option_names}
        out = TrainConfig(**{k: v for k, v in values.items() if k in _FIELD_NAMES}, options=options)
        defaults = family.defaults
        out.latent_dim = out.latent_dim if out.latent_dim is not None else defaults.get("latent_dim")
        out.width = out.width if out.width is not None else defaults.get("width")
        out.options = dataclasses.asdict(family.options(out))
        if not out.ema:   # no average: 0 in a resolved config, so resolving it again keeps it off
            out.ema = 0.0
        return out

    def validate(self) -> "TrainConfig":
        """Raise ValueError naming the first bad option (as its command-line flag); returns the config, resolved
        first when some field was left unset."""
        if self.model is None or any(getattr(self, k) is None for k, v in COMMON_DEFAULTS.items() if v is not None):
            return self.resolved().validate()
        family = get_family(self.model)

        def positive_int(name, allow_none=False):
            value = getattr(self, name)
            if value is None and allow_none:
                return
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{_flag(name)} must be a positive integer, got {value!r}")

        if self.loss not in LOSSES:
            raise ValueError(f"unknown --loss {self.loss!r}; choose one of: {', '.join(LOSSES)}")
        if self.g_loss not in G_LOSSES:
            raise ValueError(f"--g-loss must be one of {', '.join(G_LOSSES)}, got {self.g_loss!r}")
        for name in ("epochs", "batch_size", "n_critic", "n_samples", "eval_n"):
            positive_int(name)
        for name in ("max_steps",):
            positive_int(name, allow_none=True)
        if family.task == "gan":
            positive_int("latent_dim")
        positive_int("width")
        for name in ("checkpoint_every", "eval_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"{_flag(name)} must be a non-negative integer, got {value!r}")
        if self.eval_every and self.eval_n < 2:
            raise ValueError(f"--eval-n must be at least 2 (FID needs a covariance), got {self.eval_n!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"--seed must be a non-negative integer, got {self.seed!r}")
        for name in ("lr_g", "lr_d"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{_flag(name)} must be a positive number, got {value!r}")
        for name in ("beta1", "beta2"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0.0 <= value < 1.0):
                raise ValueError(f"{_flag(name)} must be in [0, 1), got {value!r}")
        if self.progress not in ("auto", "bar", "epoch", "none"):
            raise ValueError(f"--progress must be 'auto', 'bar', 'epoch' or 'none', got {self.progress!r}")
        build_loss(self.loss, g_loss=self.g_loss, label_smoothing=self.label_smoothing,
                   lsgan_a=self.lsgan_a, lsgan_b=self.lsgan_b, lsgan_c=self.lsgan_c)  # raises on bad combinations
        Device(self.device)  # raises DeviceError on a malformed name
        self._validate_stabilisers()
        family.validate(self)
        return self

    def _validate_stabilisers(self) -> None:
        if self.critic_norm not in CRITIC_NORMS:
            raise ValueError(f"--critic-norm must be one of {', '.join(CRITIC_NORMS)}, got {self.critic_norm!r}")
        for name in ("gp_weight", "r1"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{_flag(name)} must be a number >= 0, got {value!r}")
        if not (isinstance(self.clip, (int, float)) and math.isfinite(self.clip) and self.clip > 0):
            raise ValueError(f"--clip must be a positive number, got {self.clip!r}")
        if isinstance(self.r1_every, bool) or not isinstance(self.r1_every, (int, np.integer)) or self.r1_every < 1:
            raise ValueError(f"--r1-every must be a positive integer, got {self.r1_every!r}")
        if self.ema is not None and not (isinstance(self.ema, (int, float)) and 0.0 <= self.ema < 1.0):
            raise ValueError(f"--ema must be a decay in (0, 1) (e.g. 0.999), or 0 for none, got {self.ema!r}")
        if self.lr_schedule is not None:
            parse_lr_schedule(self.lr_schedule, self.epochs)
        if self.loss == "wgan-gp" and self.critic_norm == "batch":
            raise ValueError("--loss wgan-gp with --critic-norm batch: the gradient penalty is per sample, but "
                             "batch norm mixes the samples of a batch, so the penalised gradients are wrong; "
                             "use --critic-norm layer, instance or none")

    # ---- saved form ----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The config as JSON-friendly values, with the schema version (what checkpoints and config.json hold)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "options"}
        return {"version": CONFIG_VERSION, **out, "options": dict(self.options)}

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        """A config from ``to_dict`` output of this or any earlier minigan (``upgrade_config``)."""
        data = upgrade_config(data)
        data.pop("version", None)
        data.pop("world", None)   # config.json's record of the ranks the run trained on: not a setting
        return cls(**data)


_FIELD_NAMES = {f.name for f in dataclasses.fields(TrainConfig)} - {"options"}

# Settings that decide what the next step computes: a resumed run must keep them (a family's options too).
FIXED_ON_RESUME = ("model", "latent_dim", "width", "dataset", "batch_size", "seed", "n_critic", "loss", "g_loss",
                   "label_smoothing", "lsgan_a", "lsgan_b", "lsgan_c", "beta1", "beta2", "n_samples",
                   "critic_norm", "gp_weight", "clip", "r1", "r1_every", "spectral_norm", "ema", "lr_schedule",
                   "preset", "sync_batchnorm")


class ConfigVersionError(ValueError):
    """A config written by a newer minigan than this one."""


# The first saved layout (no "version"): flat fields, the family's options among them, and these defaults
# for any field a checkpoint of that time did not hold (the PyTorch DCGAN example's settings).
_VERSION_1_DEFAULTS = {
    "model": "dcgan", "latent_dim": None, "width": None, "dataset": "mnist", "data_dir": None, "download": True,
    "loss": "bce", "g_loss": "non-saturating", "label_smoothing": 0.0, "lsgan_a": 0.0, "lsgan_b": 1.0,
    "lsgan_c": 1.0, "epochs": 5, "batch_size": 64, "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.999,
    "n_critic": 1, "device": "cpu", "seed": 0, "out": None, "checkpoint_every": 500, "max_steps": None,
    "n_samples": 64, "progress": "auto", "eval_every": 0, "eval_n": 10_000, "critic_norm": None,
    "gp_weight": 10.0, "clip": 0.01, "r1": 0.0, "r1_every": 1, "spectral_norm": False, "ema": None,
    "lr_schedule": None,
}
_VERSION_1_OPTIONS = {
    "acgan": {"class_weight": 1.0, "fake_class_weight": 0.0},
    "infogan": {"info_weight": 1.0, "info_real_weight": 0.0, "info_codes": 10},
    "inpaint": {"mask": "random", "rec_weight": 100.0, "adv_weight": 1.0, "rec_loss": "l1", "unet": True,
                "aux_classes": False, "class_weight": 1.0},
}
_VERSION_1_DROPPED = {"task", "class_weight", "fake_class_weight", "info_weight", "info_real_weight", "info_codes",
                      "mask", "rec_weight", "adv_weight", "rec_loss", "unet", "aux_classes"}


def upgrade_config(data: dict) -> dict:
    """A saved config dict of any version as this version's ``to_dict`` layout; ConfigVersionError for a newer one."""
    data = dict(data)
    version = data.get("version", 1)
    if not isinstance(version, int) or version > CONFIG_VERSION:
        raise ConfigVersionError(f"the config was written by a newer minigan (config version {version}; this "
                                 f"minigan reads up to {CONFIG_VERSION}): upgrade minigan to resume it")
    if version == 1:
        model = data.get("model", "dcgan")
        if data.get("task") == "inpaint":
            model = "inpaint"
        flat = {**_VERSION_1_DEFAULTS, **{k: v for k, v in data.items() if k not in _VERSION_1_DROPPED}}
        flat["model"] = model
        if flat.get("critic_norm") is None:   # the loss's default then: layer for wgan-gp, else batch
            flat["critic_norm"] = "layer" if flat.get("loss") == "wgan-gp" else "batch"
        defaults = _VERSION_1_OPTIONS.get(model, {})
        flat["options"] = {k: data.get(k, v) for k, v in defaults.items()}
        flat["ema"] = flat.get("ema") or 0.0   # no average: 0 in this version
        if model == "inpaint" and flat.get("width") is None:
            flat["width"] = 32
        flat["version"] = CONFIG_VERSION
        flat.setdefault("preset", None)
        return flat
    return data


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _pick_task(config: TrainConfig, task: str) -> None:
    """``task="inpaint"`` (the command line's --task): the family that serves that task."""
    serving = [f.name for f in families() if f.task == task]
    if not serving:
        raise ValueError(f"unknown --task {task!r}; choose one of: "
                         f"{', '.join(sorted({f.task for f in families()}))}")
    if config.model not in (None, *serving):
        raise ValueError(f"--model {config.model} does not serve --task {task} (that is --model {serving[0]})")
    config.model = serving[0]
