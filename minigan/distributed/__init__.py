"""minigan.distributed: data-parallel training over MPI ranks (ChainerMN's design, our code).

Start N copies with ``mpiexec -n N python train.py``; each is one rank with its own GPU
(``cuda:<local_rank>``) or CPU, its own slice of every global batch (`shard`), and the
same weights (`broadcast_parameters` once, then `allreduce_grads` every step)::

    world = minigan.distributed.init()                 # size 1 without mpiexec: no MPI at all
    check_same(config_dict, source_digest())            # same code and config on every rank
    world.broadcast_parameters(model)                   # rank 0's weights everywhere
    for batch in local_batches(order, global_batch, world.rank, world.size):
        loss = ...; loss.backward()
        world.allreduce_grads(model.parameters())       # one flat all-reduce per network
        opt.step()

Layering: this package sits just above ``ops`` and below ``nn``: it needs arrays
(`backend`) and Functions (`autograd`), never a layer, so ``nn.SyncBatchNorm`` can use
its all-reduce; modules and parameters are only duck-typed here (``named_parameters``,
``.grad``). mpi4py (the ``mpi`` extra) is imported only for a multi-rank launch, and
cupy only when a collective meets a CuPy array.
"""
from __future__ import annotations

from .communicator import REDUCE_OPS, Communicator, MPICommunicator
from .consistency import check_same, source_digest
from .failure import DistributedError, every_rank_or_none, on_every_rank, raised_on_every_rank
from .functions import AllReduce, all_reduce
from .sharding import draw_rows, local_batches, shard, shard_bounds, sharded_draws
from .world import MPI_INSTALL_HINT, get_world, init, is_initialized, launched_rank, launched_size

__all__ = ["init", "get_world", "is_initialized", "launched_size", "launched_rank", "DistributedError",
           "every_rank_or_none", "on_every_rank", "raised_on_every_rank", "Communicator", "MPICommunicator",
           "REDUCE_OPS",
           "AllReduce", "all_reduce", "check_same", "source_digest", "shard", "shard_bounds", "local_batches",
           "sharded_draws", "draw_rows", "MPI_INSTALL_HINT"]
