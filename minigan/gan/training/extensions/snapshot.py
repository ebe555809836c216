"""RUN_DIR/checkpoint.npz every N steps and at the end, never with non-finite weights."""
from __future__ import annotations

from .base import Extension

__all__ = ["Snapshot"]


class Snapshot(Extension):
    """Saves ``trainer.save_checkpoint()`` every `every` steps (0: only at the end) and when the loop stops.

    The trainer's ``save_checkpoint`` refuses to write weights holding NaN or inf (warning and
    keeping the last good file), so a run that diverges can always be resumed from before it.
    """

    def __init__(self, every: int = 500):
        self.every = int(every)
        self.trigger = (self.every, "step")

    def __call__(self, trainer) -> None:
        trainer.save_checkpoint()

    def finalize(self, trainer) -> None:
        saved = trainer.save_checkpoint()
        trainer.result.checkpoint = saved or (trainer.checkpoint_path if trainer.checkpoint_path.exists() else None)
