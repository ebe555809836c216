"""BatchNorm1d and BatchNorm2d with PyTorch's train/eval semantics and state-dict keys.

Training mode normalises with the batch statistics and updates the running ones
(running_var with the unbiased batch variance); ``momentum=None`` makes them a
cumulative average; evaluation mode uses the running statistics. The state dict
holds weight, bias, running_mean, running_var and num_batches_tracked (an int64 scalar).
"""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor
from . import functional as F
from . import init
from ._factory import check_range, check_size, empty_buffer, empty_parameter, register_affine, reset_affine
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


class _NormBase(Module):
    _version = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None):
        super().__init__()
        layer = type(self).__name__
        self.num_features = check_size(layer, "num_features", num_features)
        self.eps = check_range(layer, "eps", eps, 0.0)
        self.momentum = momentum if momentum is None else check_range(layer, "momentum", momentum, 0.0, 1.0)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = empty_parameter((self.num_features,), device, dtype, fill=1.0)
            self.bias = empty_parameter((self.num_features,), device, dtype, fill=0.0)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            dt = dtype if dtype is not None else np.float32
            self.register_buffer("running_mean", empty_buffer((self.num_features,), device, dt, fill=0.0))
            self.register_buffer("running_var", empty_buffer((self.num_features,), device, dt, fill=1.0))
            self.register_buffer("num_batches_tracked", empty_buffer((), device, np.int64, fill=0))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}) got input with {input.shape[1]} "
                             f"channels (shape {tuple(input.shape)})")
        # Exactly PyTorch's _BatchNorm.forward.
        exponential_average_factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.array[...] += 1
            if self.momentum is None:  # cumulative moving average
                exponential_average_factor = 1.0 / float(self.num_batches_tracked.item())
            else:  # exponential moving average
                exponential_average_factor = self.momentum
        if self.training:
            bn_training = True
        else:
            bn_training = self.running_mean is None and self.running_var is None
        use_running = not self.training or self.track_running_stats
        return F.batch_norm(input,
                            self.running_mean if use_running else None,
                            self.running_var if use_running else None,
                            self.weight, self.bias, bn_training, exponential_average_factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L) input, per channel C."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W) input, per channel C."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 4:
            raise ValueError(f"expected 4D input (got {input.ndim}D input)")


class LayerNorm(Module):
    """Normalise over the trailing `normalized_shape` dims, as ``torch.nn.LayerNorm``."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        shape = check_size("LayerNorm", "normalized_shape", tuple(normalized_shape))
        self.normalized_shape = tuple(int(s) for s in shape)
        self.eps = check_range("LayerNorm", "eps", eps, 0.0)
        self.elementwise_affine = elementwise_affine
        register_affine(self, self.normalized_shape, elementwise_affine, bias, device, dtype)

    def reset_parameters(self) -> None:
        reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
