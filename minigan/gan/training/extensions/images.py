"""Pictures of a run: a sample grid from fixed noise every epoch, and the loss curves."""
from __future__ import annotations

from ...core.plotting import plot_losses
from .base import Extension

__all__ = ["SampleGrid", "LossCurves", "LOSS_PLOT_NAME"]

LOSS_PLOT_NAME = "losses.png"


class SampleGrid(Extension):
    """RUN_DIR/samples_epoch_XXX.png after every epoch, and of where a stopped epoch got to."""

    trigger = (1, "epoch")

    def __call__(self, trainer) -> None:
        trainer.result.samples.append(trainer.save_samples())

    def finalize(self, trainer) -> None:
        if trainer.batch > 0:  # stopped inside an epoch: a grid of where it got to
            trainer.result.samples.append(trainer.save_samples())


class LossCurves(Extension):
    """RUN_DIR/losses.png: loss_D and loss_G of every step so far (``trainer.history``), redrawn per epoch."""

    def __init__(self, title: str = "GAN losses", keys=("loss_D", "loss_G")):
        self.title, self.keys = title, tuple(keys)

    def draw(self, trainer):
        if not trainer.history:
            return None
        steps = [r["step"] for r in trainer.history]
        return plot_losses(trainer.run_dir / LOSS_PLOT_NAME, steps,
                           {key: [r[key] for r in trainer.history] for key in self.keys}, title=self.title)

    trigger = (1, "epoch")

    def __call__(self, trainer) -> None:
        trainer.result.loss_plot = self.draw(trainer)

    finalize = __call__
