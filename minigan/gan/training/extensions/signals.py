"""Ctrl-C and SIGTERM: finish the step in progress, save a checkpoint, say how to resume; twice: stop at once.

SIGTERM is what ``timeout``, batch schedulers, ``docker stop`` and CI send; it is handled
like Ctrl-C (the CLI then exits 128 + the signal: 130 for SIGINT, 143 for SIGTERM). The
handlers stay in place until the final checkpoint is written, so a second signal, while the
step finishes or while the checkpoint is saved, raises ``Interrupted`` at once (the atomic
save leaves the previous checkpoint intact).
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

    def initialize(self, trainer) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum, frame):
            if trainer.stop_requested:  # the second one: stop now, without saving a half-done step
                raise Interrupted(signum)
            trainer.request_stop(signum)
            again = "Ctrl-C" if signum == signal.SIGINT else "send it"
            trainer.message(f"{_NAMES.get(signum, f'signal {signum}')}: finishing step {trainer.step + 1}, then "
                            f"saving a checkpoint ({again} again to stop at once without saving)")

        for signum in self.signals:
            self._previous[signum] = signal.signal(signum, handler)

    def close(self, trainer) -> None:
        while self._previous:
            signum, previous = self._previous.popitem()
            signal.signal(signum, previous)
