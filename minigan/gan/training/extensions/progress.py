"""Training progress on stderr: a bar with ETA on a terminal, one line per epoch otherwise.

Off a terminal (``minigan train | tee log``, CI, nohup) an epoch can take many minutes, so a
line with the step, the losses, images/s and the epoch's ETA is also printed every
``Reporter.interval`` seconds (30), lest a long silence look like a hang.

``Reporter`` draws it; ``Progress`` is the extension that feeds it (and through which
``trainer.message`` prints, so a message never lands in the middle of the bar).
"""
from __future__ import annotations

import math
import shutil
import sys
import time
from pathlib import Path

from .base import Extension

__all__ = ["Progress", "Reporter", "format_seconds"]


def format_seconds(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class Reporter:
    """Progress on stderr: a bar with ETA on a TTY, one line per epoch (and every `interval` s) otherwise.

    `clock` (seconds, monotonic) is there for tests: ``Reporter("epoch", 100, 5, stream, clock=fake)``.
    """

    interval = 30.0  # seconds between progress lines off a terminal

    def __init__(self, mode: str, steps_per_epoch: int, epochs: int, stream=None, clock=time.perf_counter):
        self.stream = stream or sys.stderr
        self.clock = clock
        if mode == "auto":
            isatty = getattr(self.stream, "isatty", None)
            mode = "bar" if isatty is not None and isatty() else "epoch"
        self.mode, self.steps_per_epoch, self.epochs = mode, steps_per_epoch, epochs
        self._last_draw = 0.0
        self._bar_open = False
        self._last_len = 0
        self._epoch_start = self._last_line = clock()
        self._epoch_first_step = 0
        self._done_at_start = 0

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError, RuntimeError):  # RuntimeError: a signal handler's message mid-write
            pass

    def message(self, text: str) -> None:
        if self._bar_open:
            self._write("\n")
            self._bar_open = False
            self._last_len = 0
        self._write(f"minigan: {text}\n")

    def start_epoch(self, epoch: int, done: int) -> None:
        self._epoch_start = self.clock()
        self._done_at_start = done

    def _eta(self, now: float, done: int) -> float:
        """Seconds left in the epoch at the rate since it started (nan before a step is done)."""
        ran = done - self._done_at_start
        rate = ran / (now - self._epoch_start) if now > self._epoch_start and ran > 0 else 0.0
        return (max(self.steps_per_epoch, 1) - done) / rate if rate > 0 else float("nan")

    def update(self, step: int, done: int, record: dict) -> None:
        if self.mode == "epoch":
            now = self.clock()
            if now - self._last_line >= self.interval:
                self._last_line = now
                losses = " ".join(f"{k} {record[k]:.3f}" for k in ("loss_D", "loss_G") if k in record)
                self._write(f"epoch {record['epoch']}/{self.epochs} step {done}/{self.steps_per_epoch} (step "
                            f"{step} in all): {losses}, {record.get('images_per_s', 0.0):.0f} img/s, "
                            f"epoch ETA {format_seconds(self._eta(now, done))}\n")
            return
        if self.mode != "bar":
            return
        now = self.clock()
        if now - self._last_draw < 0.1 and done < self.steps_per_epoch:
            return
        self._last_draw = now
        total = max(self.steps_per_epoch, 1)
        eta = self._eta(now, done)
        width = 24
        filled = int(width * done / total)
        bar = "=" * filled + (">" if filled < width else "") + " " * max(width - filled - 1, 0)
        head = f"epoch {record['epoch']}/{self.epochs} [{bar}] {done}/{total} ETA {format_seconds(eta)}"
        tail = (f" | loss_D {record['loss_D']:.3f} loss_G {record['loss_G']:.3f} D(x) {record['D_x']:.2f} "
                f"D(G(z)) {record['D_G_z']:.2f} | {record['images_per_s']:.0f} img/s")
        columns = shutil.get_terminal_size((100, 24)).columns - 1
        line = (head + tail)[:columns]
        self._write("\r" + line + " " * max(0, self._last_len - len(line)))
        self._last_len = len(line)
        self._bar_open = True

    def end_epoch(self, epoch: int, step: int, history: list, grid: Path) -> None:
        if self.mode == "none":
            return
        if self._bar_open:
            self._write("\n")
            self._bar_open = False
            self._last_len = 0
        recent = [r for r in history if r.get("epoch") == epoch + 1]
        self._last_line = self.clock()
        took = self._last_line - self._epoch_start
        if recent:
            loss_d = sum(r["loss_D"] for r in recent) / len(recent)
            loss_g = sum(r["loss_G"] for r in recent) / len(recent)
            stats = f"mean loss_D {loss_d:.4f} loss_G {loss_g:.4f}, "
        else:
            stats = ""
        self._write(f"epoch {epoch + 1}/{self.epochs} done at step {step}: {stats}{format_seconds(took)}; "
                    f"samples {grid}\n")

    def close(self) -> None:
        if self._bar_open:
            self._write("\n")
            self._bar_open = False


class Progress(Extension):
    """A bar with ETA on a terminal, one line per epoch otherwise ('auto'), or 'bar', 'epoch', 'none'."""

    def __init__(self, mode: str = "auto", stream=None):
        self.mode, self.stream = mode, stream

    def initialize(self, trainer) -> None:
        trainer.reporter = Reporter(self.mode, trainer.steps_per_epoch, trainer.epochs, stream=self.stream)

    def epoch_start(self, trainer) -> None:
        trainer.reporter.start_epoch(trainer.epoch, trainer.batch // trainer.updater.batches_per_step)

    def after_step(self, trainer, record: dict) -> None:
        trainer.reporter.update(trainer.step, trainer.batch // trainer.updater.batches_per_step, record)

    # the epoch's line is written when the epoch's extensions run, after the sample grid (added before it, at
    # the same priority), so it can name the grid just written
    trigger = (1, "epoch")

    def __call__(self, trainer) -> None:
        grid = trainer.result.samples[-1] if trainer.result.samples else None
        trainer.reporter.end_epoch(trainer.epoch, trainer.step, trainer.history, grid)

    def close(self, trainer) -> None:
        if trainer.reporter is not None:
            trainer.reporter.close()
