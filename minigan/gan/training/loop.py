"""The training loop: iteration over the data, stop conditions and the resume position.

``Trainer`` knows nothing about GANs: an updater does the step (``updater.step(batches)``) and
``report``s what is worth logging; extensions do everything periodic (log, checkpoints, grids, curves,
evaluation, progress, signals, EMA, lr schedules), each on its trigger and by its priority. One step consumes ``updater.batches_per_step`` batches of the epoch in progress;
an epoch ends when fewer than that are left. The loop stops when `epochs` are done, when
`max_steps` steps are done (in all, counting the steps of a resumed run), or when a stop
was requested (Ctrl-C, SIGTERM, ``request_stop()``), after finishing the step in progress.

    trainer = Trainer(updater, loader, epochs=5, run_dir="runs/x")
    trainer.extend(JSONLLog())
    trainer.extend(Snapshot(), trigger=(100, "step"))
    result = trainer.train()

Extensions run highest priority first (see ``extensions.Extension``).
"""
from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ... import backend
from ...distributed.communicator import Communicator
from ...distributed.failure import every_rank_or_none, on_every_rank
from ...distributed.sharding import sharded_draws
from ...runlock import RunLock
from ..core import checkpoint as ckpt
from ..core.checkpoint import CHECKPOINT_NAME
from .extensions.base import Extension
from .reporter import report_scope
from .stale import remove_stale_temp_files
from .triggers import as_trigger
from .updater import NonFiniteLoss, Updater, batch_images

__all__ = ["Trainer", "TrainResult", "NonFiniteLossError"]


@dataclass
class TrainResult:
    """What ``train()`` returns."""

    run_dir: Path
    step: int
    epoch: int                           # completed epochs
    interrupted: bool = False            # stopped by a signal or request_stop() (a checkpoint was saved)
    signal: int | None = None            # the signal that stopped it (SIGINT 2, SIGTERM 15), if any
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


class Trainer:
    """Runs an updater over a loader's epochs and calls the extensions; owns step, epoch and batch.

    `resume_hint` is what the messages after a stop or a NaN say to continue the run (the command line
    sets its own command).

    `world` (a ``minigan.distributed`` communicator; default one process) makes the loop data-parallel:
    each step runs inside ``sharded_draws`` (every rank draws the global batch's noise and keeps its
    rows), the ranks then agree on the step's record (its numbers averaged, one small all-reduce), on a
    stop (a signal that reached any rank stops all after the same step) and on a NaN loss; rank 0 alone
    writes the run folder and checkpoints, and speaks.
    """

    def __init__(self, updater: Updater, loader, *, epochs: int, run_dir: str | os.PathLike,
                 max_steps: int | None = None, extensions=(), resume_hint: str | None = None, world=None):
        self.updater, self.loader = updater, loader
        self.world = world if world is not None else Communicator()
        self.updater.world = self.world   # it averages its gradients over these ranks
        self.epochs, self.max_steps = int(epochs), max_steps
        self.run_dir = Path(run_dir)
        self.resume_hint = resume_hint or f"resume({str(self.run_dir)!r})"
        self.extensions: list = []
        self._triggers: dict[int, object] = {}
        for extension in extensions:
            self.extend(extension)
        self.step = 0          # generator updates done
        self.epoch = 0         # index of the epoch in progress
        self.batch = 0         # next batch of that epoch
        self.history: list[dict] = []
        self.last_checkpoint_step: int | None = None
        self.stop_requested = False
        self.stop_agreed = False   # several ranks: a stop every rank has heard of (see agree)
        self.stop_signal: int | None = None
        self.resumed = False
        self.log = None        # the JSONLLog extension, when there is one (evaluation lines go there too)
        self.reporter = None   # the progress display, when there is one (messages go through it)
        self.result: TrainResult | None = None
        self.observation: dict = {}   # the last step's record: what it reported, with step, epoch, batch
        self._last_record: dict = {}
        self.run_lock: RunLock | None = None  # one process per run folder: held while train() runs

    def extend(self, extension: Extension, *, trigger=None, priority: int | None = None) -> Extension:
        """Add an extension; `trigger` ((n, "step" | "epoch")) and `priority` override its own.

        Hooks run highest priority first; equal priorities in the order added. Returns the extension.
        """
        if priority is not None:
            extension.priority = int(priority)
        self._triggers[id(extension)] = as_trigger(trigger if trigger is not None else extension.trigger)
        key = extension.state_key
        if key is not None and any(e.state_key == key for e in self.extensions):
            raise ValueError(f"two extensions keep their state under {key!r} in the checkpoint")
        self.extensions.append(extension)
        self.extensions.sort(key=lambda e: -e.priority)   # stable: equal priorities keep their order
        return extension

    @property
    def steps_per_epoch(self) -> int:
        return len(self.loader) // self.updater.batches_per_step

    @property
    def checkpoint_path(self) -> Path:
        return self.run_dir / CHECKPOINT_NAME

    def train_step(self, batches) -> dict:
        """One step of the updater; returns its record: what it ``report``ed, and what it returned (a dict)."""
        observation: dict = {}
        with report_scope(observation), sharded_draws(self.world.rank, self.world.size):
            returned = self.updater.step(batches)
        return {**(returned or {}), **observation}

    def agree(self, record: dict) -> dict:
        """The record every rank logs: its numbers averaged over the ranks, together with whether any rank
        was asked to stop or met a NaN loss (one all-reduce of a few floats; one process: `record` as it is).

        A NaN loss raises NonFiniteLoss on every rank, naming the rank that met it first."""
        world = self.world
        if world.size == 1:
            return record
        keys = sorted(k for k, v in record.items() if isinstance(v, (float, int)) and not isinstance(v, bool))
        bad = self.updater.non_finite_loss
        values = np.array([float(record[k]) for k in keys] + [float(self.stop_requested), float(bad is not None),
                                                              float(self.stop_signal or 0)], dtype=np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            world.allreduce(values, "sum")
        stop, any_bad, signum = values[-3:]
        if any_bad:
            first = next((rank, found) for rank, found in enumerate(world.allgather_obj(bad)) if found is not None)
            which, value = first[1]
            self.updater.non_finite_loss = None
            raise NonFiniteLoss(f"{which} (rank {first[0]})", value)
        if stop:
            self.stop_agreed = True
            self.stop_signal = self.stop_signal or (int(round(signum / stop)) if signum else None)
        averaged = values[:len(keys)] / world.size
        return {**record, **{k: (float(v) if isinstance(record[k], float) else record[k])
                             for k, v in zip(keys, averaged)}}

    def request_stop(self, signum: int | None = None) -> None:
        """Ask the loop to stop after the current step and save a checkpoint (what Ctrl-C does)."""
        self.stop_requested = True
        self.stop_signal = signum if signum is not None else self.stop_signal

    def message(self, text: str) -> None:
        """A `minigan: ...` line on stderr (through the progress display, which closes its bar first); rank 0's
        only, in a data-parallel run."""
        if self.world.rank != 0:
            return
        if self.reporter is not None:
            self.reporter.message(text)
        else:
            print(f"minigan: {text}", file=sys.stderr, flush=True)

    def warn(self, text: str) -> None:
        if self.world.rank != 0:
            return
        print(f"minigan: warning: {text}", file=sys.stderr, flush=True)

    # ---- state --------------------------------------------------------------------------------
    def position(self) -> dict:
        """Where the loop is, as a checkpoint stores it (with the noise generator's state)."""
        loader_state = self.loader.state_dict()
        loader_state.update(epoch=self.epoch, batch=self.batch)
        return {"step": self.step, "epoch": self.epoch, "batch": self.batch, "loader": loader_state,
                "rng_state": backend.get_rng_state()}

    def state_dict(self) -> dict:
        """What a checkpoint holds: the position, the updater's state and each extension's (under its state_key)."""
        state = {**self.position(), **self.updater.state_dict()}
        for extension in self.extensions:
            if extension.state_key is not None:
                state[extension.state_key] = extension.state_dict()
        return state

    def load_extension_states(self, state: dict, source: str = "checkpoint") -> None:
        """Give every extension with a state_key its saved state (a CheckpointError when one is missing)."""
        for extension in self.extensions:
            key = extension.state_key
            if key is None:
                continue
            if key not in state:
                raise ckpt.CheckpointError(f"{source} has no {key} state, but this run uses one")
            try:
                extension.load_state_dict(state[key])
            except (KeyError, ValueError, TypeError, RuntimeError) as exc:
                raise ckpt.CheckpointError(f"{source}: the {key} state does not fit this run: {exc}") from None

    def non_finite_parameter(self) -> str | None:
        """'where' of the first weight holding NaN or inf (the updater's modules, then the extensions'), else None."""
        found = self.updater.non_finite_parameter()
        for extension in self.extensions:
            check = getattr(extension, "non_finite_parameter", None)
            if found is None and check is not None:
                found = check()
        return found

    def save_checkpoint(self, path: str | os.PathLike | None = None) -> Path | None:
        """Write the checkpoint atomically; refuses (returns None, with a warning) if any weight is not finite."""
        bad = self.non_finite_parameter()
        if bad is not None:
            self.warn(f"not saving a checkpoint at step {self.step}: {bad} is not finite; the last good "
                      f"checkpoint is kept")
            return None
        path = Path(path) if path is not None else self.checkpoint_path
        if self.world.rank == 0:   # the ranks hold the same weights: one writes them
            ckpt.save_checkpoint(path, self.state_dict())
        self.last_checkpoint_step = self.step
        return path

    def load_position(self, state: dict) -> None:
        self.loader.load_state_dict(state["loader"])
        backend.set_rng_state(state["rng_state"])
        self.step, self.epoch, self.batch = int(state["step"]), int(state["epoch"]), int(state["batch"])
        self.last_checkpoint_step = self.step
        self.resumed = True

    def prepare_run_dir(self) -> None:
        """Lock the run folder (one process per folder); refuse to start a new run over an old one; drop stale
        temp files on resume. Rank 0 does it for every rank; its error is raised on all."""
        with every_rank_or_none(self.world):   # the others would wait in the first step for ever
            if self.world.rank == 0:
                self.prepare_own_run_dir()

    def prepare_own_run_dir(self) -> None:
        self.run_lock = RunLock(self.run_dir).acquire()  # RunLockedError (an OSError) naming the holder's pid
        if not self.resumed and self.step == 0 and self.checkpoint_path.exists():
            raise FileExistsError(f"{self.run_dir} already holds a run ({CHECKPOINT_NAME}); continue it with "
                                  f"--resume {self.run_dir} (resume() in Python) or choose another --out")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.resumed:
            for path in remove_stale_temp_files(self.run_dir):
                self.message(f"removed {path.name}, a temporary file left by an interrupted save")

    def release_run_dir(self) -> None:
        """Drop the run folder's lock (the kernel drops it anyway when the process ends)."""
        if self.run_lock is not None:
            self.run_lock.release()

    # ---- the loop -----------------------------------------------------------------------------
    def _call(self, hook: str, *args) -> None:
        for extension in self.extensions:
            getattr(extension, hook)(self, *args)

    def _fire(self, unit: str, count: int) -> None:
        """Call every extension whose trigger fires now (`count` units of `unit` done), by priority."""
        for extension in self.extensions:
            trigger = self._triggers.get(id(extension))
            if trigger is not None and trigger.fires(unit, count):
                extension(self)

    def train(self) -> TrainResult:
        """Run until `epochs` (or `max_steps`) are done, or a stop is requested; returns a TrainResult.

        Raises NonFiniteLossError if a loss becomes NaN/inf (the last good checkpoint is kept). A third
        Ctrl-C/SIGTERM while the first is handled raises KeyboardInterrupt at once, without saving.
        """
        try:
            self.prepare_run_dir()
        except BaseException:
            self.release_run_dir()
            raise
        self.stop_requested, self.stop_agreed, self.stop_signal = False, False, None
        self.result = TrainResult(run_dir=self.run_dir, step=self.step, epoch=self.epoch)
        where = "during step"
        try:
            self._call("initialize")
            self._loop()
            where = "while saving after step"
            self._call("finalize")
        except KeyboardInterrupt:
            done = self.step if where != "during step" else self.step + 1
            kept = (f"the last checkpoint (step {self.last_checkpoint_step}) is at {self.checkpoint_path}"
                    if self.last_checkpoint_step is not None else "no checkpoint was written")
            self.message(f"stopped {where} {done} without saving; {kept}")
            raise
        finally:
            for extension in reversed(self.extensions):
                extension.close(self)
            self.release_run_dir()
        result = self.result
        result.step, result.epoch, result.last = self.step, self.epoch, dict(self._last_record)
        if result.interrupted:
            self.message(f"interrupted at step {self.step}: checkpoint saved to {result.checkpoint}")
        return result

    def _stop_condition(self) -> bool:
        return self.epoch >= self.epochs or (self.max_steps is not None and self.step >= self.max_steps)

    def _loop(self) -> None:
        per = self.updater.batches_per_step
        n_batches = len(self.loader)
        batches = None
        self._call("epoch_start")
        while True:
            if self.batch + per > n_batches:  # epoch used up
                batches = None
                self._call("epoch_end")
                self._fire("epoch", self.epoch + 1)
                self.epoch, self.batch = self.epoch + 1, 0
                if self.epoch < self.epochs:
                    self._call("epoch_start")
                continue
            if self._stop_condition():
                return
            if self.stop_requested if self.world.size == 1 else self.stop_agreed:
                self.result.interrupted, self.result.signal = True, self.stop_signal
                return
            if batches is None:
                batches = self.loader.iter_epoch(self.epoch, self.batch)
            start = time.perf_counter()
            reals = [next(batches) for _ in range(per)]
            try:
                # Overflow on the way to a NaN is reported once, by the finite check, not as NumPy warnings.
                with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                    observation = self.agree(self.train_step(reals))
            except NonFiniteLoss as exc:
                error = self._non_finite(exc)
                raise (on_every_rank(error) if self.world.size > 1 else error) from None   # agree raised it on all
            self.batch += per
            self.step += 1
            elapsed = time.perf_counter() - start
            images = sum(int(batch_images(b).shape[0]) for b in reals) * self.world.size
            record = {"step": self.step, "epoch": self.epoch + 1, "batch": self.batch, **observation,
                      "images_per_s": images / elapsed if elapsed > 0 else float("inf"), "time": time.time()}
            if self.world.size > 1:   # the ranks and the global batch they share
                record.update(ranks=self.world.size, global_batch=images // per)
            self.observation = record
            self.history.append(record)
            self._last_record = record
            with report_scope(record):   # writers (an lr schedule) report into the record the readers see
                for extension in self.extensions:
                    extension.after_step(self, record)
                    trigger = self._triggers.get(id(extension))
                    if trigger is not None and trigger.fires("step", self.step):
                        extension(self)

    def _non_finite(self, exc: NonFiniteLoss) -> NonFiniteLossError:
        step, value = self.step + 1, exc.value
        batch = self.batch + self.updater.batches_per_step  # counted from 1, as the log's "batch"
        if self.last_checkpoint_step is not None and self.checkpoint_path.exists():
            kept = (f"The last good checkpoint (step {self.last_checkpoint_step}) is kept at {self.checkpoint_path}; "
                    f"resume from it with lower learning rates: {self.resume_hint}")
        else:
            kept = "No checkpoint had been written yet, so there is nothing to resume from."
        text = "nan" if math.isnan(value) else str(value)
        return NonFiniteLossError(
            f"{exc.which} is {text} at step {step} (epoch {self.epoch + 1}, batch {batch}): training stopped, "
            f"the weights were not saved. {kept}",
            step=step, which=exc.which, value=value,
            checkpoint=self.checkpoint_path if self.last_checkpoint_step is not None else None)
