"""Spectral normalisation (Miyato et al. 2018) as torch.nn.utils.spectral_norm: same names, same semantics.

The layer's weight is divided by an estimate of its largest singular value,
which bounds the layer's Lipschitz constant by 1 (a stabiliser for GAN
discriminators)::

    W_mat = weight_orig with dimension `dim` first, flattened to (h, w)
    v = normalize(W_mat^T u);  u = normalize(W_mat v)     # n_power_iterations times, training mode only
    weight = weight_orig / (u^T W_mat v)

`spectral_norm(module)` moves the parameter to ``weight_orig`` and adds the
buffers ``weight_u`` (h,) and ``weight_v`` (w,), so the state dict holds
``weight_orig``, ``weight_u`` and ``weight_v`` as PyTorch's does and loads
from it. A forward pre-hook recomputes ``module.weight`` (a plain tensor in
the graph of ``weight_orig``) before every call; u and v are constants to
autograd, as in PyTorch, and are updated in place only in training mode.

    d = nn.utils.spectral_norm(nn.Conv2d(1, 64, 4, 2, 1))
    d(x); d.state_dict().keys()   # bias, weight_orig, weight_u, weight_v
    nn.utils.remove_spectral_norm(d)
"""
from __future__ import annotations

from .. import backend
from ..autograd import Tensor, no_grad
from ..creation import randn
from ..ops.shape import permute, reshape
from .conv import ConvTranspose2d
from .module import Module
from .parameter import Parameter

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


def _normalize(a, eps: float):
    """a / max(||a||, eps), as torch.nn.functional.normalize for a vector."""
    return a / max(float(backend.get_array_module(a).sqrt((a * a).sum())), eps)


class SpectralNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_orig``, ``<name>_u``, ``<name>_v``."""

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12):
        if n_power_iterations <= 0:
            raise ValueError(f"spectral_norm: expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name, self.dim, self.n_power_iterations, self.eps = name, int(dim), int(n_power_iterations), eps

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        """The weight with dimension `dim` first, flattened to (h, w) (differentiable)."""
        if self.dim != 0:
            order = [self.dim] + [d for d in range(weight.ndim) if d != self.dim]
            weight = permute(weight, *order)
        return reshape(weight, (weight.shape[0], -1))

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            m = mat.array
            for _ in range(self.n_power_iterations):
                # in place, so the buffers (and the state dict) hold the latest estimate
                v.array[...] = _normalize(m.T @ u.array, self.eps)
                u.array[...] = _normalize(m @ v.array, self.eps)
        # copies: later in-place updates of the buffers must not change this forward's graph
        u_c, v_c = Tensor(u.array.copy()), Tensor(v.array.copy())
        sigma = (u_c * (mat @ v_c)).sum()
        return weight / sigma

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(Tensor(weight.array.copy())))

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module: Module, name: str, n_power_iterations: int, dim: int, eps: float) -> "SpectralNorm":
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        weight = module._parameters.get(name)
        if weight is None:
            raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter {name!r} "
                             f"(parameters: {', '.join(module._parameters) or 'none'})")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        h, w = fn.reshape_weight_to_matrix(weight).shape
        # u, v start random and normalised, as PyTorch's (not yet power-iterated)
        u = randn(h, dtype=weight.dtype, device=weight.device)
        v = randn(w, dtype=weight.dtype, device=weight.device)
        u.array[...] = _normalize(u.array, eps)
        v.array[...] = _normalize(v.array, eps)
        delattr(module, name)
        module.register_parameter(name + "_orig", weight)
        setattr(module, name, Tensor(weight.array))
        module.register_buffer(name + "_u", u)
        module.register_buffer(name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Apply spectral normalisation to ``module.<name>`` and return the module (as PyTorch).

    ``dim`` is the output dimension: 0, or 1 for ConvTranspose2d (whose weight is (in, out, kh, kw)).
    """
    if dim is None:
        dim = 1 if isinstance(module, ConvTranspose2d) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo `spectral_norm`: ``<name>`` becomes a parameter again, holding the normalised weight."""
    return remove_reparametrisation(module, SpectralNorm, name, "spectral_norm")


def remove_reparametrisation(module: Module, kind: type, name: str, what: str) -> Module:
    """Take out the forward pre-hook of type `kind` that recomputes ``module.<name>`` (spectral norm, weight
    norm); ``<name>`` becomes one parameter again. ValueError naming `what` when there is none."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, kind) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"{what} of '{name}' not found in {module}")
