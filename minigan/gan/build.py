"""One way to assemble a training run from a config, and one way to resume it.

    from minigan.gan import GANTrainer, TrainConfig, resume
    trainer = GANTrainer(TrainConfig(epochs=5, out="runs/info"))   # what `minigan train --epochs 5` trains
    result = trainer.train()              # Ctrl-C or SIGTERM saves a checkpoint and returns
    result = resume("runs/info")          # continues exactly where it stopped

The family (``config.model``, from the registry) gives the models, the loss around the adversarial one,
and the step; the config gives what every family shares: D's normalisation and spectral norm, the
optimisers (RMSprop for "wgan", else Adam), the penalties (wgan-gp's, R1), weight clipping (an optimiser
hook), and the extensions (log, checkpoints, grids, curves, evaluation, progress, signals, the EMA of G,
lr schedules). A checkpoint holds everything the next step depends on, so on the CPU a resumed run ends
bit-identical to one that was never interrupted.
"""
from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import numpy as np

from .. import backend, distributed, nn, optim
from ..atomic import write_json
from ..backend import Device
from ..data import DataLoader, EpochLoader, ImageLoader, dataset_folder, load_dataset
from .config import FIXED_ON_RESUME, ConfigVersionError, TrainConfig
from .ranks import rank_device, reshard
from .core import checkpoint as ckpt
from .core.critic import set_critic_norm, spectral_norm_all
from .core.losses import GANLoss, build_loss
from .core.lr_schedules import parse_lr_schedule
from .core.penalties import GradientPenalty, R1Penalty
from .core.sampling import generate, sample_generator
from .families import get_family
from .training import (Evaluation, JSONLLog, LossCurves, NonFiniteLossError, Progress, SampleGrid, Snapshot,
                       StopOnSignal, Trainer, TrainResult)
from .training.extensions import LOG_NAME, METRICS_NAME
from .training.extensions.averaging import ExponentialMovingAverage
from .training.extensions.schedule import LRSchedule
from .training.hooks import WeightClipping

__all__ = ["GANTrainer", "TrainResult", "NonFiniteLossError", "resume", "default_run_dir", "build_models",
           "load_generator", "sample_checkpoint", "CONFIG_NAME"]

CONFIG_NAME = "config.json"
EVAL_SEED = 0           # the noise `minigan eval --checkpoint` draws by default: the same numbers for the same G
EVAL_BATCH_SIZE = 250


def default_run_dir(model: str, dataset: str) -> Path:
    return Path("runs") / f"{model}-{dataset}-{time.strftime('%Y%m%d-%H%M%S')}"


def build_models(name: str, latent_dim: int | None = None, width: int | None = None, **options):
    """(G, D) of family `name`, on the CPU from minigan's seeded generator: ``build_models("dcgan", width=32)``.
    Sizes left out take the family's defaults; `options` are the family's (``info_codes=10``)."""
    for key, value in (("latent_dim", latent_dim), ("width", width)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{key} must be a positive integer, got {value!r}")
    config = TrainConfig(model=name, latent_dim=latent_dim, width=width, **options).resolved()
    return get_family(name).build_models(config)


def _resolve(config: TrainConfig | None, generator, discriminator, overrides: dict) -> TrainConfig:
    config = dataclasses.replace(config, **overrides) if config is not None else TrainConfig(**overrides)
    if (generator is None) != (discriminator is None):
        raise ValueError("pass both generator and discriminator, or neither")
    if generator is not None and config.latent_dim is None:
        config.latent_dim = getattr(generator, "latent_dim", None)
        if config.latent_dim is None and get_family(config.resolved().model).task == "gan":
            raise ValueError("set latent_dim in the config (or a latent_dim attribute on your generator)")
    return config.resolved().validate()


class GANTrainer(Trainer):
    """Train the family ``config.model`` names (see the module docstring).

    Parameters
    ----------
    config : TrainConfig, or None for the defaults; keyword `overrides` replace its fields.
    generator, discriminator : your own ``nn.Module``s in place of the family's (its step and loss still apply).
    data : a ``minigan.data.ImageLoader``, a ``DataLoader`` of (images in [-1, 1], labels) batches, an (images,
        labels) pair, or None to load ``config.dataset``.
    loss : the adversarial ``GANLoss`` (default: ``--loss``'s); the family adds its terms around it.
    extensions : more ``Extension``s (each runs on its trigger, by its priority, on every rank).
    world : the ranks to train on (a ``minigan.distributed`` communicator); default ``distributed.init()``: one
        process, or data-parallel over every rank ``mpiexec -n N`` started. ``config.batch_size`` is then each
        rank's batch: the global batch is N times it, sharded as one process would draw it.
    """

    def __init__(self, config: TrainConfig | None = None, *, generator=None, discriminator=None, data=None,
                 loss=None, extensions=(), resume_hint: str | None = None, world=None, **overrides):
        config = _resolve(config, generator, discriminator, overrides)
        world = world if world is not None else distributed.init()
        if world.size > 1:
            # the ranks must train one model: same config and code (checked before anything is built), and
            # one run folder (a timestamped default is rank 0's)
            config.out = world.bcast_obj(config.out or str(default_run_dir(config.model, config.dataset)))
            distributed.check_same(config.to_dict(), distributed.source_digest(), world)
        self.config, self.family = config, get_family(config.model)
        self.custom_models = generator is not None
        with distributed.every_rank_or_none(world):   # a rank that fails here must not leave the others waiting
            self.device = rank_device(config.device, world)
            # Initialisation from the seed, on the CPU, so it is the same on every device.
            backend.manual_seed(config.seed)
            if generator is None:
                generator, discriminator = self.family.build_models(config)
            G, D = generator.to(self.device), discriminator.to(self.device)
            set_critic_norm(D, config.critic_norm, self.device)
            if config.spectral_norm:
                spectral_norm_all(D)
            if config.sync_batchnorm:
                G = nn.SyncBatchNorm.convert_sync_batchnorm(G, process_group=world)
                D = nn.SyncBatchNorm.convert_sync_batchnorm(D, process_group=world)
        for module in (G, D):   # rank 0's weights (and spectral norm's vectors, BatchNorm's statistics) for all
            world.broadcast_parameters(module)
        with distributed.every_rank_or_none(world):
            self._assemble(config, G, D, data, loss, extensions, resume_hint, world)

    def _assemble(self, config: TrainConfig, G, D, data, loss, extensions, resume_hint, world) -> None:
        adversarial = loss if loss is not None else build_loss(
            config.loss, g_loss=config.g_loss, label_smoothing=config.label_smoothing, lsgan_a=config.lsgan_a,
            lsgan_b=config.lsgan_b, lsgan_c=config.lsgan_c)
        objective = self.family.make_loss(adversarial, config) if isinstance(adversarial, GANLoss) else adversarial
        if config.sync_batchnorm and hasattr(objective, "process_group"):
            objective.process_group = world   # a loss with batch statistics of its own (InfoGAN's marginal)
        opt_g, opt_d = _optimizers(config, G, D)
        penalties = []
        if config.loss == "wgan-gp" and config.gp_weight > 0:
            penalties.append(GradientPenalty(config.gp_weight))
        if config.r1 > 0:
            penalties.append(R1Penalty(config.r1, config.r1_every))
        updater = self.family.make_updater(G, D, opt_g, opt_d, objective, config=config, penalties=penalties,
                                           device=self.device)
        extra = []
        if config.ema:
            average = ExponentialMovingAverage(config.ema, G)
            average.bind(updater)
            extra.append(average)
        if config.lr_schedule:
            make = parse_lr_schedule(config.lr_schedule, config.epochs)
            extra.append(LRSchedule({"optimizer_g": make(opt_g), "optimizer_d": make(opt_d)}))

        loader = self._make_loader(data, world)
        if len(loader) < config.n_critic:
            raise ValueError(f"the dataset gives {len(loader)} batch(es) of {loader.batch_size} per epoch, "
                             f"fewer than --n-critic {config.n_critic}: use a smaller batch size")
        self.fixed_noise = updater.fixed_inputs(config.seed, config.n_samples, loader)
        run_dir = Path(config.out) if config.out else default_run_dir(config.model, config.dataset)
        super().__init__(updater, loader, epochs=config.epochs, max_steps=config.max_steps, run_dir=run_dir,
                         resume_hint=resume_hint, world=world)
        title = f"{config.model} / {config.loss} on {config.dataset}"
        # rank 0 writes the run folder and scores; every rank keeps the state (EMA, schedules) and hears signals
        writers = (JSONLLog(), Snapshot(config.checkpoint_every), SampleGrid(), LossCurves(title),
                   Progress(config.progress), Evaluation(config.eval_every)) if world.rank == 0 else ()
        for extension in (*writers, StopOnSignal(), *extra, *extensions):
            self.extend(extension)

    def _make_loader(self, data, world):
        if isinstance(data, ImageLoader):
            if data.world_size != world.size:
                raise ValueError(f"the ImageLoader given is for {data.world_size} rank(s), this run has {world.size}: "
                                 f"make it with rank=world.rank, world_size=world.size")
            return data
        if isinstance(data, DataLoader) and world.size > 1:
            raise ValueError(f"on {world.size} ranks give an ImageLoader(..., rank=world.rank, world_size="
                             f"world.size) or an (images, labels) pair: each rank takes its share of every batch")
        if isinstance(data, DataLoader):
            return EpochLoader(data)
        if data is None:
            data = load_dataset(self.config.dataset, "train", data_dir=self.config.data_dir,
                                download=self.config.download)
            folder = dataset_folder(self.config.dataset, "train", self.config.data_dir)
            if folder is not None:   # what was read ($MINIGAN_DATA_DIR, the cache...): config.json says it
                self.config.data_dir = str(folder)
        return ImageLoader(data, batch_size=self.config.batch_size * world.size, seed=self.config.seed,
                           device=str(self.device), rank=world.rank, world_size=world.size)

    G = property(lambda self: self.updater.G)
    D = property(lambda self: self.updater.D)
    opt_g = property(lambda self: self.updater.opt_g)
    opt_d = property(lambda self: self.updater.opt_d)

    loss = property(lambda self: self.updater.loss)

    @property
    def log_path(self) -> Path:
        return self.run_dir / LOG_NAME

    @property
    def metrics_path(self) -> Path:
        return self.run_dir / METRICS_NAME

    # ---- checkpoints -------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything a checkpoint holds (arrays and JSON-friendly values)."""
        return {"kind": "gan", "model": self.config.model, "task": self.family.task,
                "custom_models": self.custom_models, "model_config": self.family.model_config(self.config),
                "config": self.config.to_dict(), "world": self.world_info(), **super().state_dict(),
                "fixed_noise": self.fixed_noise}

    def world_info(self) -> dict:
        """The ranks this run trains on and its global batch (checkpoints, config.json and log.jsonl say it)."""
        return {"size": self.world.size, "global_batch_size": self.config.batch_size * self.world.size}

    def load_state_dict(self, state: dict, source: str = "checkpoint") -> None:
        """Restore what ``state_dict`` returned (clear CheckpointError on a mismatch)."""
        if state.get("model") != self.config.model:
            raise ckpt.CheckpointError(f"{source} holds a {state.get('model')!r} model, but this trainer has a "
                                       f"{self.config.model!r} model")
        self.updater.load_state_dict(state, source)
        self.load_extension_states(state, source)
        try:
            self.load_position(state)
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            raise ckpt.CheckpointError(f"{source} does not fit this run: {exc}") from None
        self.fixed_noise = np.asarray(state["fixed_noise"], dtype=np.float32)

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, *, generator=None, discriminator=None, data=None, loss=None,
                        extensions=(), resume_hint: str | None = None, world=None, **overrides) -> "GANTrainer":
        """A trainer in the state a checkpoint (or a run folder holding checkpoint.npz) saved.

        `overrides` may change how long and where the run goes on (epochs, max_steps, checkpoint_every,
        lr_g, lr_d, device, data_dir, progress, eval_every, out); changing what the steps compute (the model,
        its options and sizes, the loss, batch size, seed, ...) is refused with a ValueError.

        On another number of ranks than the run had, each rank's batch becomes the saved global batch divided by
        the ranks, so the data order and the steps stay those of the run; a global batch the ranks do not
        divide is refused (``allow_batch_change=True``: the given --batch-size per rank, a new global batch).
        """
        world = world if world is not None else distributed.init()
        allow_batch_change = bool(overrides.pop("allow_batch_change", False))
        with distributed.every_rank_or_none(world):   # a rank that cannot read the file stops all
            file = ckpt.resolve_checkpoint(path)
            state = ckpt.load_checkpoint(file)
            if state.get("kind") != "gan":
                raise ckpt.CheckpointError(f"{file} is a {state.get('kind')!r} checkpoint, not a GAN training "
                                           f"checkpoint")
            try:
                saved = TrainConfig.from_dict(state["config"])
            except ConfigVersionError as exc:
                raise ckpt.CheckpointError(f"{file}: {exc}") from None
        saved = reshard(saved, state, world, overrides, allow_batch_change)
        family = get_family(saved.model)
        options = {f.name for f in dataclasses.fields(family.Options)}
        for key, value in overrides.items():
            if (key in FIXED_ON_RESUME or key in options) and value is not None:
                before = saved.options.get(key) if key in options else getattr(saved, key)
                if value != before:
                    hint = " (--allow-batch-change takes it, with a new data order)" if key == "batch_size" else ""
                    raise ValueError(f"cannot change --{key.replace('_', '-')} when resuming: the checkpoint has "
                                     f"{before!r}, got {value!r}{hint}")
        changes = {k: v for k, v in overrides.items()
                   if k not in FIXED_ON_RESUME and k not in options and v is not None}
        changes.setdefault("out", str(file.parent))
        config = dataclasses.replace(saved, **changes)
        trainer = cls(config, generator=generator, discriminator=discriminator, data=data, loss=loss,
                      extensions=extensions, resume_hint=resume_hint, world=world)
        trainer.load_state_dict(state, source=str(file))
        trainer.set_learning_rates({"optimizer_g": config.lr_g, "optimizer_d": config.lr_d})
        return trainer

    def set_learning_rates(self, rates: dict) -> None:
        """A rate given on resume wins over the saved one (a scheduled optimiser's schedule is rescaled)."""
        schedules = [e for e in self.extensions if isinstance(e, LRSchedule)]
        plain = {name: lr for name, lr in rates.items() if not any(s.rescale(name, lr) for s in schedules)}
        self.updater.set_learning_rates(plain)

    def prepare_run_dir(self) -> None:
        super().prepare_run_dir()
        write_json(self.run_dir / CONFIG_NAME, {**self.config.to_dict(), "world": self.world_info()})

    # ---- images and scores -------------------------------------------------------------------
    def generate(self, noise: np.ndarray | None = None) -> np.ndarray:
        """The grid's images for `noise` (default: the fixed noise), in eval mode, as a float32 host array."""
        return self.updater.sample(self.fixed_noise if noise is None else noise)

    def save_samples(self, path: str | os.PathLike | None = None) -> Path:
        path = Path(path) if path is not None else self.run_dir / f"samples_epoch_{self.epoch + 1:03d}.png"
        return self.updater.save_grid(path, self.fixed_noise)

    def evaluate(self, n: int | None = None) -> dict:
        """Score G now (the family's scores: FID, Inception Score, class coverage, and its own) from `n`
        samples (default ``config.eval_n``) of their own seeded noise (EVAL_SEED), so the same weights get the
        same score (``minigan eval --checkpoint`` prints them) and training goes on exactly as without it."""
        rng_state = backend.get_rng_state()  # nothing below should draw from it; make sure
        try:
            return self.updater.evaluate(int(n or self.config.eval_n), dataset=self.config.dataset,
                                         data_dir=self.config.data_dir, seed=EVAL_SEED, batch_size=EVAL_BATCH_SIZE)
        finally:
            backend.set_rng_state(rng_state)


def _optimizers(config: TrainConfig, G, D) -> tuple:
    """(opt_g, opt_d): RMSprop for the weight-clipped WGAN (with the clipping hook on D's), else Adam."""
    if config.loss == "wgan":
        opt_g = optim.RMSprop(G.parameters(), lr=config.lr_g)
        opt_d = optim.RMSprop(D.parameters(), lr=config.lr_d)
        opt_d.register_step_post_hook(WeightClipping(config.clip))
        return opt_g, opt_d
    betas = (config.beta1, config.beta2)
    return (optim.Adam(G.parameters(), lr=config.lr_g, betas=betas),
            optim.Adam(D.parameters(), lr=config.lr_d, betas=betas))


def resume(run_dir: str | os.PathLike, **overrides) -> TrainResult:
    """Continue the run saved in `run_dir` (or a checkpoint file) exactly where it stopped."""
    return GANTrainer.from_checkpoint(run_dir, **overrides).train()


def load_generator(path: str | os.PathLike, device: "str | Device" = "cpu"):
    """Rebuild the generator a checkpoint was trained with: returns (G in eval mode, checkpoint dict).

    The checkpoint's family (registered in this process) rebuilds it from the recorded model_config; an
    EMA run's averaged weights are loaded. A run of your own modules needs its generator built by hand and
    ``G.load_state_dict(load_checkpoint(path)['generator'])``.
    """
    file = ckpt.resolve_checkpoint(path)
    state = ckpt.load_checkpoint(file)
    if state.get("kind") != "gan":
        raise ckpt.CheckpointError(f"{file} is a {state.get('kind')!r} checkpoint, not a GAN checkpoint")
    name = state["model"]
    if state.get("custom_models") or name == "custom":
        raise ckpt.CheckpointError(f"{file} holds modules of your own: build the generator yourself and load "
                                   f"state['generator'] into it")
    family = get_family(name)
    if family.task != "gan":   # its generator completes or translates images: it does not draw from noise
        tools = ", ".join(f"`minigan {command[0]}`" for command in family.commands) or "the family's own tools"
        raise ckpt.CheckpointError(f"{file} holds the {name!r} family's model ({family.help}), which does not "
                                   f"draw images from noise: use {tools}")
    rng_state = backend.get_rng_state()  # building draws initial weights: leave the caller's stream alone
    try:
        G = family.build_generator(dict(state.get("model_config") or {}))
    except (TypeError, ValueError) as exc:
        raise ckpt.CheckpointError(f"{file}: its model_config {state.get('model_config')} does not describe a "
                                   f"{name!r} generator ({exc})") from None
    finally:
        backend.set_rng_state(rng_state)
    ckpt.load_module_state(G, *ckpt.sampling_weights(state), str(file))
    G = G.to(Device(device))
    G.eval()
    return G, state


def sample_checkpoint(checkpoint: str | os.PathLike, n: int = 10000, *, out: str | os.PathLike | None = None,
                      grid: str | os.PathLike | None = None, grid_size: int = 64, seed: int | None = 0,
                      device: "str | Device" = "cpu", batch_size: int = 500, class_index: int | None = None
                      ) -> np.ndarray:
    """Load a checkpoint's generator and draw `n` images (N, 1, 28, 28) float32 in [-1, 1]; optionally save
    them (.npy) and a PNG grid. A conditional checkpoint gives n / 10 images per class in class order (or
    `class_index` only) and writes their labels beside `out` (``labels_path``)."""
    G, state = load_generator(checkpoint, device=device)
    labels = get_family(state["model"]).sampling_labels(G, int(n), class_index)
    images, _ = sample_generator(G, n, out=out, grid=grid, grid_size=grid_size, seed=seed, device=device,
                                 batch_size=batch_size, labels=labels)
    return images
