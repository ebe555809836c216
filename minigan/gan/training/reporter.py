"""``report(key, value)``: what a training step (or an extension) wants logged, as ``chainer.report``.

The loop opens a scope around each step; every ``report`` inside it lands in that step's
observation, which becomes the log record (``log.jsonl``) after the extensions that write to it
(priority ``PRIORITY_WRITER``) have run. Outside a scope ``report`` does nothing, so a step can be
called by hand (a benchmark, a test) without a loop::

    def step(self, batches):
        ...
        report("loss_D", float(loss_d.item()))
        report({"D_x": d_x, "D_G_z": d_g_z})
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

__all__ = ["report", "report_scope", "current_observation"]

_stack: list[dict] = []


def report(key: "str | dict", value: Any = None) -> None:
    """Record `value` under `key` (or every item of a dict) in the observation of the step in progress."""
    if not _stack:
        return
    if isinstance(key, dict):
        _stack[-1].update(key)
    else:
        _stack[-1][key] = value


def current_observation() -> dict | None:
    """The observation of the innermost scope, or None outside any."""
    return _stack[-1] if _stack else None


@contextlib.contextmanager
def report_scope(observation: dict) -> Iterator[dict]:
    """Collect every ``report`` made inside the block into `observation`."""
    _stack.append(observation)
    try:
        yield observation
    finally:
        _stack.pop()
