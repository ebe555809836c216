"""GAN training checkpoints: one atomic ``.npz`` (minigan.save) per run, with clear errors on load.

A checkpoint is a dict (see ``GANTrainer.state_dict``):

    kind "gan", model (the family's name), task, model_config (what the family rebuilds G from),
    config (TrainConfig.to_dict(), with its version),
    step, epoch, batch, loader (data position), rng_state (noise generator),
    generator / discriminator (state dicts: weights and BatchNorm statistics),
    optimizer_g / optimizer_d (optimiser state dicts), fixed_noise (the sample-grid noise),
    and the state of the extensions and penalties that keep one (ema, schedulers, critic_steps, ...)

Everything is pickle-free, so ``np.load(path, allow_pickle=False)`` can read it too.
"""
from __future__ import annotations

import os
from pathlib import Path

from ... import backend, serialization
from ...backend import Device
from ...serialization import CheckpointError

__all__ = ["CHECKPOINT_NAME", "CheckpointError", "resolve_checkpoint", "save_checkpoint", "load_checkpoint",
           "load_module_state", "sampling_weights"]

CHECKPOINT_NAME = "checkpoint.npz"


def resolve_checkpoint(path: str | os.PathLike) -> Path:
    """A checkpoint file from a file path or a run folder (RUN_DIR/checkpoint.npz); CheckpointError if absent."""
    path = Path(path)
    if path.is_dir():
        file = path / CHECKPOINT_NAME
        if not file.is_file():
            raise CheckpointError(f"{path} is a folder without a {CHECKPOINT_NAME}: not a minigan run folder "
                                  "(or its run stopped before the first checkpoint)")
        return file
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} does not exist")
    return path


def save_checkpoint(path: str | os.PathLike, state: dict) -> Path:
    """Write `state` atomically: a crash mid-write leaves the previous checkpoint intact."""
    path = Path(path)
    serialization.save(state, path)
    return path


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a GAN checkpoint (file or run folder) as a dict of NumPy arrays and plain values.

    Raises CheckpointError with the file's name when it is missing, truncated,
    corrupt, or not a minigan GAN checkpoint.
    """
    file = resolve_checkpoint(path)
    try:
        state = serialization.load(file)
    except CheckpointError:
        raise
    except OSError as exc:
        raise CheckpointError(f"cannot read checkpoint {file}: {exc}") from None
    required = ("kind", "model", "generator", "config")
    if not isinstance(state, dict) or any(key not in state for key in required):
        raise CheckpointError(f"{file} is not a minigan GAN checkpoint (it has no "
                              f"{', '.join(k for k in required if not isinstance(state, dict) or k not in state)})")
    return state


def load_module_state(module, state: dict, what: str, source: str) -> None:
    """``module.load_state_dict(state)`` with a CheckpointError that says what does not fit."""
    own = module.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if missing or unexpected:
        detail = []
        if missing:
            detail.append(f"missing {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
        if unexpected:
            detail.append(f"unexpected {', '.join(unexpected[:5])}{' ...' if len(unexpected) > 5 else ''}")
        raise CheckpointError(f"the {what} in {source} does not match this {type(module).__name__} "
                              f"({'; '.join(detail)}): it was saved from a different model")
    for key, value in own.items():
        saved_shape = tuple(getattr(state[key], "shape", ()))
        if tuple(value.shape) != saved_shape:
            raise CheckpointError(f"the {what} in {source} does not match this model: {key} has shape "
                                  f"{saved_shape} in the checkpoint but {tuple(value.shape)} here (a different "
                                  f"width or latent size?)")
    try:
        module.load_state_dict(state)
    except (KeyError, ValueError, RuntimeError, TypeError) as exc:
        raise CheckpointError(f"the {what} in {source} does not fit this model: {exc}") from None


def sampling_weights(state: dict) -> tuple[dict, str]:
    """(the generator state dict samples come from, what it is): an EMA run's averaged
    generator, else the trained one. ``load_module_state(G, *sampling_weights(state), source)``."""
    ema = state.get("ema")
    if isinstance(ema, dict) and isinstance(ema.get("module"), dict):
        return ema["module"], "EMA generator"
    return state["generator"], "generator"
