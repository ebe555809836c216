"""When an extension runs: every n steps or every n epochs, as Chainer's ``(n, 'iteration' | 'epoch')``.

    trainer.extend(Snapshot(), trigger=(500, "step"))
    trainer.extend(SampleGrid(), trigger=(1, "epoch"))

A step trigger fires after step s when s % n == 0 (steps counted from 1, across a resume); an
epoch trigger fires at the end of epoch e (counted from 1) when e % n == 0. ``n = 0`` never fires.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["IntervalTrigger", "as_trigger", "UNITS"]

UNITS = ("step", "epoch")


@dataclass(frozen=True)
class IntervalTrigger:
    """Fires every `period` units ('step' or 'epoch'); period 0 never fires."""

    period: int
    unit: str

    def __post_init__(self):
        if self.unit not in UNITS:
            raise ValueError(f"a trigger's unit must be 'step' or 'epoch', got {self.unit!r}")
        if isinstance(self.period, bool) or not isinstance(self.period, int) or self.period < 0:
            raise ValueError(f"a trigger's period must be an integer >= 0, got {self.period!r}")

    def fires(self, unit: str, count: int) -> bool:
        """Whether the trigger fires when `count` units of kind `unit` are done."""
        return unit == self.unit and self.period > 0 and count % self.period == 0


def as_trigger(trigger) -> IntervalTrigger | None:
    """An IntervalTrigger from ``(n, unit)``, an IntervalTrigger, or None."""
    if trigger is None or isinstance(trigger, IntervalTrigger):
        return trigger
    try:
        period, unit = trigger
    except (TypeError, ValueError):
        raise TypeError(f"a trigger is (n, 'step' | 'epoch'), got {trigger!r}") from None
    return IntervalTrigger(int(period), str(unit))
