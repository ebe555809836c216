"""FID / Inception Score / class coverage every N epochs (and class accuracy / per-class FID for a conditional G):
metrics.jsonl, an eval line in log.jsonl, metrics.png."""
from __future__ import annotations

import json
from pathlib import Path

from ....evaluation import eval_log_record, format_eval_line, metrics_curve_png
from .base import Extension
from .log import jsonable, trainer_epoch_end_pending, trim_jsonl

__all__ = ["Evaluation", "METRICS_NAME", "METRICS_PLOT_NAME"]

METRICS_NAME = "metrics.jsonl"
METRICS_PLOT_NAME = "metrics.png"
_warned_no_matplotlib = False   # metrics.png: warn once per process without matplotlib


_CLASS_KEYS = ("class_accuracy", "mean_class_fid", "n_per_class")


def class_log_fields(scores: dict) -> dict:
    """A conditional G's class scores (class_report.evaluate_class_samples) for the flat log.jsonl line:
    class_accuracy, mean_class_fid, n_per_class and their real baselines as baseline_<name>."""
    fields = {key: scores[key] for key in _CLASS_KEYS if key in scores}
    base = scores.get("class_baseline") or {}
    fields.update({f"baseline_{key}": base[key] for key in _CLASS_KEYS[:2] if key in base})
    return fields


class Evaluation(Extension):
    """Scores ``trainer.evaluate()`` after every `every`-th epoch (0: never, but the files are kept in order).

    A failed evaluation (no classifier weights, images the classifier cannot take) warns and
    training goes on: a long run is not lost to its side measurement.
    """

    def __init__(self, every: int = 0):
        self.every = int(every)
        self.trigger = (self.every, "epoch")

    def path(self, trainer) -> Path:
        return trainer.run_dir / METRICS_NAME

    def initialize(self, trainer) -> None:
        path = self.path(trainer)
        evaluations, dropped = trim_jsonl(path, trainer.step, epoch_end_pending=trainer_epoch_end_pending(trainer),
                                          all_eval=True)
        if not evaluations:  # a new run, or one resumed from before its first evaluation
            path.unlink(missing_ok=True)
            (trainer.run_dir / METRICS_PLOT_NAME).unlink(missing_ok=True)
        elif dropped:
            self.draw(trainer)

    def __call__(self, trainer) -> None:
        try:
            scores = trainer.evaluate()
        except (ValueError, TypeError, RuntimeError, OSError) as exc:
            trainer.warn(f"evaluation after epoch {trainer.epoch + 1} (step {trainer.step}) failed, training "
                         f"goes on: {exc}")
            return
        epoch = trainer.epoch + 1
        record = eval_log_record(scores, step=trainer.step, epoch=epoch)
        record.update(class_log_fields(scores))
        with open(self.path(trainer), "a", encoding="utf-8") as metrics:
            metrics.write(json.dumps({"step": trainer.step, "epoch": epoch, **scores}, default=jsonable) + "\n")
        if trainer.log is not None:
            trainer.log.write(record)
        result = trainer.result
        result.evaluations.append(record)
        result.metrics_log = self.path(trainer)
        result.metrics_plot = self.draw(trainer) or result.metrics_plot
        line = format_eval_line(record)
        if "class_accuracy" in record:
            line += f"; class accuracy {record['class_accuracy']:.2%}"
            if "mean_class_fid" in record:
                line += f", mean per-class FID {record['mean_class_fid']:.3f}"
        trainer.message(line)

    def finalize(self, trainer) -> None:
        path, result = self.path(trainer), trainer.result
        if path.exists() and path.stat().st_size > 0:
            result.metrics_log = path
            plot = trainer.run_dir / METRICS_PLOT_NAME
            result.metrics_plot = result.metrics_plot or (plot if plot.exists() else None)

    def draw(self, trainer) -> Path | None:
        """Redraw RUN_DIR/metrics.png from metrics.jsonl; None (with a warning) when it cannot be drawn."""
        global _warned_no_matplotlib
        if not self.path(trainer).exists():
            return None
        try:
            return metrics_curve_png(self.path(trainer), trainer.run_dir / METRICS_PLOT_NAME)
        except ImportError as exc:
            if not _warned_no_matplotlib:
                _warned_no_matplotlib = True
                trainer.warn(f"matplotlib is not available ({exc}); skipping {METRICS_PLOT_NAME}")
        except ValueError as exc:  # no lines with a fid (a file emptied by a resume)
            trainer.warn(f"not drawing {METRICS_PLOT_NAME}: {exc}")
        return None
