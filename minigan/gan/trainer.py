"""GANTrainer: Goodfellow's alternating training loop with logging, sample grids and exact resume.

    from minigan.gan import GANTrainer, TrainConfig
    trainer = GANTrainer(TrainConfig(model="dcgan", epochs=5, out="runs/dcgan"))
    result = trainer.train()              # Ctrl-C saves a checkpoint and returns
    result = resume("runs/dcgan")         # continues exactly where it stopped

One step = ``n_critic`` discriminator updates, then one generator update:

    for each of n_critic real batches x:
        z ~ N(0, I);  fake = G(z)
        D step on D(x) and D(fake.detach()) - two forward passes, so BatchNorm
        sees a real-only and a fake-only batch (as in PyTorch's DCGAN example)
    G step on D(fake) recomputed with the updated D (never the pre-update scores)

Every step appends a JSON line to RUN_DIR/log.jsonl; every epoch writes a
sample grid from fixed noise (samples_epoch_XXX.png) and the loss curves
(losses.png). With `eval_every` = N, every N-th epoch also scores G (FID,
Inception Score, class coverage: minigan.gan.metrics) into metrics.jsonl, a
{"type": "eval", ...} line of log.jsonl (step lines are the ones with loss_D)
and metrics.png. RUN_DIR/checkpoint.npz is written every `checkpoint_every`
steps, on Ctrl-C and at the end. A checkpoint holds everything the next step
depends on (weights, BatchNorm statistics, both Adam states, the noise
generator's state and the data order's position), so on the CPU a resumed run
ends bit-identical to one that was never interrupted.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import backend, creation
from ..autograd import Tensor, no_grad
from ..backend import Device
from . import checkpoint as ckpt
from .config import FIXED_ON_RESUME, TrainConfig
from .losses import GANLoss, build_loss
from .models import MODELS, build_models, model_defaults
from .plotting import plot_losses, save_grid
from .progress import Reporter

__all__ = ["TrainConfig", "GANTrainer", "TrainResult", "NonFiniteLossError", "resume", "default_run_dir"]

LOG_NAME = "log.jsonl"
CONFIG_NAME = "config.json"
LOSS_PLOT_NAME = "losses.png"
METRICS_NAME = "metrics.jsonl"
METRICS_PLOT_NAME = "metrics.png"
EVAL_SEED = 0           # the noise `minigan eval --checkpoint` draws by default: the same numbers for the same G
EVAL_BATCH_SIZE = 250
_warned_no_matplotlib = False   # metrics.png: warn once per process without matplotlib
_LOG_KEYS = ("loss_D", "loss_G", "D_x", "D_G_z", "D_G_z_after", "grad_norm_D", "grad_norm_G")


@dataclass
class TrainResult:
    """What ``GANTrainer.train`` returns."""

    run_dir: Path
    step: int
    epoch: int                           # completed epochs
    interrupted: bool = False            # stopped by Ctrl-C (a checkpoint was saved)
    checkpoint: Path | None = None
    log: Path | None = None
    samples: list = field(default_factory=list)   # sample grids written by this call
    loss_plot: Path | None = None
    last: dict = field(default_factory=dict)      # the last step's log record
    evaluations: list = field(default_factory=list)  # the eval records (as in log.jsonl) written by this call
    metrics_log: Path | None = None               # RUN_DIR/metrics.jsonl, when the run holds evaluations
    metrics_plot: Path | None = None              # RUN_DIR/metrics.png, when it could be drawn


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; training stopped and the last good checkpoint was kept."""

    def __init__(self, message: str, *, step: int, which: str, value: float, checkpoint: Path | None):
        super().__init__(message)
        self.step, self.which, self.value, self.checkpoint = step, which, value, checkpoint


def default_run_dir(model: str, dataset: str) -> Path:
    return Path("runs") / f"{model}-{dataset}-{time.strftime('%Y%m%d-%H%M%S')}"


def _fixed_noise(seed: int, n: int, latent_dim: int) -> np.ndarray:
    # Its own generator: drawing the fixed noise never moves the training noise stream.
    rng = np.random.default_rng([int(seed), 0x5A4D])
    return rng.standard_normal((n, latent_dim), dtype=np.float32)


def _grad_norm(parameters) -> float:
    # Summed where the gradients live and read back once: a read per parameter is a GPU sync each.
    total = 0.0
    for p in parameters:
        if p.grad is not None:
            g = p.grad.data
            total = total + ((g.astype(np.float64) * g).sum() if g.dtype != np.float64 else (g * g).sum())
    return math.sqrt(float(total))


def _is_eval_record(record: dict) -> bool:
    return record.get("type") == "eval"


def _log_eval_record(step: int, epoch: int, scores: dict) -> dict:
    """The flat log.jsonl line of one evaluation; the baseline's numbers become baseline_<name>."""
    record = {"type": "eval", "step": step, "epoch": epoch}
    for key in ("n", "fid", "inception_score", "inception_score_std", "classes_covered", "class_kl",
                "class_histogram"):
        if key in scores:
            record[key] = scores[key]
    base = scores.get("baseline") or {}
    for key in ("n", "fid", "inception_score", "inception_score_std", "classes_covered", "class_kl"):
        if key in base:
            record[f"baseline_{key}"] = base[key]
    if "error" in base:
        record["baseline_error"] = base["error"]
    record["time"] = time.time()
    return record


def _format_eval(record: dict) -> str:
    def real(key, fmt):
        value = record.get(f"baseline_{key}")
        return f" (real {fmt.format(value)})" if value is not None else ""
    return (f"eval at epoch {record['epoch']} (step {record['step']}, {record['n']} samples): "
            f"FID {record['fid']:.3f}{real('fid', '{:.3f}')}, "
            f"IS {record['inception_score']:.3f} ± {record['inception_score_std']:.3f}"
            f"{real('inception_score', '{:.3f}')}, "
            f"classes covered {record['classes_covered']}/10{real('classes_covered', '{}')}"
            + (f"; baseline from {record['baseline_n']} real images" if record.get("baseline_n") not in
               (None, record["n"]) else "")
            + ("; no baseline: " + record["baseline_error"] if "baseline_error" in record else ""))


def _mean_sigmoid(scores: Tensor) -> float:
    x = backend.as_numpy(scores.data).astype(np.float64)
    return float(np.mean(0.5 * (np.tanh(0.5 * x) + 1.0)))


class GANTrainer:
    """Train a generator/discriminator pair.

    Parameters
    ----------
    config : TrainConfig, or None for the defaults; keyword `overrides` replace its fields.
    generator, discriminator : your own ``nn.Module``s (default: ``build_models(config.model, ...)``).
        G maps (N, latent_dim) noise to (N, C, H, W) images in [-1, 1], D maps images to (N, 1) scores.
    data : a ``minigan.data.DataLoader``, an (images, labels) pair, or None to load ``config.dataset``.
    loss : a ``GANLoss`` (default: ``build_loss(config.loss, ...)``).
    """

    def __init__(self, config: TrainConfig | None = None, *, generator=None, discriminator=None, data=None,
                 loss: GANLoss | None = None, **overrides):
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
        self.config = config.validate()
        self.device = Device(config.device)
        if self.device.type == "cuda":
            backend.require_cupy()  # a clear DeviceError now, not mid-run

        # Initialisation from the seed, on the CPU, so it is the same on every device.
        backend.manual_seed(config.seed)
        if generator is None:
            generator, discriminator = build_models(config.model, latent_dim=config.latent_dim, width=config.width)
        self.G = generator.to(self.device)
        self.D = discriminator.to(self.device)
        self.loss = loss or build_loss(config.loss, g_loss=config.g_loss, label_smoothing=config.label_smoothing,
                                       lsgan_a=config.lsgan_a, lsgan_b=config.lsgan_b, lsgan_c=config.lsgan_c)
        from .. import optim
        self.opt_g = optim.Adam(self.G.parameters(), lr=config.lr_g, betas=(config.beta1, config.beta2))
        self.opt_d = optim.Adam(self.D.parameters(), lr=config.lr_d, betas=(config.beta1, config.beta2))
        self.loader = self._make_loader(data)
        if len(self.loader) < config.n_critic:
            raise ValueError(f"the dataset gives {len(self.loader)} batch(es) of {self.loader.batch_size} per epoch, "
                             f"fewer than n_critic={config.n_critic}: use a smaller batch size")
        self.fixed_noise = _fixed_noise(config.seed, config.n_samples, config.latent_dim)
        self.run_dir = Path(config.out) if config.out else default_run_dir(config.model, config.dataset)
        self.step = 0          # generator updates done
        self.epoch = 0         # index of the epoch in progress
        self.batch = 0         # next batch of that epoch
        self.history: list[dict] = []
        self.last_checkpoint_step: int | None = None
        self._resumed = False
        self._stop_requested = False
        self._last_record: dict = {}

    # ---- set-up ------------------------------------------------------------------------------
    def _make_loader(self, data):
        from ..data import DataLoader, load_dataset
        if isinstance(data, DataLoader):
            return data
        if data is None:
            data = load_dataset(self.config.dataset, "train", data_dir=self.config.data_dir,
                                download=self.config.download)
        return DataLoader(data, batch_size=self.config.batch_size, seed=self.config.seed, device=str(self.device))

    @property
    def checkpoint_path(self) -> Path:
        return self.run_dir / ckpt.CHECKPOINT_NAME

    @property
    def log_path(self) -> Path:
        return self.run_dir / LOG_NAME

    @property
    def metrics_path(self) -> Path:
        return self.run_dir / METRICS_NAME

    @property
    def steps_per_epoch(self) -> int:
        return len(self.loader) // self.config.n_critic

    # ---- checkpoints -------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything a checkpoint holds (arrays and JSON-friendly values)."""
        loader_state = self.loader.state_dict()
        loader_state.update(epoch=self.epoch, batch=self.batch)
        return {
            "kind": "gan",
            "model": self.config.model,
            "model_config": {"latent_dim": self.config.latent_dim, "width": self.config.width},
            "config": self.config.to_dict(),
            "step": self.step,
            "epoch": self.epoch,
            "batch": self.batch,
            "loader": loader_state,
            "rng_state": backend.get_rng_state(),
            "generator": self.G.state_dict(),
            "discriminator": self.D.state_dict(),
            "optimizer_g": self.opt_g.state_dict(),
            "optimizer_d": self.opt_d.state_dict(),
            "fixed_noise": self.fixed_noise,
        }

    def load_state_dict(self, state: dict, source: str = "checkpoint") -> None:
        """Restore what ``state_dict`` returned (clear CheckpointError on a mismatch)."""
        if state.get("model") != self.config.model:
            raise ckpt.CheckpointError(f"{source} holds a {state.get('model')!r} model, "
                                       f"but this trainer has a {self.config.model!r} model")
        ckpt.load_module_state(self.G, state["generator"], "generator", source)
        ckpt.load_module_state(self.D, state["discriminator"], "discriminator", source)
        try:
            self.opt_g.load_state_dict(state["optimizer_g"])
            self.opt_d.load_state_dict(state["optimizer_d"])
            self.loader.load_state_dict(state["loader"])
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            raise ckpt.CheckpointError(f"{source} does not fit this run: {exc}") from None
        backend.set_rng_state(state["rng_state"])
        self.step, self.epoch, self.batch = int(state["step"]), int(state["epoch"]), int(state["batch"])
        self.fixed_noise = np.asarray(state["fixed_noise"], dtype=np.float32)
        self.last_checkpoint_step = self.step

    def save_checkpoint(self, path: str | os.PathLike | None = None) -> Path | None:
        """Write the checkpoint atomically; refuses (returns None, with a warning) if any weight is not finite."""
        for name, module in (("generator", self.G), ("discriminator", self.D)):
            for pname, p in module.named_parameters():
                if not bool(p.xp.isfinite(p.data).all()):
                    self._warn(f"not saving a checkpoint at step {self.step}: {name} parameter {pname} is not "
                               f"finite; the last good checkpoint is kept")
                    return None
        path = Path(path) if path is not None else self.checkpoint_path
        ckpt.save_checkpoint(path, self.state_dict())
        self.last_checkpoint_step = self.step
        return path

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, *, generator=None, discriminator=None, data=None,
                        loss: GANLoss | None = None, **overrides) -> "GANTrainer":
        """A trainer in the state a checkpoint (or a run folder holding checkpoint.npz) saved.

        `overrides` may change how long and where the run goes on (epochs, max_steps, checkpoint_every,
        lr_g, lr_d, device, data_dir, progress, out); changing what the steps compute (model, sizes,
        loss, batch size, seed, ...) is refused with a ValueError. The saved max_steps is not kept:
        without a new one the run goes on until `epochs` are done.
        """
        file = ckpt.resolve_checkpoint(path)
        state = ckpt.load_checkpoint(file)
        if state.get("kind") != "gan":
            raise ckpt.CheckpointError(f"{file} is a {state.get('kind')!r} checkpoint, not a GAN training checkpoint")
        saved = TrainConfig.from_dict(state["config"])
        for key, value in overrides.items():
            if key in FIXED_ON_RESUME and value is not None and value != getattr(saved, key):
                raise ValueError(f"cannot change {key} when resuming: the checkpoint has {key}="
                                 f"{getattr(saved, key)!r}, got {value!r}")
        changes = {k: v for k, v in overrides.items() if k not in FIXED_ON_RESUME and v is not None}
        changes.setdefault("out", str(file.parent))
        changes.setdefault("max_steps", None)  # a step limit is for one invocation: resuming goes on to `epochs`
        config = dataclasses.replace(saved, **changes)
        trainer = cls(config, generator=generator, discriminator=discriminator, data=data, loss=loss)
        trainer.load_state_dict(state, source=str(file))
        for group in trainer.opt_g.param_groups:  # a new learning rate given on resume wins
            group["lr"] = config.lr_g
        for group in trainer.opt_d.param_groups:
            group["lr"] = config.lr_d
        trainer._resumed = True
        return trainer

    # ---- one step ----------------------------------------------------------------------------
    def _noise(self, n: int) -> Tensor:
        # Drawn on the CPU from minigan's seeded generator, then moved: the same noise on every device,
        # and its state is what get_rng_state() saves.
        z = creation.randn(n, self.config.latent_dim)
        return z if self.device.type == "cpu" else z.to(self.device)

    def _check_finite(self, value: float, which: str) -> None:
        if math.isfinite(value):
            return
        step = self.step + 1
        if self.last_checkpoint_step is not None and self.checkpoint_path.exists():
            kept = (f"The last good checkpoint (step {self.last_checkpoint_step}) is kept at {self.checkpoint_path}; "
                    f"resume from it with a lower learning rate: minigan train --resume {self.run_dir} "
                    f"--lr-g ... --lr-d ...")
        else:
            kept = "No checkpoint had been written yet, so there is nothing to resume from."
        raise NonFiniteLossError(
            f"{which} is {value} at step {step} (epoch {self.epoch + 1}, batch {self.batch}): training stopped, "
            f"the weights were not saved. {kept}",
            step=step, which=which, value=value,
            checkpoint=self.checkpoint_path if self.last_checkpoint_step is not None else None)

    def train_step(self, real_batches) -> dict:
        """One generator update after len(real_batches) discriminator updates; returns the log record."""
        G, D, loss = self.G, self.D, self.loss
        G.train()
        D.train()
        fake = None
        record: dict[str, Any] = {}
        for k, x in enumerate(real_batches):
            if not isinstance(x, Tensor):
                x = Tensor(x)
            if x.device != self.device:  # a loader of the user's on another device
                x = x.to(self.device)
            z = self._noise(x.shape[0])
            if k == len(real_batches) - 1:
                fake = G(z)                 # kept with its graph: the G step reuses it
                fake_for_d = fake.detach()
            else:
                with no_grad():
                    fake_for_d = G(z)
            self.opt_d.zero_grad()
            real_scores = D(x)              # a real-only batch ...
            fake_scores = D(fake_for_d)     # ... and a fake-only batch: separate BatchNorm statistics
            loss_d = loss.d_real(real_scores) + loss.d_fake(fake_scores)
            loss_d_value = float(loss_d.item())
            self._check_finite(loss_d_value, "loss_D")
            loss_d.backward()
            record["grad_norm_D"] = _grad_norm(D.parameters())
            self.opt_d.step()
            record["loss_D"] = loss_d_value
            record["D_x"] = _mean_sigmoid(real_scores)
            record["D_G_z"] = _mean_sigmoid(fake_scores)

        # Generator step: D's scores of the same fakes, recomputed with the updated D.
        self.opt_g.zero_grad()
        d_params = list(D.parameters())
        flags = [p.requires_grad for p in d_params]
        for p in d_params:                  # no gradients for D's weights in G's backward pass
            p.requires_grad_(False)
        try:
            scores = D(fake)
            loss_g = loss.g(scores)
            loss_g_value = float(loss_g.item())
            self._check_finite(loss_g_value, "loss_G")
            loss_g.backward()
        finally:
            for p, flag in zip(d_params, flags):
                p.requires_grad_(flag)
        record["grad_norm_G"] = _grad_norm(G.parameters())
        self.opt_g.step()
        record["loss_G"] = loss_g_value
        record["D_G_z_after"] = _mean_sigmoid(scores)
        return record

    # ---- images ------------------------------------------------------------------------------
    def generate(self, noise: np.ndarray | None = None) -> np.ndarray:
        """G(noise) (default: the fixed noise) in eval mode, as a float32 host array; G's mode is restored."""
        noise = self.fixed_noise if noise is None else noise
        was_training = self.G.training
        self.G.eval()
        try:
            with no_grad():
                z = creation.tensor(np.asarray(noise, dtype=np.float32), device=self.device)
                images = self.G(z).numpy()
        finally:
            self.G.train(was_training)
        return images.astype(np.float32, copy=False)

    def save_samples(self, path: str | os.PathLike | None = None) -> Path:
        path = Path(path) if path is not None else self.run_dir / f"samples_epoch_{self.epoch + 1:03d}.png"
        return save_grid(path, self.generate())

    def evaluate(self, n: int | None = None) -> dict:
        """Score G now (``minigan.gan.metrics``): FID, Inception Score and class coverage of `n` samples
        (default ``config.eval_n``), with the real-vs-real baseline under 'baseline'.

        The samples come from their own seeded noise (EVAL_SEED) with G in eval mode, so the same weights get
        the same score (the numbers ``minigan eval --checkpoint`` prints), and training goes on exactly as
        without the evaluation: G's mode, BatchNorm statistics and the noise stream are left as they were.
        """
        from .metrics import evaluate_samples
        from .sampling import generate

        rng_state = backend.get_rng_state()  # nothing below should draw from it; make sure
        try:
            # generate() + evaluate_samples() is metrics.evaluate_generator with latent_dim passed on, so a
            # custom generator without a latent_dim attribute can be scored too.
            samples = generate(self.G, int(n or self.config.eval_n), latent_dim=self.config.latent_dim,
                               batch_size=EVAL_BATCH_SIZE, seed=EVAL_SEED, device=self.device)
            return evaluate_samples(samples, self.config.dataset, data_dir=self.config.data_dir,
                                    device=str(self.device), batch_size=EVAL_BATCH_SIZE)
        finally:
            backend.set_rng_state(rng_state)

    def _evaluate_epoch(self, log, result: TrainResult) -> None:
        """The end-of-epoch evaluation: metrics.jsonl, an eval line in log.jsonl, metrics.png, one printed line.

        A failed evaluation (no classifier weights, images the classifier cannot take) warns and training
        goes on: a long run is not lost to its side measurement.
        """
        try:
            scores = self.evaluate()
        except (ValueError, TypeError, RuntimeError, OSError) as exc:
            self._warn(f"evaluation after epoch {self.epoch + 1} (step {self.step}) failed, training goes on: {exc}")
            return
        record = _log_eval_record(self.step, self.epoch + 1, scores)
        with open(self.metrics_path, "a", encoding="utf-8") as metrics:
            metrics.write(json.dumps({"step": self.step, "epoch": self.epoch + 1, **scores}, default=_jsonable)
                          + "\n")
        log.write(json.dumps(record) + "\n")
        log.flush()
        result.evaluations.append(record)
        result.metrics_log = self.metrics_path
        result.metrics_plot = self.save_metrics_plot() or result.metrics_plot
        self._reporter.message(_format_eval(record))

    def save_metrics_plot(self) -> Path | None:
        """Redraw RUN_DIR/metrics.png from metrics.jsonl; None (with a warning) when it cannot be drawn."""
        if not self.metrics_path.exists():
            return None
        from .metrics import metrics_curve_png
        try:
            return metrics_curve_png(self.metrics_path, self.run_dir / METRICS_PLOT_NAME)
        except ImportError as exc:
            global _warned_no_matplotlib
            if not _warned_no_matplotlib:
                _warned_no_matplotlib = True
                self._warn(f"matplotlib is not available ({exc}); skipping {METRICS_PLOT_NAME}")
        except ValueError as exc:  # no lines with a fid (a file emptied by a resume)
            self._warn(f"not drawing {METRICS_PLOT_NAME}: {exc}")
        return None

    def save_loss_plot(self) -> Path | None:
        if not self.history:
            return None
        steps = [r["step"] for r in self.history]
        return plot_losses(self.run_dir / LOSS_PLOT_NAME, steps,
                           {"loss_D": [r["loss_D"] for r in self.history],
                            "loss_G": [r["loss_G"] for r in self.history]},
                           title=f"{self.config.model} / {self.config.loss} on {self.config.dataset}")

    # ---- the loop ----------------------------------------------------------------------------
    def _prepare_run_dir(self) -> None:
        run_dir = self.run_dir
        if not self._resumed and self.step == 0 and self.checkpoint_path.exists():
            raise FileExistsError(f"{run_dir} already holds a run ({ckpt.CHECKPOINT_NAME}); continue it with "
                                  f"--resume {run_dir} (resume() in Python) or choose another --out")
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / CONFIG_NAME).write_text(json.dumps(self.config.to_dict(), indent=2) + "\n")
        # Keep the log lines up to the checkpoint's step: later ones belong to steps that will be redone.
        kept, _ = self._trim_jsonl(self.log_path, LOG_NAME)
        evaluations, dropped = self._trim_jsonl(self.metrics_path, METRICS_NAME)
        if not evaluations:  # a new run, or one resumed from before its first evaluation
            self.metrics_path.unlink(missing_ok=True)
            (run_dir / METRICS_PLOT_NAME).unlink(missing_ok=True)
        elif dropped:
            self.save_metrics_plot()
        self.history = [r for r in kept if not _is_eval_record(r) and "loss_D" in r and "loss_G" in r]

    def _trim_jsonl(self, path: Path, name: str) -> tuple[list[dict], int]:
        """Rewrite a JSON-lines file of this run keeping what the checkpoint's state has done.

        Step lines up to the checkpoint's step stay. Evaluation lines stay up to that step too, except one at
        the checkpoint's step whose epoch end is still to come (it is done again when the run goes on).
        Returns the records kept and how many lines were dropped.
        """
        kept: list[dict] = []
        if not path.exists():
            return kept, 0
        lines = path.read_text().splitlines()
        if self.step > 0:
            epoch_end_pending = self.batch + self.config.n_critic > len(self.loader)
            for line in lines:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a crash
                if not isinstance(record, dict):
                    continue
                step = record.get("step", 0)
                is_eval = name == METRICS_NAME or _is_eval_record(record)
                if step < self.step or (step == self.step and not (is_eval and epoch_end_pending)):
                    kept.append(record)
        tmp = path.with_name(name + ".tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in kept))
        os.replace(tmp, path)
        return kept, len(lines) - len(kept)

    def _install_sigint(self):
        if threading.current_thread() is not threading.main_thread():
            return None
        previous = signal.getsignal(signal.SIGINT)

        def handler(signum, frame):
            if self._stop_requested:  # a second Ctrl-C: stop now, without saving a half-done step
                raise KeyboardInterrupt
            self._stop_requested = True
            self._reporter.message(f"interrupt: finishing step {self.step + 1}, then saving a checkpoint "
                                   f"(Ctrl-C again to stop at once without saving)")

        signal.signal(signal.SIGINT, handler)
        return previous

    def request_stop(self) -> None:
        """Ask the loop to stop after the current step and save a checkpoint (what Ctrl-C does)."""
        self._stop_requested = True

    def _warn(self, text: str) -> None:
        print(f"minigan: warning: {text}", file=sys.stderr, flush=True)

    def train(self) -> TrainResult:
        """Run until `epochs` (or `max_steps`) are done, or Ctrl-C; returns a TrainResult.

        Raises NonFiniteLossError if a loss becomes NaN/inf (the last good checkpoint is kept).
        """
        cfg = self.config
        self._prepare_run_dir()
        self._stop_requested = False
        self._reporter = Reporter(cfg.progress, self.steps_per_epoch, cfg.epochs)
        result = TrainResult(run_dir=self.run_dir, step=self.step, epoch=self.epoch, log=self.log_path)
        previous_handler = self._install_sigint()
        log = open(self.log_path, "a", encoding="utf-8")
        try:
            try:
                self._loop(log, result)
            except KeyboardInterrupt:
                log.flush()
                where = (f"the last checkpoint (step {self.last_checkpoint_step}) is at {self.checkpoint_path}"
                         if self.last_checkpoint_step is not None else "no checkpoint was written")
                self._reporter.message(f"stopped during step {self.step + 1} without saving; {where}")
                raise
        finally:
            log.close()
            self._reporter.close()
            if previous_handler is not None:
                signal.signal(signal.SIGINT, previous_handler)
        result.checkpoint = self.save_checkpoint() or (self.checkpoint_path if self.checkpoint_path.exists()
                                                       else None)
        if self.batch > 0:  # stopped inside an epoch: a grid of where it got to
            result.samples.append(self.save_samples())
        result.loss_plot = self.save_loss_plot()
        if self.metrics_path.exists() and self.metrics_path.stat().st_size > 0:
            result.metrics_log = self.metrics_path
            plot = self.run_dir / METRICS_PLOT_NAME
            result.metrics_plot = result.metrics_plot or (plot if plot.exists() else None)
        result.step, result.epoch, result.last = self.step, self.epoch, dict(self._last_record)
        if result.interrupted:
            self._reporter.message(f"interrupted at step {self.step}: checkpoint saved to {result.checkpoint}")
        return result

    def _loop(self, log, result: TrainResult) -> None:
        cfg = self.config
        n_batches = len(self.loader)
        batches = None
        self._reporter.start_epoch(self.epoch, self.batch // cfg.n_critic)
        while True:
            if self.batch + cfg.n_critic > n_batches:  # epoch used up
                batches = None
                result.samples.append(self.save_samples())
                result.loss_plot = self.save_loss_plot()
                self._reporter.end_epoch(self.epoch, self.step, self.history, result.samples[-1])
                if cfg.eval_every and (self.epoch + 1) % cfg.eval_every == 0:
                    self._evaluate_epoch(log, result)
                self.epoch, self.batch = self.epoch + 1, 0
                if self.epoch < cfg.epochs:
                    self._reporter.start_epoch(self.epoch, 0)
                continue
            if self.epoch >= cfg.epochs or (cfg.max_steps is not None and self.step >= cfg.max_steps):
                return
            if self._stop_requested:
                result.interrupted = True
                return
            if batches is None:
                batches = self.loader.iter_epoch(self.epoch, self.batch)
            start = time.perf_counter()
            reals = []
            for _ in range(cfg.n_critic):
                x, _labels = next(batches)
                reals.append(x)
            record = self.train_step(reals)
            self.batch += cfg.n_critic
            self.step += 1
            elapsed = time.perf_counter() - start
            images = sum(int(x.shape[0]) for x in reals)
            record = {"step": self.step, "epoch": self.epoch + 1, "batch": self.batch,
                      **{key: record[key] for key in _LOG_KEYS if key in record},
                      "images_per_s": images / elapsed if elapsed > 0 else float("inf"),
                      "time": time.time()}
            log.write(json.dumps(record) + "\n")
            log.flush()
            self.history.append(record)
            self._last_record = record
            self._reporter.update(self.step, self.batch // cfg.n_critic, record)
            if cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
                self.save_checkpoint()


def _jsonable(value):
    if hasattr(value, "tolist"):  # NumPy scalars and arrays
        return value.tolist()
    return str(value)


def resume(run_dir: str | os.PathLike, **overrides) -> TrainResult:
    """Continue the run saved in `run_dir` (or a checkpoint file) exactly where it stopped."""
    return GANTrainer.from_checkpoint(run_dir, **overrides).train()
