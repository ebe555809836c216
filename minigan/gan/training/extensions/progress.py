"""The progress display on stderr as an extension (``minigan.gan.progress.Reporter`` draws it)."""
from __future__ import annotations

from ...progress import Reporter
from .base import Extension

__all__ = ["Progress"]


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

    def epoch_end(self, trainer) -> None:
        grid = trainer.result.samples[-1] if trainer.result.samples else None
        trainer.reporter.end_epoch(trainer.epoch, trainer.step, trainer.history, grid)

    def close(self, trainer) -> None:
        if trainer.reporter is not None:
            trainer.reporter.close()
