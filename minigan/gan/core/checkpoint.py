"""GAN training checkpoints: one atomic ``.npz`` (minigan.save) per run, with clear errors on load.

A checkpoint is a dict (see ``GANTrainer.state_dict``):

    kind "gan", model (registry name), model_kind ("conditional": G takes labels, or "unconditional"),
    model_config {latent_dim, width; infogan: codes}, config (TrainConfig as a dict),
    step, epoch, batch, loader (data position), rng_state (noise generator),
    generator / discriminator (state dicts: weights and BatchNorm statistics),
    optimizer_g / optimizer_d (Adam state dicts), fixed_noise (the sample-grid noise)

Everything is pickle-free, so ``np.load(path, allow_pickle=False)`` can read it too.
"""
from __future__ import annotations

import inspect
import os
from pathlib import Path

from ... import backend, serialization
from ...backend import Device
from ...serialization import CheckpointError
from ..families.unconditional.models import MODELS, build_models

__all__ = ["CHECKPOINT_NAME", "CheckpointError", "resolve_checkpoint", "save_checkpoint", "load_checkpoint",
           "load_module_state", "load_generator", "sampling_weights"]

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
    """(the generator state dict samples come from, what it is): an EMA run's (issue 13) averaged
    generator, else the trained one. ``load_module_state(G, *sampling_weights(state), source)``."""
    ema = state.get("ema")
    if isinstance(ema, dict) and isinstance(ema.get("module"), dict):
        return ema["module"], "EMA generator"
    return state["generator"], "generator"


def _builder_options(name: str, model_config: dict) -> dict:
    """The checkpoint's model_config (latent_dim, width, infogan's codes) as keywords of model `name`'s builder:
    a key the builder does not take is left out, so a checkpoint naming another model than it holds ends in
    the weights' mismatch message rather than a TypeError."""
    accepted = inspect.signature(MODELS[name]).parameters
    return {k: v for k, v in model_config.items() if k in accepted}   # a missing size: the model's default


def load_generator(path: str | os.PathLike, device: "str | Device" = "cpu"):
    """Rebuild the generator a checkpoint was trained with: returns (G in eval mode, checkpoint dict).

    Works for registered models ('dcgan', 'mlp', or your own ``@register_model``); a
    checkpoint of unregistered ('custom') modules needs its generator built by hand
    and ``G.load_state_dict(load_checkpoint(path)['generator'])``.
    """
    file = resolve_checkpoint(path)
    state = load_checkpoint(file)
    if state.get("kind") != "gan":
        raise CheckpointError(f"{file} is a {state.get('kind')!r} checkpoint, not a GAN checkpoint")
    name = state["model"]
    if state.get("task") == "inpaint":  # issue 12: G(images, masks), not G(z)
        raise CheckpointError(f"{file} holds an inpainting generator, which completes images rather than drawing "
                              f"them: use `minigan inpaint` (load_inpainting_generator in Python)")
    if name not in MODELS:
        raise CheckpointError(f"{file} holds a {name!r} model, which is not registered here (known: "
                              f"{', '.join(sorted(MODELS))}); build the generator yourself and load "
                              f"state['generator'] into it")
    cfg = state.get("model_config") or {}
    rng_state = backend.get_rng_state()  # building draws initial weights: leave the caller's stream alone
    try:
        G, _ = build_models(name, **_builder_options(name, cfg))
    finally:
        backend.set_rng_state(rng_state)
    load_module_state(G, *sampling_weights(state), str(file))
    G = G.to(Device(device))
    G.eval()
    return G, state
