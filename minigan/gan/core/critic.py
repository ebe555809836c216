"""Changes to a discriminator a recipe asks for: its normalisation layers, and spectral norm.

    set_critic_norm(D, "layer")     # every BatchNorm -> GroupNorm(1, C) (LayerNorm for 1-d features)
    spectral_norm_all(D)            # nn.utils.spectral_norm on every Conv2d / ConvTranspose2d / Linear

A gradient penalty is per sample, and batch norm mixes the samples of a batch, so a penalised critic
needs a per-sample norm ('layer', 'instance') or none.
"""
from __future__ import annotations

from ... import nn

__all__ = ["CRITIC_NORMS", "set_critic_norm", "spectral_norm_all"]

CRITIC_NORMS = ("batch", "layer", "instance", "none")


def _replacement(bn, norm: str):
    channels = bn.num_features
    if norm == "none":
        return nn.Identity()
    if isinstance(bn, nn.BatchNorm1d):
        if norm == "instance":
            raise ValueError("critic_norm='instance' needs 2-d feature maps, but the critic has a BatchNorm1d")
        return nn.LayerNorm(channels)
    # LayerNorm over each sample's (C, H, W) with per-channel affine, as the WGAN-GP code's conv critics
    return nn.GroupNorm(1, channels) if norm == "layer" else nn.InstanceNorm2d(channels, affine=True)


def set_critic_norm(critic: nn.Module, norm: str, device=None) -> nn.Module:
    """Replace every BatchNorm of `critic` with a per-sample norm: 'layer' (GroupNorm(1, C)), 'instance'
    (InstanceNorm2d, affine) or 'none'; 'batch' keeps it. In place; returns the critic."""
    if norm not in CRITIC_NORMS:
        raise ValueError(f"critic_norm must be one of {', '.join(CRITIC_NORMS)}, got {norm!r}")
    if norm == "batch":
        return critic
    for parent in list(critic.modules()):
        for name, child in list(parent._modules.items()):
            if isinstance(child, (nn.BatchNorm1d, nn.BatchNorm2d)):
                new = _replacement(child, norm)
                parent._modules[name] = new.to(device) if device is not None else new
    return critic


def spectral_norm_all(module: nn.Module) -> nn.Module:
    """nn.utils.spectral_norm on every Conv2d, ConvTranspose2d and Linear of `module` (in place)."""
    for m in list(module.modules()):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.utils.spectral_norm(m)
    return module
