"""RUN_DIR/log.jsonl: one JSON line per step (and per evaluation), trimmed to the checkpoint on resume."""
from __future__ import annotations

import json
from pathlib import Path

from ....atomic import atomic_write
from ...core.commands import jsonable
from .base import Extension

__all__ = ["LOG_NAME", "JSONLLog", "trim_jsonl", "write_jsonl", "is_step_record", "jsonable"]

LOG_NAME = "log.jsonl"


def is_step_record(record: dict) -> bool:
    return record.get("type") != "eval" and "loss_D" in record and "loss_G" in record


def write_jsonl(path: Path, records) -> None:
    """Rewrite a JSON-lines file atomically."""
    with atomic_write(path) as handle:
        handle.write("".join(json.dumps(r, default=jsonable) + "\n" for r in records).encode())


def trim_jsonl(path: Path, step: int, *, epoch_end_pending: bool, all_eval: bool = False) -> tuple[list[dict], int]:
    """Rewrite a JSON-lines file of a run keeping what the checkpoint's state (at `step`) has done.

    Lines up to the checkpoint's step stay. Evaluation lines (``type: eval``, or every line when
    `all_eval`) stay up to that step too, except one at the checkpoint's step whose epoch end is
    still to come (`epoch_end_pending`: it is done again when the run goes on). Lines cut short
    by a crash are dropped. Returns the records kept and how many lines were dropped.
    """
    kept: list[dict] = []
    if not path.exists():
        return kept, 0
    lines = path.read_text().splitlines()
    if step > 0:
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line cut short by a crash
            if not isinstance(record, dict):
                continue
            at = record.get("step", 0)
            is_eval = all_eval or record.get("type") == "eval"
            if at < step or (at == step and not (is_eval and epoch_end_pending)):
                kept.append(record)
    write_jsonl(path, kept)
    return kept, len(lines) - len(kept)


class JSONLLog(Extension):
    """Appends each step's record to RUN_DIR/log.jsonl (flushed per line); ``write`` adds other lines.

    On start it keeps the lines up to the checkpoint's step (later ones belong to steps that
    will be done again, so a resumed run never logs a step twice) and reloads the step records
    into ``trainer.history``.
    """

    def __init__(self, name: str = LOG_NAME):
        self.name = name
        self._file = None

    def path(self, trainer) -> Path:
        return trainer.run_dir / self.name

    def initialize(self, trainer) -> None:
        kept, _ = trim_jsonl(self.path(trainer), trainer.step, epoch_end_pending=trainer_epoch_end_pending(trainer))
        trainer.history = [r for r in kept if is_step_record(r)]
        trainer.log = self
        trainer.result.log = self.path(trainer)
        self._file = open(self.path(trainer), "a", encoding="utf-8")

    def write(self, record: dict) -> None:
        self._file.write(json.dumps(record, default=jsonable) + "\n")
        self._file.flush()

    def after_step(self, trainer, record: dict) -> None:
        self.write(record)

    def close(self, trainer) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if trainer.log is self:
            trainer.log = None


def trainer_epoch_end_pending(trainer) -> bool:
    """Whether the checkpoint's epoch still has its end (grid, evaluation) to do."""
    return trainer.batch + trainer.updater.batches_per_step > len(trainer.loader)
