"""Weight normalisation (Salimans & Kingma 2016) as torch.nn.utils.weight_norm: same names, same semantics.

The weight is split into a direction and a magnitude, trained separately::

    weight = weight_g * weight_v / ||weight_v||      (the norm over every dimension but `dim`)

`weight_norm(module)` replaces the parameter ``weight`` by ``weight_g`` (shape 1 everywhere
but `dim`) and ``weight_v`` (the old weight), so the state dict holds PyTorch's keys; a
forward pre-hook recomputes ``module.weight`` in the graph of both before every call.
``dim=None`` (or -1, PyTorch's spelling of it) normalises the whole tensor and makes
``weight_g`` a scalar.

    layer = nn.utils.weight_norm(nn.Linear(20, 40))
    layer.state_dict().keys()     # bias, weight_g, weight_v
    nn.utils.remove_weight_norm(layer)
"""
from __future__ import annotations

from ..autograd import Tensor, no_grad
from ..ops.reduce import norm
from .module import Module
from .parameter import Parameter
from .spectral_norm import remove_reparametrisation

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


def norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm of `v` over every dimension but `dim`, kept as size-1 dimensions (dim -1: the whole norm)."""
    if dim == -1:
        return norm(v, 2)
    axes = tuple(d for d in range(v.ndim) if d != dim)
    return norm(v, 2, axes, keepdim=True) if axes else v.abs()


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name: str, dim: int):
        self.name, self.dim = name, dim

    def compute_weight(self, module: Module) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / norm_except_dim(v, self.dim))

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        module.register_parameter(self.name, Parameter(Tensor(weight.array.copy())))

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))

    @staticmethod
    def apply(module: Module, name: str, dim: int | None) -> "WeightNorm":
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        weight = module._parameters.get(name)
        if weight is None:
            raise ValueError(f"weight_norm: {type(module).__name__} has no parameter {name!r} "
                             f"(parameters: {', '.join(module._parameters) or 'none'})")
        if dim is None:
            dim = -1
        if not -1 <= dim < weight.ndim:
            raise IndexError(f"weight_norm: dim {dim} is out of range for {name} of shape {weight.shape}")
        fn = WeightNorm(name, dim)
        g = norm_except_dim(weight, dim)
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(Tensor(g.array.copy())))
        module.register_parameter(name + "_v", Parameter(Tensor(weight.array)))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrise ``module.<name>`` as ``<name>_g * <name>_v / ||<name>_v||`` and return the module.

    `dim` is the dimension kept by the norm (0: one magnitude per output unit of Linear and
    Conv2d); None or -1 takes the norm of the whole tensor.
    """
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo `weight_norm`: ``<name>`` becomes one parameter again, holding g * v / ||v||."""
    return remove_reparametrisation(module, WeightNorm, name, "weight_norm")
