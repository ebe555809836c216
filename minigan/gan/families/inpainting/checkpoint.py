"""Rebuild the inpainting generator an ``minigan train --task inpaint`` checkpoint holds.

    G, state = load_inpainting_generator("runs/inpaint")     # eval mode; state["config"] is the run's
    completed = inpaint(G, images, masks)

The checkpoint records ``task: "inpaint"`` and the generator's shape in
``model_config`` (width, unet, noise); a checkpoint of an unconditional (or
class-conditional) GAN is refused with a one-line CheckpointError naming the file.
"""
from __future__ import annotations

import os

from .... import backend
from ....backend import Device
from ...core.checkpoint import (CheckpointError, load_checkpoint, load_module_state, resolve_checkpoint,
                                sampling_weights)
from .models import InpaintingGenerator

__all__ = ["INPAINT_TASK", "checkpoint_task", "load_inpainting_generator"]

INPAINT_TASK = "inpaint"


def checkpoint_task(state: dict) -> str:
    """The task a checkpoint dict was trained for: 'inpaint', or 'gan' (noise -> image) for older ones."""
    return str(state.get("task") or "gan")


def load_inpainting_generator(path: "str | os.PathLike", device: "str | Device" = "cpu"):
    """(InpaintingGenerator in eval mode, checkpoint dict) from a checkpoint file or run folder."""
    file = resolve_checkpoint(path)
    state = load_checkpoint(file)
    if checkpoint_task(state) != INPAINT_TASK:
        raise CheckpointError(f"{file} holds a {state.get('model')!r} GAN (task {checkpoint_task(state)!r}), not an "
                              f"inpainting model: train one with `minigan train --task inpaint`")
    cfg = state.get("model_config") or {}
    rng_state = backend.get_rng_state()  # building draws initial weights: leave the caller's stream alone
    try:
        G = InpaintingGenerator(int(cfg.get("width", 32)), unet=bool(cfg.get("unet", True)),
                                noise=str(cfg.get("noise", "dropout")))
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{file}: its model_config {cfg} does not describe an inpainting generator ({exc})")
    finally:
        backend.set_rng_state(rng_state)
    load_module_state(G, *sampling_weights(state), str(file))   # an EMA run's averaged G
    G = G.to(Device(device))
    G.eval()
    return G, state
