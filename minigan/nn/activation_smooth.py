"""Activation modules ELU, GELU, SiLU, Mish, PReLU and Hardtanh, as torch.nn's (thin wrappers of F)."""
from __future__ import annotations

from ..autograd import Tensor
from . import functional as F
from ._factory import check_size, empty_parameter
from .module import Module

__all__ = ["ELU", "GELU", "SiLU", "Mish", "PReLU", "Hardtanh"]


class ELU(Module):
    """x for x > 0, alpha * (exp(x) - 1) otherwise: ``ELU(alpha=1.0)``; any shape in, the same out."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace  # accepted for PyTorch compatibility; minigan never works in place

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """x * Phi(x): ``GELU()`` (exact, with erf) or ``GELU(approximate='tanh')``."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x): ``SiLU()``."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Mish(Module):
    """x * tanh(softplus(x)): ``Mish()``."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class PReLU(Module):
    """x for x > 0, a * x otherwise, with a learnt: ``PReLU(num_parameters=1, init=0.25)``.

    ``weight`` is (num_parameters,): one slope shared, or one per channel (input dimension 1).
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = check_size("PReLU", "num_parameters", num_parameters)
        self.init = init
        self.weight = empty_parameter((self.num_parameters,), device, dtype, fill=init)

    def reset_parameters(self) -> None:
        self.weight.array[...] = self.init

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Hardtanh(Module):
    """clamp(x, min_val, max_val): ``Hardtanh(min_val=-1.0, max_val=1.0)``; gradient 0 at and beyond the bounds."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val cannot be greater than max_val, got min_val={min_val}, "
                             f"max_val={max_val}")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")
