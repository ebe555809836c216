"""InpaintTrainer: ``minigan train --task inpaint``, GANTrainer's loop and extensions with the inpainting step.

    from minigan.gan.inpaint_trainer import InpaintTrainer
    trainer = InpaintTrainer(TrainConfig(task="inpaint", model="inpaint", mask="random", out="runs/inpaint"))
    result = trainer.train()                                 # Ctrl-C saves a checkpoint, as GANTrainer
    result = InpaintTrainer.from_checkpoint("runs/inpaint").train()   # resumes bit-identically on the CPU

G is gan/inpainting's encoder-decoder (``width`` base channels, default 32; U-Net
skips unless ``unet=False``), D the whole-image discriminator (2 * width, with a
class head when ``aux_classes``). The step is ``training.inpaint_updater``. What
changes from GANTrainer: the per-epoch grid shows masked input | completion |
original for the first ``n_samples`` training images under masks from their own
seeded sampler (the same every epoch); ``--eval-every`` completes the first
``eval_n`` test images (masks of the run's kind from a fixed seed) and scores the
completions (FID, IS, coverage, and classifier accuracy next to the masked-only and
original baselines); the checkpoint records ``task: "inpaint"``.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from .... import backend
from ....backend import Device
from ....data import load_dataset
from ....data.datasets import NUM_CLASSES
from ....evaluation import evaluate_samples
from ...core import checkpoint as ckpt
from ...config import INPAINT_MODEL, TrainConfig
from . import INPAINT_TASK, MaskSampler, build_inpainting_models, evaluate_inpainting, save_inpainting_grid
from ...core.losses import build_loss
from ...trainer import EVAL_BATCH_SIZE, EVAL_SEED, GANTrainer, default_run_dir
from ...training import Evaluation, JSONLLog, LossCurves, Progress, SampleGrid, Snapshot, StopOnSignal, Trainer
from .step import InpaintUpdater, mask_seed

__all__ = ["InpaintTrainer", "inpaint_config", "DEFAULT_WIDTH", "GRID_PER_ROW"]

DEFAULT_WIDTH = 32   # G's base channels (D has twice as many)
GRID_PER_ROW = 4     # examples per grid row (each three tiles wide)


def inpaint_config(config: TrainConfig | None = None, **overrides) -> TrainConfig:
    """The config with task/model set for inpainting and the default width filled in, validated."""
    config = dataclasses.replace(config or TrainConfig(), **overrides)
    config = dataclasses.replace(config, task=INPAINT_TASK, model=INPAINT_MODEL, width=config.width or DEFAULT_WIDTH)
    return config.validate()


class InpaintTrainer(GANTrainer):
    """Train an inpainting G/D pair (see the module docstring); `data` as for GANTrainer."""

    updater_class = InpaintUpdater
    task = INPAINT_TASK

    def __init__(self, config: TrainConfig | None = None, *, data=None, extensions=(), generator=None,
                 discriminator=None, loss=None, updater_class=None, **overrides):
        if generator is not None or discriminator is not None or updater_class is not None:
            raise ValueError("InpaintTrainer builds its own models and updater (generator=, discriminator= and "
                             "updater_class= are for GANTrainer)")
        config = inpaint_config(config, **overrides)
        self.config = config
        self.device = Device(config.device)
        if self.device.type == "cuda":
            backend.require_cupy()  # a clear DeviceError now, not mid-run
        backend.manual_seed(config.seed)  # initialisation from the seed, on the CPU, as GANTrainer
        G, D = build_inpainting_models(config.width, 2 * config.width, unet=config.unet,
                                       num_classes=NUM_CLASSES if config.aux_classes else 0)
        loss = loss or build_loss(config.loss, g_loss=config.g_loss, label_smoothing=config.label_smoothing,
                                  lsgan_a=config.lsgan_a, lsgan_b=config.lsgan_b, lsgan_c=config.lsgan_c)
        updater = InpaintUpdater.from_config(config, G.to(self.device), D.to(self.device), loss, self.device)
        loader = self._make_loader(data)
        n = min(config.n_samples, loader.num_samples)
        self.fixed_images = np.array(backend.as_numpy(loader.images[:n]), dtype=np.float32)
        self.fixed_noise = updater.fixed_inputs(config.seed, n)  # the grid's masks (the checkpoint's fixed_noise)
        run_dir = Path(config.out) if config.out else default_run_dir("inpaint", config.dataset)
        title = f"inpainting ({config.mask} masks, {config.loss} + {config.rec_loss}) on {config.dataset}"
        defaults = [JSONLLog(), Snapshot(config.checkpoint_every), SampleGrid(), LossCurves(title),
                    Progress(config.progress), Evaluation(config.eval_every), StopOnSignal()]
        defaults += updater.extensions()  # the lr schedule's epoch step, when one is on
        Trainer.__init__(self, updater, loader, epochs=config.epochs, max_steps=config.max_steps, run_dir=run_dir,
                         extensions=defaults + list(extensions))

    def state_dict(self) -> dict:
        state = super().state_dict()
        state["task"] = INPAINT_TASK
        state["model_config"] = {"width": self.config.width, "d_width": 2 * self.config.width,
                                 "unet": self.config.unet, "noise": self.G.noise,
                                 "num_classes": NUM_CLASSES if self.config.aux_classes else 0}
        return state

    def load_state_dict(self, state: dict, source: str = "checkpoint") -> None:
        if state.get("task") != INPAINT_TASK:
            raise ckpt.CheckpointError(f"{source} is not an inpainting checkpoint (task {state.get('task', 'gan')!r})")
        super().load_state_dict(state, source)

    @property
    def resume_hint(self) -> str:
        return super().resume_hint  # `minigan train --resume` reads the task from the checkpoint

    # ---- images and scores -------------------------------------------------------------------
    def generate(self, noise: np.ndarray | None = None) -> np.ndarray:
        """G's completions of the grid's fixed examples (eval mode; `noise`: other masks for them)."""
        masks = self.fixed_noise if noise is None else noise
        return self.updater.complete(self.fixed_images, masks)

    def save_samples(self, path: str | os.PathLike | None = None) -> Path:
        path = Path(path) if path is not None else self.run_dir / f"samples_epoch_{self.epoch + 1:03d}.png"
        return save_inpainting_grid(path, self.fixed_images, self.fixed_noise, self.generate(),
                                    per_row=GRID_PER_ROW)

    def evaluate(self, n: int | None = None) -> dict:
        """Complete the first `n` (default eval_n) test images under masks of the run's kind (a fixed seed) and
        score them: evaluate_samples' FID / IS / coverage of the completions, plus 'inpainting': L1 and PSNR
        on the hidden pixels and classifier accuracy of completions, masked-only images and originals."""
        rng_state = backend.get_rng_state()  # nothing below should draw from it; make sure
        try:
            images, labels = load_dataset(self.config.dataset, "test", data_dir=self.config.data_dir,
                                          download=self.config.download)
            count = min(int(n or self.config.eval_n), len(images))
            originals = images[:count].astype(np.float32) / np.float32(127.5) - np.float32(1.0)
            originals = originals[:, None] if originals.ndim == 3 else originals
            masks = MaskSampler(self.config.mask, seed=mask_seed(EVAL_SEED)).sample(count)
            completed = self.updater.complete(originals, masks, batch_size=EVAL_BATCH_SIZE)
            scores = evaluate_samples(completed, self.config.dataset, data_dir=self.config.data_dir,
                                      device=str(self.device), batch_size=EVAL_BATCH_SIZE)
            scores["inpainting"] = evaluate_inpainting(completed, originals, masks, labels[:count], fid=False,
                                                       dataset=self.config.dataset, data_dir=self.config.data_dir,
                                                       device=str(self.device), batch_size=EVAL_BATCH_SIZE)
            scores["inpainting"]["mask"] = self.config.mask
            return scores
        finally:
            backend.set_rng_state(rng_state)
