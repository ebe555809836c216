"""Starting the world: how this process learns its rank, and the one communicator it keeps.

A process started by ``mpiexec -n N`` finds N in its environment (the process manager sets
PMI_SIZE, OMPI_COMM_WORLD_SIZE or MV2_COMM_WORLD_SIZE) before any MPI library is loaded, so a
plain ``python train.py`` is world size 1 without importing mpi4py at all, and only a real
multi-rank launch needs the ``mpi`` extra::

    world = minigan.distributed.init()      # under `mpiexec -n 2 python train.py`
    world.rank, world.size, world.local_rank
"""
from __future__ import annotations

import importlib.util
import os
import socket
import sys

from .communicator import Communicator, MPICommunicator
from .failure import DistributedError, install_abort_on_error, on_every_rank

__all__ = ["init", "get_world", "is_initialized", "launched_size", "launched_rank", "MPI_INSTALL_HINT"]

MPI_INSTALL_HINT = "pip install -e '.[mpi]'"
# what the common process managers export to every rank: MPICH/Intel MPI (hydra), Open MPI, MVAPICH
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")
_RANK_VARIABLES = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK")

_world: Communicator | None = None


def launched_size() -> int:
    """The number of ranks the process manager started (1 when started without mpiexec)."""
    for name in _SIZE_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 1


def launched_rank() -> int:
    """This process's rank as the process manager numbered it (0 when started without mpiexec), known before
    MPI is loaded: the command line speaks from rank 0 only, even about an error raised before `init`."""
    for name in _RANK_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 0


def _import_mpi(why: str):
    try:
        # deferred: mpi4py is the optional `mpi` extra, loaded only for a multi-rank launch
        from mpi4py import MPI
    except ImportError:
        raise on_every_rank(DistributedError(f"minigan.distributed: {why} needs mpi4py, which is not installed: "
                           f"{MPI_INSTALL_HINT}")) from None
    return MPI


def init(size: int | None = None) -> Communicator:
    """Join the world of ranks this process was started in and return its communicator.

    ``size`` is the number of ranks the caller expects (None: whatever mpiexec started);
    asking for more than one rank in a process started without mpiexec is an error that
    says how to launch. Under mpiexec with several ranks it loads mpi4py, splits the
    ranks by node (``local_rank``, the GPU this rank uses) and installs an excepthook
    that stops every rank when one raises. Calling it again returns the same object::

        world = init()                       # world.size == 1 under plain `python`
    """
    global _world
    if size is not None and (not isinstance(size, int) or size < 1):
        raise ValueError(f"minigan.distributed.init: size must be a positive int, got {size!r}")
    started = launched_size()
    if size is not None and size != started:
        launch = f"start it with `mpiexec -n {size} python ...`"
        if importlib.util.find_spec("mpi4py") is None:
            launch += f" after `{MPI_INSTALL_HINT}` (mpi4py is not installed)"
        how = "without mpiexec" if started == 1 else f"by mpiexec with {started} ranks"
        raise on_every_rank(DistributedError(
            f"minigan.distributed.init: {size} ranks requested but this process was started {how}; {launch}"))
    if _world is not None:
        return _world
    if started == 1:
        _world = Communicator(node=socket.gethostname())
    else:
        mpi = _import_mpi(f"a launch with {started} ranks")
        _world = MPICommunicator(mpi, mpi.COMM_WORLD)
        install_abort_on_error(_world)
    return _world


def get_world() -> Communicator:
    """The communicator `init` made; calls ``init()`` first if nobody has (a layer that needs it, say)."""
    return _world if _world is not None else init()


def is_initialized() -> bool:
    """True once `init` (or `get_world`) has run in this process."""
    return _world is not None


def _reset_for_tests() -> None:
    """Forget the world (tests that build several in one process); the MPI library stays loaded."""
    global _world
    _world = None
    sys.excepthook = sys.__excepthook__
