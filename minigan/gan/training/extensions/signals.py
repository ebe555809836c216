"""Ctrl-C and SIGTERM: finish the step in progress, save a checkpoint, say how to resume; three times: stop at once.

SIGTERM is what ``timeout``, batch schedulers, ``docker stop`` and CI send; it is handled
like Ctrl-C (the CLI then exits 128 + the signal: 130 for SIGINT, 143 for SIGTERM). The
handlers stay in place until the final checkpoint is written. A second signal, which an
impatient user sends a moment after the first, must not cut short the save the first one
asked for: it only says that the step is finishing and the checkpoint is being saved. A third
raises ``Interrupted`` at once; the atomic save then leaves the previous checkpoint intact.
"""
from __future__ import annotations

import signal
import threading

from .base import Extension

__all__ = ["StopOnSignal", "Interrupted"]

_NAMES = {signal.SIGINT: "interrupt", signal.SIGTERM: "SIGTERM"}


class Interrupted(KeyboardInterrupt):
    """A second Ctrl-C/SIGTERM: stopped at once, without saving; `signum` says which signal."""

    def __init__(self, signum: int):
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum


class StopOnSignal(Extension):
    """Installs handlers for `signals` (main thread only) for the length of ``train()``."""

    def __init__(self, signals=(signal.SIGINT, signal.SIGTERM)):
        self.signals = tuple(signals)
        self._previous: dict = {}
        self.received = 0  # signals since initialize()

    def initialize(self, trainer) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        self.received = 0

        def handler(signum, frame):
            self.received += 1
            name = _NAMES.get(signum, f"signal {signum}")
            again = "Ctrl-C" if signum == signal.SIGINT else "send it"
            if self.received == 1:
                trainer.request_stop(signum)
                trainer.message(f"{name}: finishing step {trainer.step + 1}, then saving a checkpoint ({again} "
                                f"twice more to stop at once without saving)")
            elif self.received == 2:  # the save the first one asked for goes on
                trainer.message(f"{name} again: saving the checkpoint is under way, please wait ({again} once "
                                f"more to stop at once; the previous checkpoint is kept then)")
            else:  # the third: stop now, without saving; the atomic save keeps the previous checkpoint
                raise Interrupted(signum)

        for signum in self.signals:
            self._previous[signum] = signal.signal(signum, handler)

    def close(self, trainer) -> None:
        while self._previous:
            signum, previous = self._previous.popitem()
            signal.signal(signum, previous)
