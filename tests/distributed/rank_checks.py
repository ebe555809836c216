"""What each rank runs in the multi-rank tests: ``mpiexec -n 2 python rank_checks.py SCENARIO [DEVICE]``.

Not collected by pytest (no test_ prefix): test_multi_rank.py launches it. A scenario that
passes prints "rank R ok SCENARIO" on every rank; a failed assertion raises, and the
abort-all hook stops both ranks with the rank named.
"""
from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np

import minigan
from minigan import distributed, nn
from minigan.autograd import Tensor, grad

WORLD = distributed.init()
RANK, SIZE = WORLD.rank, WORLD.size


def ok(name: str) -> None:
    print(f"rank {RANK} ok {name}", flush=True)


def gathered(array) -> list:
    return WORLD.allgather_obj(minigan.backend.as_numpy(array))


def to(device: str, array):
    return Tensor(minigan.backend.to_device(array, device))


def count_reduces():
    """Wrap the communicator's array all-reduce so a test can count the calls."""
    calls = []
    inner = WORLD._reduce

    def counting(array, op):
        calls.append(array.size)
        inner(array, op)

    WORLD._reduce = counting
    return calls, lambda: setattr(WORLD, "_reduce", inner)


def scenario_grads(device: str) -> None:
    minigan.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 2)).to(device)
    unused = nn.Parameter(to(device, np.ones(4, np.float32)))  # no gradient on any rank
    params = list(model.parameters()) + [unused]
    rng = np.random.default_rng(RANK)
    calls, restore = count_reduces()
    buffers = []
    for step in range(2):
        for p in params:
            p.grad = None
        x = to(device, rng.standard_normal((3, 2, 4, 4)).astype(np.float32))
        y = model(x)
        (y * y).sum().backward()
        local = [None if p.grad is None else minigan.backend.as_numpy(p.grad.array).copy() for p in params]
        everyone = WORLD.allgather_obj(local)
        WORLD.allreduce_grads(params)
        assert len(calls) == step + 1, f"{len(calls)} all-reduce calls after {step + 1} allreduce_grads calls"
        buffers.append(next(iter(WORLD._layouts.values())).buffer)
        for i, p in enumerate(params[:-1]):
            expected = (everyone[0][i] + everyone[1][i]) / 2
            np.testing.assert_allclose(minigan.backend.as_numpy(p.grad.array), expected, rtol=1e-6, atol=1e-7)
        assert unused.grad is None
    assert buffers[0] is buffers[1], "the flat gradient buffer is made again each step"
    assert len(WORLD._layouts) == 1
    # a gradient only rank 0 has: every rank gets the average (rank 1's counts as zero)
    lonely = nn.Parameter(to(device, np.zeros(3, np.float32)))
    if RANK == 0:
        lonely.grad = to(device, np.full(3, 4.0, np.float32))
    WORLD.allreduce_grads([lonely], average=False)
    np.testing.assert_array_equal(minigan.backend.as_numpy(lonely.grad.array), np.full(3, 4.0, np.float32))
    restore()
    ok("grads")


def scenario_broadcast(device: str) -> None:
    minigan.manual_seed(100 + RANK)  # different weights on each rank
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).to(device)
    model[1].running_mean.array[...] = RANK + 1
    WORLD.broadcast_parameters(model)
    states = WORLD.allgather_obj({k: minigan.backend.as_numpy(v) for k, v in model.state_dict().items()})
    assert set(states[0]) == set(states[1])
    for k in states[0]:
        np.testing.assert_array_equal(states[0][k], states[1][k], err_msg=k)
    np.testing.assert_array_equal(states[1]["1.running_mean"], np.ones(4))
    # a rank with another model: every rank raises, naming it
    other = nn.Linear(3, 4 + RANK)
    try:
        WORLD.broadcast_parameters(other)
    except RuntimeError as exc:
        assert "rank 1 has a different model from rank 0" in str(exc), str(exc)
    else:
        raise AssertionError("broadcast_parameters passed with different models")
    ok("broadcast")


def _bn_loss(layer_out, weight):
    return (layer_out * weight).sum()


def scenario_syncbn(device: str) -> None:
    """2 ranks x b with SyncBatchNorm against one process x 2b with BatchNorm2d, float64."""
    b, c = 3, 4
    rng = np.random.default_rng(7)  # the same global draw on every rank
    x_all = rng.standard_normal((SIZE * b, c, 5, 5)) * 3 + 1
    w_all = rng.standard_normal((SIZE * b, c, 5, 5))
    gamma = rng.standard_normal(c) + 1
    beta = rng.standard_normal(c)

    def build(cls):
        layer = cls(c, momentum=0.3, dtype=np.float64).to(device)
        layer.weight.array[...] = minigan.backend.to_device(gamma, device)
        layer.bias.array[...] = minigan.backend.to_device(beta, device)
        return layer

    single = build(nn.BatchNorm2d)
    synced = nn.SyncBatchNorm.convert_sync_batchnorm(build(nn.BatchNorm2d))
    assert type(synced) is nn.SyncBatchNorm
    mine = distributed.shard(np.arange(SIZE * b), RANK, SIZE)

    xs = to(device, x_all).requires_grad_()
    ws = to(device, w_all)
    xl = to(device, x_all[mine]).requires_grad_()
    wl = to(device, w_all[mine])
    for step in range(2):  # the running statistics after two steps
        ys = single(xs)
        yl = synced(xl)
    gs, = grad(_bn_loss(ys, ws), [xs], create_graph=True)
    gl, = grad(_bn_loss(yl, wl), [xl], create_graph=True)
    np.testing.assert_allclose(minigan.backend.as_numpy(yl.array), minigan.backend.as_numpy(ys.array)[mine],
                               rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(minigan.backend.as_numpy(gl.array), minigan.backend.as_numpy(gs.array)[mine],
                               rtol=1e-10, atol=1e-10)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(minigan.backend.as_numpy(getattr(synced, name).array),
                                   minigan.backend.as_numpy(getattr(single, name).array), rtol=1e-12, err_msg=name)
    # double backward: a gradient penalty through the layer, then the parameter gradients summed over ranks
    (gs * gs).sum().backward()
    (gl * gl).sum().backward()
    WORLD.allreduce_grads(synced.parameters(), average=False)
    assert single.bias.grad is None and synced.bias.grad is None  # the penalty does not depend on beta
    np.testing.assert_allclose(minigan.backend.as_numpy(synced.weight.grad.array),
                               minigan.backend.as_numpy(single.weight.grad.array), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(minigan.backend.as_numpy(xl.grad.array), minigan.backend.as_numpy(xs.grad.array)[mine],
                               rtol=1e-9, atol=1e-10)
    # first order in float32, the training dtype: the same to 1e-5
    single32 = nn.BatchNorm2d(c).to(device)
    synced32 = nn.SyncBatchNorm(c).to(device)
    x32 = x_all.astype(np.float32)
    xs32, xl32 = to(device, x32).requires_grad_(), to(device, x32[mine]).requires_grad_()
    _bn_loss(single32(xs32), to(device, w_all.astype(np.float32))).backward()
    _bn_loss(synced32(xl32), to(device, w_all[mine].astype(np.float32))).backward()
    np.testing.assert_allclose(minigan.backend.as_numpy(xl32.grad.array),
                               minigan.backend.as_numpy(xs32.grad.array)[mine], rtol=1e-4, atol=1e-5)
    ok("syncbn")


def scenario_uneven(device: str) -> None:
    """Ranks with unequal batches (the last batch of an epoch): statistics over all rows."""
    rng = np.random.default_rng(3)
    x_all = rng.standard_normal((5, 2, 3))
    rows = distributed.shard(np.arange(5), RANK, SIZE)
    single = nn.BatchNorm1d(2, dtype=np.float64).to(device)
    synced = nn.SyncBatchNorm(2, dtype=np.float64).to(device)
    ys, yl = single(to(device, x_all)), synced(to(device, x_all[rows]))
    np.testing.assert_allclose(minigan.backend.as_numpy(yl.array), minigan.backend.as_numpy(ys.array)[rows],
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(minigan.backend.as_numpy(synced.running_var.array),
                               minigan.backend.as_numpy(single.running_var.array), rtol=1e-12)
    ok("uneven")


def scenario_collectives(device: str) -> None:
    a = minigan.backend.to_device(np.arange(6, dtype=np.float32).reshape(2, 3) * (RANK + 1), device)
    for op, expected in (("sum", np.arange(6).reshape(2, 3) * 3), ("max", np.arange(6).reshape(2, 3) * 2),
                         ("mean", np.arange(6).reshape(2, 3) * 1.5)):
        b = a.copy()
        assert WORLD.allreduce(b, op) is b
        np.testing.assert_allclose(minigan.backend.as_numpy(b), expected, err_msg=op)
    t = a.T  # not contiguous: reduced through a copy, written back
    WORLD.allreduce(t)
    np.testing.assert_allclose(minigan.backend.as_numpy(a), np.arange(6).reshape(2, 3) * 3)
    assert WORLD.bcast_obj({"seed": RANK}, root=1) == {"seed": 1}
    assert WORLD.allgather_obj(RANK * 10) == [0, 10]
    WORLD.barrier()
    # the differentiable all-reduce: forward sums, backward sums the gradients
    x = to(device, np.full(3, float(RANK + 1))).requires_grad_()
    y = distributed.all_reduce(x)
    np.testing.assert_allclose(minigan.backend.as_numpy(y.array), np.full(3, 3.0))
    (y * float(RANK + 1)).sum().backward()
    np.testing.assert_allclose(minigan.backend.as_numpy(x.grad.array), np.full(3, 3.0))
    ok("collectives")


def scenario_raise(device: str) -> None:
    if RANK == 1:
        time.sleep(0.2)
        raise ValueError("a batch went wrong")
    WORLD.barrier()  # rank 0 waits here for ever unless the job is stopped
    print("rank 0 passed the barrier", flush=True)


def scenario_kill(device: str) -> None:
    if RANK == 1:
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGKILL)
    WORLD.barrier()
    print("rank 0 passed the barrier", flush=True)


def scenario_mismatch(device: str) -> None:
    config = {"lr": 2e-4, "batch_size": 64, "family": "dcgan"}
    distributed.check_same(config, "v1")  # equal: passes
    theirs = dict(config, lr=1e-3) if RANK == 1 else config
    try:
        distributed.check_same(theirs, "v1")
    except RuntimeError as exc:  # every rank raises the same error
        message = str(exc)
        assert "rank 1" in message and "lr=0.0002 on rank 0, 0.001 on rank 1" in message, message
        assert "\n" not in message
    else:
        raise AssertionError("check_same passed with different configs")
    try:
        distributed.check_same(config, distributed.source_digest() + ("x" if RANK == 1 else ""))
    except RuntimeError as exc:
        assert "rank 1" in str(exc) and "other code" in str(exc), str(exc)
    else:
        raise AssertionError("check_same passed with different code")
    ok("mismatch")


def scenario_gpus(device: str) -> None:
    """One pretend GPU for two ranks: rank 1 gets an error naming it and its node."""
    try:
        assert str(WORLD.device) == f"cuda:{RANK}"
    except minigan.backend.DeviceError as exc:
        assert RANK == 1 and f"rank 1 on node {WORLD.node}" in str(exc) and "1 GPU(s)" in str(exc), str(exc)
    ok("gpus")


if __name__ == "__main__":
    scenario, device = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "cpu")
    if device == "cuda" and scenario != "gpus":
        device = str(WORLD.use_device())  # one GPU per rank: cuda:<local_rank>, the current one
    globals()[f"scenario_{scenario}"](device)
