"""The stand-in's ``cupy.cuda.nccl``: NCCL's calls, carried out over MPI on host memory.

Real NCCL moves device memory between GPUs given raw pointers; a stand-in array's
``.data.ptr`` is the address of its NumPy buffer, so this module views that memory and
hands it to MPI. The ranks are ``mpiexec``'s (mpi4py's COMM_WORLD), which lets CI run the
GPU path of `minigan.distributed` with two ranks and no GPU::

    uid = nccl.get_unique_id() if rank == 0 else None
    comm = nccl.NcclCommunicator(size, mpi_comm.bcast(uid), rank)
    comm.allReduce(a.data.ptr, a.data.ptr, a.size, nccl.NCCL_FLOAT32, nccl.NCCL_SUM, stream.ptr)

The unique id is checked: ranks that pass different ids raise, as real NCCL would hang.
"""
from __future__ import annotations

import ctypes
import os

import numpy as np

from . import cuda

available = True

# ncclDataType_t and ncclRedOp_t, NCCL's own numbers
NCCL_INT8, NCCL_CHAR, NCCL_UINT8, NCCL_INT32, NCCL_INT, NCCL_UINT32 = 0, 0, 1, 2, 2, 3
NCCL_INT64, NCCL_UINT64, NCCL_FLOAT16, NCCL_HALF, NCCL_FLOAT32, NCCL_FLOAT = 4, 5, 6, 6, 7, 7
NCCL_FLOAT64, NCCL_DOUBLE = 8, 8
NCCL_SUM, NCCL_PROD, NCCL_MAX, NCCL_MIN, NCCL_AVG = 0, 1, 2, 3, 4
_DTYPES = {0: np.int8, 1: np.uint8, 2: np.int32, 3: np.uint32, 4: np.int64, 5: np.uint64, 6: np.float16,
           7: np.float32, 8: np.float64}
NCCL_UNIQUE_ID_BYTES = 128


class NcclError(RuntimeError):
    """What cupy.cuda.nccl raises for a failed NCCL call."""


def get_version() -> int:
    return 22000


def get_unique_id() -> tuple:
    """A fresh id for one communicator: 128 random byte values, as CuPy returns them."""
    return tuple(os.urandom(NCCL_UNIQUE_ID_BYTES))


def _view(ptr: int, count: int, datatype: int) -> np.ndarray:
    """The `count` elements of type `datatype` at host address `ptr`, as a writable NumPy array."""
    dtype = np.dtype(_DTYPES[datatype])
    return np.frombuffer((ctypes.c_char * (count * dtype.itemsize)).from_address(ptr), dtype=dtype)


class NcclCommunicator:
    """``NcclCommunicator(ndev, commId, rank)``: rank `rank` of `ndev`, every rank with the same id."""

    def __init__(self, ndev: int, commId: tuple, rank: int):
        # deferred: mpi4py is optional, and needed only when a stand-in NCCL communicator is made
        from mpi4py import MPI
        self._mpi, self._comm = MPI, MPI.COMM_WORLD
        if ndev != self._comm.Get_size() or rank != self._comm.Get_rank():
            raise NcclError(f"the NCCL stand-in spans mpiexec's whole world: NcclCommunicator({ndev}, id, {rank}) "
                            f"on rank {self._comm.Get_rank()} of {self._comm.Get_size()}")
        ids = self._comm.allgather(tuple(commId))
        if len(set(ids)) != 1:
            raise NcclError(f"NcclCommunicator: rank {rank} was given another unique id than rank 0 "
                            "(broadcast the id from one rank)")
        self._ops = {NCCL_SUM: MPI.SUM, NCCL_PROD: MPI.PROD, NCCL_MAX: MPI.MAX, NCCL_MIN: MPI.MIN}
        self._rank, self._size, self._device = rank, ndev, cuda.current_device_id()

    def rank_id(self) -> int:
        return self._rank

    def size(self) -> int:
        return self._size

    def device_id(self) -> int:
        return self._device

    def allReduce(self, sendbuf: int, recvbuf: int, count: int, datatype: int, op: int, stream: int) -> None:
        recv = _view(recvbuf, count, datatype)
        if op == NCCL_AVG:
            self.allReduce(sendbuf, recvbuf, count, datatype, NCCL_SUM, stream)
            recv /= self._size
            return
        send = self._mpi.IN_PLACE if sendbuf == recvbuf else _view(sendbuf, count, datatype)
        self._comm.Allreduce(send, recv, op=self._ops[op])

    def bcast(self, buff: int, count: int, datatype: int, root: int, stream: int) -> None:
        self._comm.Bcast(_view(buff, count, datatype), root=root)

    def destroy(self) -> None:
        self._comm = None
