"""The exponential moving average of G's weights as an extension: updated after every step, checkpointed.

    trainer.extend(ExponentialMovingAverage(decay=0.995))

Samples, grids and evaluations come from the average once it is on (the step's ``sample_generator``),
and the checkpoint keeps it under "ema", which `minigan sample` / `eval` load in place of G.
"""
from __future__ import annotations

from ...core.ema import EMA
from .base import PRIORITY_WRITER, Extension

__all__ = ["ExponentialMovingAverage"]


class ExponentialMovingAverage(Extension):
    """Keeps an EMA (core/ema.py) of the updater's generator; its samples come from the average."""

    priority = PRIORITY_WRITER   # averaged before the checkpoint or a grid reads it
    state_key = "ema"

    def __init__(self, decay: float, generator=None):
        self.decay = decay
        self.ema: EMA | None = None
        if generator is not None:
            self.attach(generator)

    def attach(self, generator) -> EMA:
        """Start averaging `generator` (a copy of its current weights)."""
        self.ema = EMA(generator, self.decay)
        return self.ema

    def bind(self, updater) -> None:
        """Average the updater's trainable G and make the updater sample from the average."""
        if self.ema is None or self.ema.source is not updater.G:
            self.attach(updater.G)
        updater.sample_generator = self.ema.module

    def after_step(self, trainer, record: dict) -> None:
        self.ema.update()

    def non_finite_parameter(self) -> str | None:
        for name, p in self.ema.module.named_parameters():
            if not bool(p.xp.isfinite(p.array).all()):
                return f"EMA generator parameter {name}"
        return None

    def state_dict(self) -> dict:
        return self.ema.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.ema.load_state_dict(state)
