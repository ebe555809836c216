"""CuPy arrays between GPUs: NCCL, one communicator per world, one GPU per rank.

NCCL needs every rank to hold the same unique id before the ranks can find each other;
rank 0 draws it and MPI broadcasts it, then each rank joins on its own GPU
(``cuda:<local_rank>``). The collectives run on the current CuPy stream, in place on the
array's memory::

    world.allreduce(cupy_array)      # reaches NcclBackend.allreduce for a CuPy array

With MINIGAN_CUPY_STANDIN=1 ``cupy.cuda.nccl`` is the stand-in's (the same calls over MPI
on host memory), so this file's code runs in CI without a GPU.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..backend import DeviceError

__all__ = ["NcclBackend"]


class NcclBackend:
    """The NCCL communicator of one rank; built on the first CuPy array a collective sees."""

    def __init__(self, world):
        self.world = world
        device = world.device  # cuda:<local_rank>, or a DeviceError naming the rank and node
        cp = backend.require_cupy(device.index)
        from cupy.cuda import nccl  # deferred: cupy (or its stand-in) is loaded only for GPU arrays
        self.cp, self.nccl, self.index = cp, nccl, device.index
        uid = nccl.get_unique_id() if world.rank == 0 else None
        uid = world.bcast_obj(uid, 0)
        with cp.cuda.Device(self.index):
            self.comm = nccl.NcclCommunicator(world.size, uid, world.rank)
        self.ops = {"sum": nccl.NCCL_SUM, "prod": nccl.NCCL_PROD, "max": nccl.NCCL_MAX, "min": nccl.NCCL_MIN,
                    "mean": nccl.NCCL_SUM}
        self.dtypes = {np.dtype(np.float16): nccl.NCCL_FLOAT16, np.dtype(np.float32): nccl.NCCL_FLOAT32,
                       np.dtype(np.float64): nccl.NCCL_FLOAT64, np.dtype(np.int32): nccl.NCCL_INT32,
                       np.dtype(np.int64): nccl.NCCL_INT64}

    def _check(self, array, what: str) -> int:
        if array.device.id != self.index:
            raise DeviceError(f"{what}: rank {self.world.rank} on node {self.world.node} owns cuda:{self.index} "
                              f"but the array is on cuda:{array.device.id}")
        dtype = self.dtypes.get(array.dtype)
        if dtype is None:
            raise TypeError(f"{what}: NCCL cannot reduce dtype {array.dtype} "
                            f"(float16, float32, float64, int32, int64)")
        return dtype

    def allreduce(self, array, op: str) -> None:
        """Reduce a C-contiguous CuPy array in place over every rank."""
        dtype = self._check(array, "allreduce")
        with self.cp.cuda.Device(self.index):
            stream = self.cp.cuda.get_current_stream().ptr
            self.comm.allReduce(array.data.ptr, array.data.ptr, array.size, dtype, self.ops[op], stream)

    def bcast(self, array, root: int) -> None:
        """Rank `root`'s C-contiguous CuPy array, in place on every rank."""
        dtype = self._check(array, "broadcast")
        with self.cp.cuda.Device(self.index):
            stream = self.cp.cuda.get_current_stream().ptr
            self.comm.bcast(array.data.ptr, array.size, dtype, root, stream)
