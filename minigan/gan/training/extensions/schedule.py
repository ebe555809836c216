"""Learning-rate schedules as an extension: each optimiser's scheduler stepped at every epoch's end.

    trainer.extend(LRSchedule({"optimizer_g": StepLR(opt_g, 10), "optimizer_d": StepLR(opt_d, 10)}))

Every step's record gets the current rates as lr_g / lr_d; the schedulers' state is checkpointed
under "schedulers", so a resumed run goes on with the same rates.
"""
from __future__ import annotations

from .base import PRIORITY_WRITER, Extension

__all__ = ["LRSchedule"]

_LOGGED = {"optimizer_g": "lr_g", "optimizer_d": "lr_d"}


class LRSchedule(Extension):
    """Steps `schedulers` ({optimizer name: LRScheduler}) once per epoch; reports the rates every step."""

    trigger = (1, "epoch")
    priority = PRIORITY_WRITER   # stepped before the checkpoint of an epoch's end is written
    state_key = "schedulers"

    def __init__(self, schedulers: dict):
        self.schedulers = dict(schedulers)

    def __call__(self, trainer) -> None:
        for scheduler in self.schedulers.values():
            scheduler.step()

    def after_step(self, trainer, record: dict) -> None:
        if getattr(trainer.updater, "statistics", True):
            for name, scheduler in self.schedulers.items():
                record[_LOGGED.get(name, f"lr_{name}")] = scheduler.optimizer.param_groups[0]["lr"]

    def rescale(self, name: str, lr: float) -> bool:
        """A rate given on resume rescales optimiser `name`'s schedule (base and current lr); False if the
        optimiser has no schedule here."""
        scheduler = self.schedulers.get(name)
        if scheduler is None:
            return False
        if lr != scheduler.base_lrs[0]:
            factor = lr / scheduler.base_lrs[0]
            scheduler.base_lrs = [b * factor for b in scheduler.base_lrs]
            for group in scheduler.optimizer.param_groups:
                group["initial_lr"] *= factor
                group["lr"] *= factor
        return True

    def state_dict(self) -> dict:
        return {name: s.state_dict() for name, s in self.schedulers.items()}

    def load_state_dict(self, state: dict) -> None:
        for name, scheduler in self.schedulers.items():
            scheduler.load_state_dict(dict(state[name]))
