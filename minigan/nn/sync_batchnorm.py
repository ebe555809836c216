"""SyncBatchNorm: batch normalisation whose statistics span the batch of every rank.

With N ranks of b images each, `BatchNorm2d` normalises each rank's b images on their
own; `SyncBatchNorm` all-reduces the per-channel sums so every rank normalises with the
mean and variance of all N*b, as one process with batch N*b would (PyTorch's SyncBatchNorm,
ChainerMN's MultiNodeBatchNormalization). In training mode each forward makes two
all-reduces of C numbers (the sums with the row count, then the squared deviations: the
same two-pass variance BatchNorm uses) and each backward one of 2C. With one rank, or in
eval mode, it is `BatchNorm` exactly::

    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)   # every BatchNorm*d replaced

The gradient: with global means over the M rows of all ranks,
``gx = gamma * inv_std * (gy - mean(gy) - xhat * mean(gy * xhat))``, where both means are
all-reduced; ``weight.grad`` and ``bias.grad`` stay this rank's share (the sum over ranks is
what `allreduce_grads` does for every parameter). Backward is written with Tensor ops and
the differentiable `all_reduce`, so double backward (gradient penalties) is exact.
"""
from __future__ import annotations

from ..autograd import Function, Tensor
from ..backend import get_array_module
from ..distributed import all_reduce, get_world
from ..ops.reduce import sum as _sum
from ..ops.shape import broadcast_to, concat, reshape
from .normalization import _BatchNorm

__all__ = ["SyncBatchNorm"]


def _axes_and_shape(x) -> tuple[tuple, tuple]:
    """The reduction axes (all but 1) and the shape a per-channel vector broadcasts with."""
    return (0,) + tuple(range(2, x.ndim)), (1, x.shape[1]) + (1,) * (x.ndim - 2)


class _GlobalMean(Function):
    """The per-channel mean over the rows of every rank, whose value the forward pass already knows.

    Forward returns `value` (shaped to broadcast); backward spreads the all-reduced
    gradient sum over the rows: d mean / d x = 1 / M for every row of every rank.
    """

    def __init__(self, world, value, rows):
        self.world, self.value, self.rows = world, value, rows

    def forward(self, x):
        _, bshape = _axes_and_shape(x)
        return self.value.reshape(bshape)

    def backward(self, g):
        x, = self.inputs
        axes, _ = _axes_and_shape(x)
        total = all_reduce(_sum(g, axes, keepdims=True), self.world)
        return broadcast_to(total * Tensor(1.0 / self.rows), x.shape)


class SyncBatchNormFunction(Function):
    """(x, gamma, beta) -> y, training-mode batch norm with statistics over every rank of `world`.

    After the call ``batch_mean``, ``batch_var`` (biased) and ``rows`` (the global row
    count M, a 0-d array on x's device) are set, for the running statistics.
    """

    def __init__(self, eps: float, world):
        self.eps, self.world = float(eps), world

    def forward(self, x, gamma, beta):
        xp = get_array_module(x)
        axes, bshape = _axes_and_shape(x)
        c = x.shape[1]
        sums = xp.empty(c + 1, dtype=x.dtype)
        sums[:c] = x.sum(axis=axes)
        sums[c] = x.size // c
        self.world.allreduce(sums, "sum")  # the row count travels with the sums: ranks may hold unequal batches
        rows = sums[c:].reshape(())  # a 0-d array: it stays on the device
        mean = sums[:c] / rows
        xc = x - mean.reshape(bshape)
        var = self.world.allreduce(xp.ascontiguousarray((xc * xc).sum(axis=axes)), "sum") / rows
        inv_std = 1.0 / xp.sqrt(var + self.eps)
        xc *= inv_std.reshape(bshape)
        y = xc * gamma.reshape(bshape)
        y += beta.reshape(bshape)
        self.batch_mean, self.batch_var, self.rows = mean, var, rows
        return y

    def backward(self, gy):
        x, gamma, _ = self.inputs
        axes, bshape = _axes_and_shape(x)
        c = x.shape[1]
        # the statistics again as functions of x (their values are known), for double backward
        rows = self.rows
        mean = _GlobalMean(self.world, self.batch_mean, rows)(x)
        xc = x - mean
        var = _GlobalMean(self.world, self.batch_var, rows)(xc * xc)
        inv_std = (var + self.eps) ** -0.5
        xhat = xc * inv_std
        gbeta = _sum(gy, axes)
        ggamma = _sum(gy * xhat, axes)
        means = all_reduce(concat([gbeta, ggamma]), self.world) * Tensor(1.0 / rows)
        gx = (reshape(gamma, bshape) * inv_std) * (gy - reshape(means[:c], bshape)
                                                   - xhat * reshape(means[c:], bshape))
        return gx, ggamma, gbeta


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation over (N, C, *) input with statistics from every rank (``torch.nn.SyncBatchNorm``).

    `process_group` is a `minigan.distributed` communicator (None: the world, looked up at
    the first forward). Running statistics use the global batch (the unbiased variance
    over all M rows), so every rank keeps the same ones.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")

    def forward(self, input: Tensor) -> Tensor:
        world = self.process_group if self.process_group is not None else get_world()
        if not self.training or world.size == 1:
            return super().forward(input)
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise ValueError(f"SyncBatchNorm({self.num_features}) got input with {input.shape[1]} "
                             f"channels (shape {tuple(input.shape)})")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.array[...] += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        xp = input.xp
        with input.device.scope():
            gamma = self.weight if self.weight is not None else Tensor(xp.ones(self.num_features, input.dtype))
            beta = self.bias if self.bias is not None else Tensor(xp.zeros(self.num_features, input.dtype))
        fn = SyncBatchNormFunction(self.eps, world)
        y = fn(input, gamma, beta)
        if self.track_running_stats:
            rm, rv = self.running_mean.array, self.running_var.array
            rm *= 1.0 - factor
            rm += (fn.batch_mean * factor).astype(rm.dtype, copy=False)
            rv *= 1.0 - factor
            rv += (fn.batch_var * (factor * fn.rows / (fn.rows - 1))).astype(rv.dtype, copy=False)
        return y

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Replace every BatchNorm1d/2d in `module` (itself included) with a SyncBatchNorm sharing its tensors.

        The new layers hold the same weight, bias and running-statistic tensors and the
        same train/eval mode; returns the converted module (`module` itself unless it was
        a BatchNorm), as ``torch.nn.SyncBatchNorm.convert_sync_batchnorm``.
        """
        converted = module
        if isinstance(module, _BatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group)
            if module.affine:
                converted.weight = module.weight
                converted.bias = module.bias
            converted.running_mean = module.running_mean
            converted.running_var = module.running_var
            converted.num_batches_tracked = module.num_batches_tracked
            converted.training = module.training
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted
