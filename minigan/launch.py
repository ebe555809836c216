"""What a process learns from its launcher before NumPy loads: how many ranks share its node.

``mpiexec -n 2`` on a 2-core machine starts two processes that each, left alone, run
OpenBLAS with two threads: four spinning threads on two cores, a training step several
times slower than with one thread per rank. So under a launcher that starts several ranks,
importing minigan sets OpenBLAS's (and OpenMP's, MKL's) thread count to the cores divided
by the ranks on the node, unless the user set it, and ``parallel.cpu_threads`` divides the
same way. This must run before NumPy is imported, so it imports nothing of minigan::

    OPENBLAS_NUM_THREADS=2 mpiexec -n 2 minigan train ...   # a setting given wins
"""
from __future__ import annotations

import os
import sys

__all__ = ["ranks_on_node", "threads_per_rank", "limit_blas_threads", "openblas_libraries", "openblas_function"]

# what the common launchers export to every rank: MPICH/Intel MPI (hydra), Open MPI, MVAPICH, Slurm
_LOCAL_SIZE = ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "MV2_COMM_WORLD_LOCAL_SIZE")
_WORLD_SIZE = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")
_BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _first_int(names) -> int | None:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def ranks_on_node() -> int:
    """Ranks the launcher started on this node (1 without a launcher); all of them when it does not say."""
    return _first_int(_LOCAL_SIZE) or _first_int(_WORLD_SIZE) or 1


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def threads_per_rank(cores: int | None = None) -> int:
    """This rank's share of the node's cores (at least 1)."""
    return max(1, (cores if cores is not None else usable_cores()) // ranks_on_node())


def limit_blas_threads() -> None:
    """Under several ranks on a node, cap the BLAS threads at this rank's share of the cores (variables the
    user set are kept): through the environment before NumPy loads, else through OpenBLAS itself."""
    if ranks_on_node() == 1 or os.environ.get("OPENBLAS_NUM_THREADS"):
        return
    share = threads_per_rank()
    if "numpy" in sys.modules:   # OpenBLAS has read the environment already: tell the loaded library
        _set_openblas_threads(share)
        return
    for name in _BLAS_VARIABLES:
        os.environ.setdefault(name, str(share))


def openblas_libraries() -> list:
    """Every OpenBLAS this process has loaded, as ctypes libraries (Linux: found in /proc/self/maps)."""
    import ctypes   # deferred: only a rank that imported NumPy before minigan, or a benchmark, needs it
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line})
    except OSError:
        return []
    libraries = []
    for path in paths:
        try:
            libraries.append(ctypes.CDLL(path))
        except OSError:
            continue
    return libraries


def openblas_function(library, verb: str):
    """OpenBLAS's ``openblas_<verb>`` under whichever of its exported names `library` has, else None."""
    for name in (f"scipy_openblas_{verb}64_", f"scipy_openblas_{verb}", f"openblas_{verb}64_", f"openblas_{verb}"):
        function = getattr(library, name, None)
        if function is not None:
            return function
    return None


def _set_openblas_threads(count: int) -> bool:
    """Set the thread count of every OpenBLAS this process has loaded."""
    import ctypes   # deferred, as in openblas_libraries: a process alone never needs it
    done = False
    for library in openblas_libraries():
        setter = openblas_function(library, "set_num_threads")
        if setter is not None:
            setter(ctypes.c_int(count))
            done = True
    return done
