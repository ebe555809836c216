"""Learning-rate schedules with PyTorch's names, arguments and arithmetic (torch.optim.lr_scheduler).

A scheduler rewrites ``group["lr"]`` of its optimiser's parameter groups each
time `step()` is called (once per epoch, or per iteration: the unit is yours).
As in PyTorch, the constructor performs the first step (``last_epoch`` becomes
0), each group remembers its ``initial_lr``, and the schedules are computed in
PyTorch's recursive ("chainable") form, so the learning rates follow torch's
to rounding over thousands of steps::

    opt = minigan.optim.Adam(G.parameters(), lr=2e-4)
    sched = minigan.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    for epoch in range(epochs):
        train_one_epoch(); sched.step()
    checkpoint["sched"] = sched.state_dict()        # plain numbers: every attribute but the optimiser

Per epoch: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, LambdaLR,
MultiplicativeLR, CosineAnnealingWarmRestarts; composed: SequentialLR (one after the other at
milestones), ChainedScheduler (all at once); per batch: OneCycleLR (which also cycles the momentum,
or Adam's beta1); on a metric: ReduceLROnPlateau, whose ``step(metric)`` takes this epoch's value.
"""
from __future__ import annotations

from .one_cycle import OneCycleLR
from .plateau import ReduceLROnPlateau
from .scheduler_base import LRScheduler
from .schedulers_composed import ChainedScheduler, SequentialLR
from .schedulers_epoch import (CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR, LambdaLR, LinearLR,
                               MultiplicativeLR, MultiStepLR, StepLR)

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ExponentialLR",
           "CosineAnnealingLR", "LinearLR", "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau", "OneCycleLR",
           "CosineAnnealingWarmRestarts"]
