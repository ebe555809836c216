"""Extensions: everything periodic in training, each a small class with the hooks of ``base.Extension``.

    JSONLLog      RUN_DIR/log.jsonl, trimmed to the checkpoint on resume
    Snapshot      RUN_DIR/checkpoint.npz every N steps and at the end (never non-finite weights)
    SampleGrid    RUN_DIR/samples_epoch_XXX.png from fixed noise
    LossCurves    RUN_DIR/losses.png
    Evaluation    FID / IS / coverage every N epochs: metrics.jsonl, log.jsonl, metrics.png
    Progress      the bar or per-epoch line on stderr
    StopOnSignal  Ctrl-C / SIGTERM: finish the step, save, say how to resume
    ExponentialMovingAverage   the EMA of G: updated after each step, samples come from it, checkpointed
    LRSchedule    the optimisers' lr schedulers, stepped each epoch, the rates logged, checkpointed
"""
from .averaging import ExponentialMovingAverage
from .base import PRIORITY_EDITOR, PRIORITY_READER, PRIORITY_WRITER, Extension
from .evaluation import METRICS_NAME, METRICS_PLOT_NAME, Evaluation
from .images import LOSS_PLOT_NAME, LossCurves, SampleGrid
from .log import LOG_NAME, JSONLLog, jsonable, trim_jsonl
from .progress import Progress
from .schedule import LRSchedule
from .signals import Interrupted, StopOnSignal
from .snapshot import Snapshot

__all__ = ["Extension", "ExponentialMovingAverage", "LRSchedule", "PRIORITY_WRITER", "PRIORITY_EDITOR",
           "PRIORITY_READER", "Evaluation", "METRICS_NAME", "METRICS_PLOT_NAME", "LOSS_PLOT_NAME", "LossCurves",
           "SampleGrid", "LOG_NAME", "JSONLLog", "jsonable", "trim_jsonl", "Progress", "Interrupted",
           "StopOnSignal", "Snapshot"]
