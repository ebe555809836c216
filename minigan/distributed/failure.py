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

import contextlib
import sys
from typing import Iterator

__all__ = ["install_abort_on_error", "failure_line", "DistributedError", "every_rank_or_none", "on_every_rank",
           "raised_on_every_rank"]


class DistributedError(RuntimeError):
    """The ranks cannot work together: missing MPI, a rank with other code or config, a model that differs."""


def on_every_rank(exc: BaseException) -> BaseException:
    """Mark `exc` as raised on every rank at once (no rank is left waiting): the command line prints it once,
    on rank 0, and exits instead of stopping the job with MPI_Abort."""
    exc.minigan_every_rank = True
    return exc


def raised_on_every_rank(exc: BaseException) -> bool:
    """Whether `exc` was marked by `on_every_rank` (or `every_rank_or_none` raised it)."""
    return bool(getattr(exc, "minigan_every_rank", False))


@contextlib.contextmanager
def every_rank_or_none(world) -> Iterator[None]:
    """Run the block on every rank; when it raises on some, raise on all, before any rank goes on to wait
    for the others in a collective that would never come.

    The block must hold no collective itself. Where every rank failed alike (a bad option) each raises its
    own error; otherwise every rank raises the first failing rank's error, of its type where that can be
    rebuilt from the message, with the rank and node named::

        with every_rank_or_none(world):
            device = world.use_device()      # a node with fewer GPUs than ranks fails on some ranks only
    """
    error = None
    try:
        yield
    except Exception as exc:  # every rank must hear of it
        if world.size == 1:
            raise
        error = exc
    if world.size == 1:
        return
    mine = None if error is None else (type(error), " ".join(str(error).split()), world.node)
    failures = world.allgather_obj(mine)
    failed = [(rank, failure) for rank, failure in enumerate(failures) if failure is not None]
    if not failed:
        return
    if error is not None and all(failure[:2] == mine[:2] for _, failure in failed) and len(failed) == world.size:
        raise on_every_rank(error)
    rank, (kind, text, node) = failed[0]
    message = f"rank {rank} of {world.size} (node {node}): {text}"
    try:
        rebuilt = kind(message)
    except Exception:  # an exception class that wants more than a message
        rebuilt = DistributedError(message)
    raise on_every_rank(rebuilt) from None


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
