"""The Extension protocol: what the loop calls, and when.

    initialize(trainer)          once before the first step (after the run folder exists): resume trimming
    epoch_start(trainer)         before the first step of an epoch (or of a resumed epoch)
    after_step(trainer, record)  after every step, with the step's log record
    epoch_end(trainer)           when an epoch is used up, before the epoch counter moves on
    finalize(trainer)            once after the loop stopped normally or on request (not after an error)
    close(trainer)               always, last, in reverse order: release files and signal handlers

Every hook is a no-op here; override the ones you need. Hooks of one kind run in the
order the extensions were added (``Trainer.extend``)::

    class PrintLoss(Extension):
        def after_step(self, trainer, record):
            if trainer.step % 100 == 0:
                trainer.message(f"step {trainer.step}: loss_G {record['loss_G']:.3f}")

    trainer.extend(PrintLoss())
"""
from __future__ import annotations

__all__ = ["Extension"]


class Extension:
    """Base class of everything periodic in training (see the module docstring for the hooks)."""

    def initialize(self, trainer) -> None:
        pass

    def epoch_start(self, trainer) -> None:
        pass

    def after_step(self, trainer, record: dict) -> None:
        pass

    def epoch_end(self, trainer) -> None:
        pass

    def finalize(self, trainer) -> None:
        pass

    def close(self, trainer) -> None:
        pass
