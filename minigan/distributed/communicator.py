"""The communicator: what one rank can say to the others (Chainer's communicator, MPI's names).

`Communicator` is the world of one process: every collective returns at once and moves
nothing, so a single-process run pays nothing for being written data-parallel.
`MPICommunicator` is several ranks started by ``mpiexec``: NumPy arrays travel over MPI
(``Allreduce``/``Bcast`` on the buffers themselves, never pickled) and CuPy arrays over
NCCL (`minigan.distributed.nccl`), one GPU per rank, ``cuda:<local_rank>``.

The step of a data-parallel trainer, with ``world = minigan.distributed.init()``::

    loss.backward()
    world.allreduce_grads(model.parameters())   # one all-reduce for the whole network
    optimizer.step()
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..backend import Device, DeviceError
from .failure import DistributedError, on_every_rank

__all__ = ["Communicator", "MPICommunicator", "REDUCE_OPS"]

REDUCE_OPS = ("sum", "prod", "max", "min", "mean")
_GRAD_BUFFERS_KEPT = 8  # flat gradient buffers kept per communicator (one per network the trainer steps)


def _check_op(op: str) -> str:
    if op not in REDUCE_OPS:
        raise ValueError(f"allreduce: op must be one of {', '.join(REDUCE_OPS)}, got {op!r}")
    return op


def _check_array(array, what: str = "allreduce"):
    if isinstance(array, np.ndarray) or backend.get_array_module(array) is not np:
        return array
    raise TypeError(f"{what}: expected a NumPy or CuPy array, got {type(array).__name__} "
                    "(pass a Tensor's .array)")


class Communicator:
    """One process: rank 0 of a world of size 1, where every collective is a no-op.

    Attributes: ``rank``, ``size``, ``local_rank`` (this rank's index among the ranks on
    its node: the GPU it uses), ``local_size`` and ``node`` (the host name).
    """

    rank = 0
    size = 1
    local_rank = 0
    local_size = 1

    def __init__(self, node: str = "localhost"):
        self.node = node

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(rank={self.rank}, size={self.size}, local_rank={self.local_rank}, "
                f"node={self.node!r})")

    # a communicator is a handle on the world, not data: copies of a model (EMA) share it
    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    @property
    def device(self) -> Device:
        """``cuda:<local_rank>``, the GPU this rank owns; a DeviceError naming the rank and node if absent."""
        count = backend.device_count()
        if self.local_rank >= count:
            raise DeviceError(
                f"rank {self.rank} on node {self.node} needs GPU cuda:{self.local_rank} (one GPU per rank, "
                f"{self.local_size} ranks on this node) but the node has {count} GPU(s); start at most "
                f"{count} ranks per node")
        return Device(f"cuda:{self.local_rank}")

    def use_device(self) -> Device:
        """Make `device` (``cuda:<local_rank>``) CuPy's current GPU for this process, and return it.

        CuPy runs every kernel on the current GPU, so a rank calls this once, before it
        builds its model (``torch.cuda.set_device(local_rank)`` in PyTorch)::

            device = world.use_device()       # cuda:1 on the second rank of a node
            model = build().to(device)
        """
        device = self.device
        backend.require_cupy(device.index).cuda.Device(device.index).use()
        return device

    def barrier(self) -> None:
        """Wait until every rank gets here."""

    def bcast_obj(self, obj, root: int = 0):
        """Rank `root`'s picklable `obj`, on every rank (small things: a config, a seed)."""
        self._check_root(root)
        return obj

    def allgather_obj(self, obj) -> list:
        """Every rank's picklable `obj`, as a list indexed by rank."""
        return [obj]

    def allreduce(self, array, op: str = "sum"):
        """Reduce a NumPy or CuPy `array` over the ranks, in place, and return it.

        `op` is "sum", "prod", "max", "min" or "mean"; every rank passes an array of the
        same shape and dtype and gets the result. ``world.allreduce(counts)``.
        """
        _check_op(op)
        return _check_array(array)

    def broadcast_parameters(self, module, root: int = 0) -> None:
        """Copy rank `root`'s parameters and buffers (a Module's) into every rank's, in place."""
        self._check_root(root)

    def allreduce_grads(self, parameters, average: bool = True) -> None:
        """Sum (``average=True``: average) the gradients of `parameters` over the ranks.

        All gradients travel in one flat buffer, one all-reduce per call; a parameter
        whose gradient is None on every rank keeps None. Call it once per network and
        step, after backward and before ``optimizer.step()``.
        """

    def abort(self, code: int = 1) -> None:
        """Stop every rank now (one process: exit)."""
        raise SystemExit(code)

    def _check_root(self, root: int) -> None:
        if not isinstance(root, (int, np.integer)) or not 0 <= root < self.size:
            raise ValueError(f"root must be a rank in 0..{self.size - 1}, got {root!r}")


class _GradLayout:
    """Where each parameter's gradient sits in the flat buffer, and the buffer itself (kept between steps)."""

    def __init__(self, params: list, xp, device: Device):
        self.shapes = [p.array.shape for p in params]
        self.dtypes = [p.array.dtype for p in params]
        sizes = [int(np.prod(s)) for s in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        self.total = self.offsets[-1]
        dtype = np.result_type(*self.dtypes)
        with device.scope():
            # the gradients, then one slot per parameter: 1 where this rank has a gradient
            self.buffer = xp.empty(self.total + len(params), dtype=dtype)


class MPICommunicator(Communicator):
    """Several ranks started by ``mpiexec``: `comm` is an mpi4py communicator (``MPI.COMM_WORLD``)."""

    def __init__(self, mpi, comm):
        self._mpi = mpi
        self.comm = comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        local = comm.Split_type(mpi.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
        local.Free()
        self.node = mpi.Get_processor_name()
        self._mpi_ops = {"sum": mpi.SUM, "prod": mpi.PROD, "max": mpi.MAX, "min": mpi.MIN, "mean": mpi.SUM}
        self._nccl = None
        self._layouts: dict = {}

    # ---- objects (pickled: small things only)
    def barrier(self) -> None:
        self.comm.Barrier()

    def bcast_obj(self, obj, root: int = 0):
        self._check_root(root)
        return self.comm.bcast(obj, root=root)

    def allgather_obj(self, obj) -> list:
        return self.comm.allgather(obj)

    def abort(self, code: int = 1) -> None:
        self.comm.Abort(code)

    # ---- arrays
    def _reduce(self, array, op: str) -> None:
        """All-reduce a C-contiguous array in place: MPI for NumPy, NCCL for CuPy."""
        if isinstance(array, np.ndarray):
            self.comm.Allreduce(self._mpi.IN_PLACE, array, op=self._mpi_ops[op])
        else:
            self._nccl_backend().allreduce(array, op)

    def _bcast(self, array, root: int) -> None:
        if isinstance(array, np.ndarray):
            self.comm.Bcast(array, root=root)
        else:
            self._nccl_backend().bcast(array, root)

    def _nccl_backend(self):
        if self._nccl is None:
            from .nccl import NcclBackend  # deferred: it loads cupy, needed only for GPU arrays
            self._nccl = NcclBackend(self)
        return self._nccl

    def allreduce(self, array, op: str = "sum"):
        _check_op(op)
        _check_array(array)
        with backend.device_of(array).scope():  # CuPy works on the current device: make it the array's
            if array.flags.c_contiguous:
                self._reduce(array, op)
            else:  # MPI and NCCL read one contiguous block
                contiguous = backend.get_array_module(array).ascontiguousarray(array)
                self._reduce(contiguous, op)
                array[...] = contiguous
            if op == "mean":
                array *= 1.0 / self.size
        return array

    def broadcast_parameters(self, module, root: int = 0) -> None:
        self._check_root(root)
        tensors = list(module.named_parameters()) + [(n, b) for n, b in module.named_buffers() if b is not None]
        mine = [(name, tuple(t.array.shape), t.array.dtype.str) for name, t in tensors]
        everyone = self.allgather_obj(mine)  # every rank sees a mismatch, so every rank raises (none waits)
        for rank, theirs in enumerate(everyone):
            if theirs != everyone[root]:
                extra = sorted(set(theirs) ^ set(everyone[root]))
                raise on_every_rank(DistributedError(
                    f"broadcast_parameters: rank {rank} has a different model from rank {root}: {len(theirs)} vs "
                    f"{len(everyone[root])} tensors, first difference {extra[0] if extra else 'their order'} "
                    "(name, shape, dtype)"))
        for _, t in tensors:
            a = t.array
            with backend.device_of(a).scope():
                if a.flags.c_contiguous:
                    self._bcast(a, root)
                else:
                    contiguous = backend.get_array_module(a).ascontiguousarray(a)
                    self._bcast(contiguous, root)
                    a[...] = contiguous

    def allreduce_grads(self, parameters, average: bool = True) -> None:
        params = [p for p in parameters if p.requires_grad]
        if not params:
            return
        layout = self._layout(params)
        with backend.device_of(layout.buffer).scope():
            self._allreduce_grads(params, layout, average)

    def _allreduce_grads(self, params: list, layout: _GradLayout, average: bool) -> None:
        buf, offsets, total = layout.buffer, layout.offsets, layout.total
        xp = backend.get_array_module(buf)
        have = np.zeros(len(params), dtype=buf.dtype)
        for i, p in enumerate(params):
            g = p._grad
            if g is None:
                buf[offsets[i]:offsets[i + 1]] = 0
            else:
                buf[offsets[i]:offsets[i + 1]] = g.array.reshape(-1)
                have[i] = 1
        buf[total:] = xp.asarray(have) if xp is not np else have
        self._reduce(buf, "sum")
        if average:
            buf[:total] *= 1.0 / self.size
        # a gradient missing here may be present elsewhere: read the slots only then (a device sync)
        missing = not have.all()
        counts = backend.as_numpy(buf[total:]) if missing else None
        for i, p in enumerate(params):
            if p._grad is None and (counts is None or counts[i] == 0):
                continue
            chunk = buf[offsets[i]:offsets[i + 1]].reshape(layout.shapes[i])
            # a copy: the buffer is overwritten next step, and a gradient array may be shared
            p._grad = Tensor(chunk.astype(layout.dtypes[i], copy=True))

    def _layout(self, params: list) -> _GradLayout:
        key = tuple([(id(p), p.array.shape, p.array.dtype.str) for p in params])
        layout = self._layouts.get(key)
        if layout is None:
            if len(self._layouts) >= _GRAD_BUFFERS_KEPT:
                self._layouts.clear()
            xp = backend.get_array_module(params[0].array)
            layout = self._layouts[key] = _GradLayout(params, xp, backend.device_of(params[0].array))
        return layout
