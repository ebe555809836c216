"""Where a run's work goes on the ranks: each rank's device, and each rank's batch when a run resumes on
another number of ranks than it trained on (the global batch, and so the data order, are kept)::

    device = rank_device("cuda", world)          # cuda:<local rank> on several ranks
    config = reshard(saved, state, world, overrides, allow_batch_change=False)
"""
from __future__ import annotations

import dataclasses

from .. import backend
from ..backend import Device
from .config import TrainConfig

__all__ = ["rank_device", "reshard"]


def reshard(saved: TrainConfig, state: dict, world, overrides: dict, allow_batch_change: bool) -> TrainConfig:
    """The saved config with each rank's batch for this world: the saved global batch split over the ranks."""
    ranks = int((state.get("world") or {}).get("size", 1))
    global_batch = saved.batch_size * ranks
    if allow_batch_change and overrides.get("batch_size") is not None:
        new = overrides.pop("batch_size")
        state["loader"] = _rebatched_position(state["loader"], new * world.size)
        state["batch"] = state["loader"]["batch"]
        return dataclasses.replace(saved, batch_size=new)
    if ranks == world.size:
        return saved
    if global_batch % world.size:
        divisors = [str(n) for n in range(1, global_batch + 1) if global_batch % n == 0]
        shown = ", ".join(divisors[:8]) + (", ..." if len(divisors) > 8 else "")
        raise ValueError(f"cannot resume this run on {world.size} ranks: it trained on {ranks} rank(s) x batch "
                         f"{saved.batch_size} = global batch {global_batch}, which {world.size} ranks cannot share "
                         f"evenly; resume on {shown} ranks, or give --batch-size and "
                         f"--allow-batch-change for a new global batch (and data order)")
    return dataclasses.replace(saved, batch_size=global_batch // world.size)


def _rebatched_position(loader: dict, global_batch: int) -> dict:
    """The loader position of a resumed run whose global batch changes: the same epoch, at the first batch
    of the new size that starts at or after the images already seen this epoch."""
    seen = int(loader["batch"]) * int(loader["batch_size"])
    return {**loader, "batch_size": global_batch, "batch": -(-seen // global_batch)}


def rank_device(name: str, world) -> Device:
    """The device this rank trains on: `name`, or with several ranks and "cuda", the rank's own GPU
    (``cuda:<local rank>``; a DeviceError naming the rank when its node has fewer GPUs than ranks)."""
    device = Device(name)
    if device.type == "cuda":
        backend.require_cupy()  # a clear DeviceError now, not mid-run
        if world.size > 1:
            if device.index not in (None, 0):   # "cuda" reads as cuda:0
                raise ValueError(f"--device {name} on {world.size} ranks: give --device cuda, and each rank takes "
                                 f"its own GPU, cuda:<local rank>")
            return world.use_device()
        # CuPy runs every kernel on its current GPU: make it this run's (cuda:1 would otherwise meet cuda:0)
        backend.require_cupy(device.index).cuda.Device(device.index).use()
    return device
