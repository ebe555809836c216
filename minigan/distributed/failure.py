"""One rank fails, every rank stops.

A rank that raises leaves the others blocked in their next collective for ever; MPI's
answer is ``MPI_Abort``, which tells the process manager to end the whole job. So a
multi-rank `init` replaces ``sys.excepthook``: one line naming the rank, then the traceback as usual,
then every rank is stopped::

    minigan.distributed: rank 1 of 2 (node gpu03) raised ValueError: bad batch; stopping all ranks

A rank killed outright (``kill -9``, the out-of-memory killer) never runs a hook; there
the process manager (mpiexec's hydra) sees the dead process and ends the others.
"""
from __future__ import annotations

import sys

__all__ = ["install_abort_on_error", "failure_line"]


def failure_line(world, exc_type, exc) -> str:
    """The one line a failing rank prints before it stops the others."""
    message = str(exc).splitlines()[0] if str(exc) else ""
    return (f"minigan.distributed: rank {world.rank} of {world.size} (node {world.node}) raised "
            f"{exc_type.__name__}{': ' + message if message else ''}; stopping all ranks")


def install_abort_on_error(world) -> None:
    """Make an uncaught exception on this rank print its traceback and a one-line summary, then abort all."""
    previous = sys.excepthook

    def abort_all(exc_type, exc, tb):
        try:   # the one line first: the job may be torn down before a long traceback is out
            print(failure_line(world, exc_type, exc), file=sys.stderr, flush=True)
            previous(exc_type, exc, tb)
            sys.stderr.flush()
        finally:
            world.abort(1)

    sys.excepthook = abort_all
