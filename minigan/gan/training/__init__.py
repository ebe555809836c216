"""Training = loop + updater + extensions (Chainer's Trainer / Updater / Extension split).

    loop.Trainer        iteration, stop conditions, resume position; calls the hooks
    updater.Updater     one training step of one GAN family, its optimisers and state (GANUpdater)
    extensions/         log, checkpoints, grids, curves, evaluation, progress, signals, EMA, lr schedules
    reporter, triggers, hooks   report(), (n, "step" | "epoch") triggers, optimiser hooks (WeightClipping)

``minigan.gan.GANTrainer`` assembles these from a TrainConfig.
"""
from .extensions import (Evaluation, ExponentialMovingAverage, Extension, Interrupted, JSONLLog, LossCurves,
                         LRSchedule, Progress, SampleGrid, Snapshot, StopOnSignal)
from .hooks import WeightClipping
from .reporter import report
from .triggers import IntervalTrigger
from .loop import NonFiniteLossError, Trainer, TrainResult
from .stale import remove_stale_temp_files
from .updater import GANUpdater, NonFiniteLoss, Updater

__all__ = ["Trainer", "TrainResult", "NonFiniteLossError", "Updater", "GANUpdater", "NonFiniteLoss", "Extension",
           "JSONLLog", "Snapshot", "SampleGrid", "LossCurves", "Evaluation", "Progress", "StopOnSignal",
           "Interrupted", "remove_stale_temp_files", "ExponentialMovingAverage", "LRSchedule", "WeightClipping",
           "report", "IntervalTrigger"]
