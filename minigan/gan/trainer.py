"""GANTrainer: Goodfellow's alternating training built from a loop, an updater and extensions.

    from minigan.gan import GANTrainer, TrainConfig
    trainer = GANTrainer(TrainConfig(model="dcgan", epochs=5, out="runs/dcgan"))
    result = trainer.train()              # Ctrl-C or SIGTERM saves a checkpoint and returns
    result = resume("runs/dcgan")         # continues exactly where it stopped

The parts (``minigan.gan.training``): ``GANUpdater`` does one step (``n_critic`` D updates on
fresh real batches, then one G update with D's scores recomputed after D's update); the loop
(``Trainer``) owns step/epoch/batch, the stop conditions and the resume position; extensions
write RUN_DIR/log.jsonl (a line per step), checkpoint.npz (every `checkpoint_every` steps, on
a stop and at the end), samples_epoch_XXX.png and losses.png (every epoch), metrics.jsonl /
metrics.png (every `eval_every` epochs), the progress display, and handle Ctrl-C / SIGTERM.

A checkpoint holds everything the next step depends on (weights, BatchNorm statistics, both
Adam states, the noise generator's state and the data order's position), so on the CPU a
resumed run ends bit-identical to one that was never interrupted.
"""
from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import numpy as np

from .. import backend
from ..atomic import write_json
from ..backend import Device
from ..data import DataLoader, EpochLoader, ImageLoader, load_dataset
from ..evaluation import evaluate_samples, load_classifier
from .core import checkpoint as ckpt
from .families.conditional.report import evaluate_class_samples
from .config import FIXED_ON_RESUME, TrainConfig
from .families.inpainting.checkpoint import checkpoint_task
from .families.infogan.models import is_info_gan
from .families.conditional.labels import is_conditional
from .core.losses import GANLoss, build_loss
from .families.unconditional.models import MODELS, build_models, model_defaults
from .core.plotting import save_grid
from .core.sampling import interleave_classes
from .training import (Evaluation, JSONLLog, LossCurves, NonFiniteLossError, Progress, SampleGrid, Snapshot,
                       StopOnSignal, Trainer, TrainResult)
from .training.extensions import LOG_NAME, METRICS_NAME
from .training.stabilised_updater import StabilisedUpdater
from .families.conditional.step import ConditionalUpdater
from .families.infogan.step import InfoUpdater

__all__ = ["TrainConfig", "GANTrainer", "TrainResult", "NonFiniteLossError", "resume", "default_run_dir"]

CONFIG_NAME = "config.json"
EVAL_SEED = 0           # the noise `minigan eval --checkpoint` draws by default: the same numbers for the same G
EVAL_BATCH_SIZE = 250


def default_run_dir(model: str, dataset: str) -> Path:
    return Path("runs") / f"{model}-{dataset}-{time.strftime('%Y%m%d-%H%M%S')}"


def _resolve(config: TrainConfig | None, generator, discriminator, overrides: dict) -> TrainConfig:
    """The config with the model's default sizes filled in (or the custom generator's latent_dim)."""
    config = dataclasses.replace(config or TrainConfig(), **overrides)
    if (generator is None) != (discriminator is None):
        raise ValueError("pass both generator and discriminator, or neither")
    if generator is not None and config.model in MODELS and "model" not in overrides:
        config = dataclasses.replace(config, model="custom")
    if generator is None and config.model == "custom":
        raise ValueError("model='custom' needs generator= and discriminator= modules")
    if config.model in MODELS:
        defaults = model_defaults(config.model)
        config = dataclasses.replace(config, latent_dim=config.latent_dim or defaults["latent_dim"],
                                     width=config.width or defaults["width"])
    elif config.latent_dim is None:
        config = dataclasses.replace(config, latent_dim=getattr(generator, "latent_dim", None))
        if config.latent_dim is None:
            raise ValueError("set latent_dim in the config (or a latent_dim attribute on your generator)")
    return config.validate()


class GANTrainer(Trainer):
    """Train a generator/discriminator pair.

    Parameters
    ----------
    config : TrainConfig, or None for the defaults; keyword `overrides` replace its fields.
    generator, discriminator : your own ``nn.Module``s (default: ``build_models(config.model, ...)``).
        G maps (N, latent_dim) noise to (N, C, H, W) images in [-1, 1], D maps images to (N, 1) scores.
    data : a ``minigan.data.ImageLoader``, a ``DataLoader`` of (images in [-1, 1], labels) batches, an (images,
        labels) pair, or None to load ``config.dataset``.
    loss : a ``GANLoss`` (default: ``build_loss(config.loss, ...)``).
    updater_class : the step (default ``StabilisedUpdater``: ``GANUpdater`` plus the issue-13 options, all off
        by default); any class with ``from_config`` plugs in.
    extensions : more ``Extension``s, run after the default ones.
    """

    updater_class = StabilisedUpdater
    task = "gan"    # the checkpoint task this trainer resumes (InpaintTrainer: "inpaint")

    def __init__(self, config: TrainConfig | None = None, *, generator=None, discriminator=None, data=None,
                 loss: GANLoss | None = None, updater_class: type | None = None, extensions=(), **overrides):
        config = _resolve(config, generator, discriminator, overrides)
        self.config = config
        self.device = Device(config.device)
        if self.device.type == "cuda":
            backend.require_cupy()  # a clear DeviceError now, not mid-run

        # Initialisation from the seed, on the CPU, so it is the same on every device.
        backend.manual_seed(config.seed)
        if generator is None:
            generator, discriminator = build_models(config.model, **model_config(config))
        G, D = generator.to(self.device), discriminator.to(self.device)
        loss = loss or build_loss(config.loss, g_loss=config.g_loss, label_smoothing=config.label_smoothing,
                                  lsgan_a=config.lsgan_a, lsgan_b=config.lsgan_b, lsgan_c=config.lsgan_c)
        if updater_class is None and is_conditional(G):  # labels in every step, a row per class in the grids
            updater_class = ConditionalUpdater
        elif updater_class is None and is_info_gan(D):   # a code head on D: the mutual-information term
            updater_class = InfoUpdater
        updater = (updater_class or self.updater_class).from_config(config, G, D, loss, self.device)
        loader = self._make_loader(data)
        if len(loader) < config.n_critic:
            raise ValueError(f"the dataset gives {len(loader)} batch(es) of {loader.batch_size} per epoch, "
                             f"fewer than n_critic={config.n_critic}: use a smaller batch size")
        self.fixed_noise = updater.fixed_inputs(config.seed, config.n_samples)
        run_dir = Path(config.out) if config.out else default_run_dir(config.model, config.dataset)
        title = f"{config.model} / {config.loss} on {config.dataset}"
        defaults = [JSONLLog(), Snapshot(config.checkpoint_every), SampleGrid(), LossCurves(title),
                    Progress(config.progress), Evaluation(config.eval_every), StopOnSignal()]
        defaults += list(getattr(updater, "extensions", list)())  # e.g. the lr schedule's epoch step
        super().__init__(updater, loader, epochs=config.epochs, max_steps=config.max_steps, run_dir=run_dir,
                         extensions=defaults + list(extensions))

    def _make_loader(self, data):
        if isinstance(data, ImageLoader):
            return data
        if isinstance(data, DataLoader):
            return EpochLoader(data)
        if data is None:
            data = load_dataset(self.config.dataset, "train", data_dir=self.config.data_dir,
                                download=self.config.download)
        return ImageLoader(data, batch_size=self.config.batch_size, seed=self.config.seed, device=str(self.device))

    # The updater's parts, under the names the trainer always had.
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

    @property
    def resume_hint(self) -> str:
        limit = f" --max-steps {self.max_steps}" if self.max_steps is not None else ""
        return f"minigan train --resume {self.run_dir}{limit}"

    # ---- checkpoints -------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything a checkpoint holds (arrays and JSON-friendly values)."""
        position = self.position()
        return {
            "kind": "gan",
            "model": self.config.model,
            "model_kind": _kind(self.G),
            "model_config": model_config(self.config),
            "config": self.config.to_dict(),
            "step": position["step"],
            "epoch": position["epoch"],
            "batch": position["batch"],
            "loader": position["loader"],
            "rng_state": position["rng_state"],
            **self.updater.state_dict(),
            "fixed_noise": self.fixed_noise,
        }

    def load_state_dict(self, state: dict, source: str = "checkpoint") -> None:
        """Restore what ``state_dict`` returned (clear CheckpointError on a mismatch)."""
        saved_kind, own_kind = state.get("model_kind", ""), _kind(self.G)
        if state.get("model") != self.config.model or (saved_kind and saved_kind != own_kind):
            raise ckpt.CheckpointError(f"{source} holds {_a(saved_kind)}{state.get('model')!r} model, "
                                       f"but this trainer has {_a(own_kind)}{self.config.model!r} model")
        self.updater.load_state_dict(state, source)
        try:
            self.load_position(state)
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            raise ckpt.CheckpointError(f"{source} does not fit this run: {exc}") from None
        self.fixed_noise = np.asarray(state["fixed_noise"], dtype=np.float32)

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, *, generator=None, discriminator=None, data=None,
                        loss: GANLoss | None = None, updater_class: type | None = None, extensions=(),
                        **overrides) -> "GANTrainer":
        """A trainer in the state a checkpoint (or a run folder holding checkpoint.npz) saved.

        `overrides` may change how long and where the run goes on (epochs, max_steps, checkpoint_every,
        lr_g, lr_d, device, data_dir, progress, eval_every, out); changing what the steps compute (model,
        sizes, loss, batch size, seed, ...) is refused with a ValueError. Every stop condition (epochs,
        max_steps) is kept from the checkpoint unless a new value is given.
        """
        file = ckpt.resolve_checkpoint(path)
        state = ckpt.load_checkpoint(file)
        if state.get("kind") != "gan":
            raise ckpt.CheckpointError(f"{file} is a {state.get('kind')!r} checkpoint, not a GAN training checkpoint")
        held = checkpoint_task(state)
        if held != cls.task:  # one line, before anything is built from the wrong config
            holds = ("an inpainting model (task 'inpaint')" if held == "inpaint" else
                     f"{_a(state.get('model_kind', ''))}{state.get('model')!r} GAN (task {held!r})")
            other = "InpaintTrainer" if held == "inpaint" else "GANTrainer"
            wanted = "an inpainting" if cls.task == "inpaint" else "a noise-to-image GAN (task 'gan')"
            raise ckpt.CheckpointError(f"{file} holds {holds}, not {wanted} checkpoint: resume it with {other} "
                                       f"(`minigan train --resume RUN` picks the right one)")
        saved = TrainConfig.from_dict(state["config"])
        for key, value in overrides.items():
            if key in FIXED_ON_RESUME and value is not None and value != getattr(saved, key):
                raise ValueError(f"cannot change {key} when resuming: the checkpoint has {key}="
                                 f"{getattr(saved, key)!r}, got {value!r}")
        changes = {k: v for k, v in overrides.items() if k not in FIXED_ON_RESUME and v is not None}
        changes.setdefault("out", str(file.parent))
        config = dataclasses.replace(saved, **changes)
        trainer = cls(config, generator=generator, discriminator=discriminator, data=data, loss=loss,
                      updater_class=updater_class, extensions=extensions)
        trainer.load_state_dict(state, source=str(file))
        # A new learning rate given on resume wins over the saved one.
        trainer.updater.set_learning_rates({"optimizer_g": config.lr_g, "optimizer_d": config.lr_d})
        return trainer

    def prepare_run_dir(self) -> None:
        super().prepare_run_dir()
        write_json(self.run_dir / CONFIG_NAME, self.config.to_dict())

    # ---- images and scores -------------------------------------------------------------------
    def generate(self, noise: np.ndarray | None = None) -> np.ndarray:
        """G(noise) (default: the fixed noise) in eval mode, as a float32 host array; G's mode is restored."""
        return self.updater.sample(self.fixed_noise if noise is None else noise)

    def save_samples(self, path: str | os.PathLike | None = None) -> Path:
        path = Path(path) if path is not None else self.run_dir / f"samples_epoch_{self.epoch + 1:03d}.png"
        columns = getattr(self.updater, "grid_columns", None)   # a conditional updater: one row per class
        return save_grid(path, self.generate(), nrow=columns(self.fixed_noise) if columns else None)

    def evaluate(self, n: int | None = None) -> dict:
        """Score G now (``minigan.evaluation``): FID, Inception Score and class coverage of `n` samples
        (default ``config.eval_n``), with the real-vs-real baseline under 'baseline'.

        The samples come from their own seeded noise (EVAL_SEED) with G in eval mode, so the same weights get
        the same score (the numbers ``minigan eval --checkpoint`` prints), and training goes on exactly as
        without the evaluation: G's mode, BatchNorm statistics and the noise stream are left as they were.
        A conditional G's samples (n / classes of each) are also scored by class as ``minigan eval`` does
        (``class_report.evaluate_class_samples``): class_accuracy, class_fid, mean_class_fid, class_baseline.
        """
        rng_state = backend.get_rng_state()  # nothing below should draw from it; make sure
        try:
            n = int(n or self.config.eval_n)
            samples = self.updater.evaluation_samples(n, seed=EVAL_SEED, batch_size=EVAL_BATCH_SIZE)
            labels = self.updater.evaluation_labels(n)
            common = dict(data_dir=self.config.data_dir, device=str(self.device), batch_size=EVAL_BATCH_SIZE)
            if labels is None:
                return evaluate_samples(samples, self.config.dataset, **common)
            classifier = load_classifier(self.config.dataset, device=str(self.device))  # one for both reports
            # classes mixed evenly, as `minigan eval` scores them (IS splits of class order hold one class each)
            scores = evaluate_samples(samples[interleave_classes(labels)], self.config.dataset,
                                      classifier=classifier, **common)
            try:
                scores.update(evaluate_class_samples(samples, labels, self.config.dataset, classifier=classifier,
                                                     **common))
            except ValueError as exc:  # e.g. a test set without some class: keep the unconditional scores
                scores["class_error"] = str(exc)
            return scores
        finally:
            backend.set_rng_state(rng_state)


def model_config(config: TrainConfig) -> dict:
    """What ``build_models(config.model, ...)`` takes, as the checkpoint records it ("model_config"): latent_dim and
    width, and for infogan its number of codes."""
    sizes = {"latent_dim": config.latent_dim, "width": config.width}
    if config.model == "infogan":
        sizes["codes"] = config.info_codes
    return sizes


def _kind(generator) -> str:
    """What a checkpoint records as its model kind: 'conditional' (G takes labels) or 'unconditional'."""
    return "conditional" if is_conditional(generator) else "unconditional"


def _a(kind: str) -> str:
    return f"{'an' if kind.startswith('u') else 'a'} {kind} " if kind else "a "


def resume(run_dir: str | os.PathLike, **overrides) -> TrainResult:
    """Continue the run saved in `run_dir` (or a checkpoint file) exactly where it stopped."""
    return GANTrainer.from_checkpoint(run_dir, **overrides).train()
