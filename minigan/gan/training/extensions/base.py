"""The Extension protocol: what the loop calls, and when.

An extension's work is ``__call__(trainer)``, run when its trigger fires (``(n, "step")`` after
every n-th step, ``(n, "epoch")`` at every n-th epoch's end; see triggers.py). Around that, the
lifecycle hooks, each a no-op here:

    initialize(trainer)          once before the first step (after the run folder exists): resume trimming
    epoch_start(trainer)         before the first step of an epoch (or of a resumed epoch)
    after_step(trainer, record)  after every step, with the step's log record
    epoch_end(trainer)           when an epoch is used up, before the epoch counter moves on
    finalize(trainer)            once after the loop stopped normally or on request (not after an error)
    close(trainer)               always, last: release files and signal handlers

Extensions run by priority, highest first (as Chainer's): writers (which ``report`` values into the step's
record, or change what the step trains, such as an lr schedule or the EMA of G) before editors before
readers (the log, the checkpoint, the progress display), so a reader sees what the writers did, whatever
order the extensions were added in. Equal priorities keep the order of ``Trainer.extend``.

An extension with state that must survive a resume (an EMA, a schedule) gives ``state_key`` and
``state_dict`` / ``load_state_dict``; the checkpoint stores that state under the key::

    class PrintLoss(Extension):
        trigger = (100, "step")
        def __call__(self, trainer):
            trainer.message(f"step {trainer.step}: loss_G {trainer.observation['loss_G']:.3f}")

    trainer.extend(PrintLoss())
"""
from __future__ import annotations

__all__ = ["Extension", "PRIORITY_WRITER", "PRIORITY_EDITOR", "PRIORITY_READER"]

PRIORITY_WRITER = 300
PRIORITY_EDITOR = 200
PRIORITY_READER = 100


class Extension:
    """Base class of everything periodic in training (see the module docstring)."""

    trigger: "tuple[int, str] | None" = None   # when __call__ runs; None: never (hooks only)
    priority: int = PRIORITY_READER
    state_key: str | None = None               # where the checkpoint keeps state_dict(), if any

    def __call__(self, trainer) -> None:
        pass

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
