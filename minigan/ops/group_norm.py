"""Per-sample normalisation: group norm and instance norm, as PyTorch's F.group_norm / F.instance_norm.

Both normalise each sample on its own, so a sample's output never depends on
the rest of the batch: the property a per-sample gradient penalty (WGAN-GP,
R1) needs, and the reason a critic trained with one uses these instead of
batch norm. Group norm splits the C channels of an (N, C, *) input into G
groups and normalises over each (sample, group) block::

    xhat = (x - mean) / sqrt(var + eps)        # mean, biased var over (C/G, *) per (n, g)
    y    = xhat * weight[c] + bias[c]

Instance norm is group norm with one channel per group (G = C), plus
PyTorch's optional running statistics. Everything is written in Tensor ops,
so gradients of any order (gradgradcheck, gradient penalties) are exact.

    y = group_norm(x, 2, weight, bias)                     # x: (N, 4, H, W)
    y = instance_norm(x, running_mean, running_var)        # training: updates the running stats in place
"""
from __future__ import annotations

from ..autograd import Tensor
from .dtypes import check_same_dtype
from .normalization import batch_norm_eval
from .reduce import mean as _mean
from .shape import reshape

__all__ = ["group_norm", "instance_norm"]


def _check_channel_tensor(op: str, t, c: int, what: str, xshape: tuple) -> None:
    if t is not None and tuple(t.shape) != (c,):
        raise ValueError(f"{op}: {what} has shape {tuple(t.shape)} but the input {tuple(xshape)} has {c} "
                         f"channels; expected shape ({c},)")


def _normalize_groups(x: Tensor, groups: int, eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """(xhat shaped like x, mean, biased var), the statistics of shape (N, groups, 1) as Tensors."""
    n = x.shape[0]
    blocks = reshape(x, (n, groups, -1))
    mu = _mean(blocks, 2, keepdims=True)
    centred = blocks - mu
    var = _mean(centred * centred, 2, keepdims=True)
    return reshape(centred * (var + eps) ** -0.5, x.shape), mu, var


def _affine(y: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    bshape = (1, y.shape[1]) + (1,) * (y.ndim - 2)
    if weight is not None:
        y = y * reshape(weight, bshape)
    if bias is not None:
        y = y + reshape(bias, bshape)
    return y


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Group normalisation of an (N, C, *) input over C/num_groups channels and all spatial positions.

    ``weight`` and ``bias`` (shape (C,)) scale and shift each channel afterwards.
    """
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if input.ndim < 2:
        raise ValueError(f"group_norm: expected an input of shape (N, C, *), got shape {tuple(input.shape)}")
    c = input.shape[1]
    if int(num_groups) <= 0 or c % int(num_groups) != 0:
        raise ValueError(f"group_norm: the {c} channels of input shape {tuple(input.shape)} do not split into "
                         f"num_groups={num_groups} equal groups")
    for t, what in ((weight, "weight"), (bias, "bias")):
        _check_channel_tensor("group_norm", t, c, what, input.shape)
    check_same_dtype("group_norm", input=input, weight=weight, bias=bias)
    y, _, _ = _normalize_groups(input, int(num_groups), eps)
    return _affine(y, weight, bias)


def instance_norm(input: Tensor, running_mean=None, running_var=None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:
    """Instance normalisation of an (N, C, *) input: each (sample, channel) over its spatial positions.

    With ``use_input_stats`` (training, or no running statistics kept) each
    instance uses its own mean and variance and, when given, ``running_mean`` /
    ``running_var`` (shape (C,)) are updated in place as PyTorch does:
    ``r = (1 - momentum) * r + momentum * mean over N of the instance statistic``
    (unbiased variance). Otherwise the running statistics normalise the input.
    """
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected an input of shape (N, C, *spatial), got shape "
                         f"{tuple(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    for t, what in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"),
                    (bias, "bias")):
        _check_channel_tensor("instance_norm", t, c, what, input.shape)
    check_same_dtype("instance_norm", input=input, weight=weight, bias=bias)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: running_mean and running_var must be given when "
                             "use_input_stats=False")
        return batch_norm_eval(input, running_mean, running_var, weight, bias, eps)
    spatial = input.numel() // (n * c) if n * c else 0
    if spatial <= 1:
        raise ValueError(f"instance_norm: expected more than 1 spatial element when training, got input "
                         f"of shape {tuple(input.shape)}")
    y, mu, var = _normalize_groups(input, c, eps)
    factor = float(momentum)
    for running, stat, scale in ((running_mean, mu, 1.0), (running_var, var, spatial / (spatial - 1))):
        if running is not None:
            r = running.array if isinstance(running, Tensor) else running
            batch = stat.array.reshape(n, c).mean(axis=0) * scale
            r *= 1.0 - factor
            r += (batch * factor).astype(r.dtype, copy=False)
    return _affine(y, weight, bias)
