"""The four things we time, behind one small interface: minigan on NumPy or CuPy, PyTorch on
the CPU or CUDA.

Both frameworks speak PyTorch's names (``F.conv2d``, ``nn.BatchNorm2d``, ``optim.Adam``,
``Tensor.backward(gradient)``), so each benchmark is written once against a `Backend` and
runs unchanged on every side. Inputs are drawn from one NumPy generator, so every side
computes on the same float32 numbers.
"""
from __future__ import annotations

import importlib
import os

import numpy as np

LATENT_DIM = 100
LR = 2e-4
BETAS = (0.5, 0.999)

ALL_BACKENDS = ("minigan-numpy", "torch-cpu", "minigan-cupy", "torch-cuda")
# Each minigan backend is compared with the PyTorch backend on the same device.
PAIRS = {"cpu": ("minigan-numpy", "torch-cpu"), "cuda": ("minigan-cupy", "torch-cuda")}


class Unavailable(RuntimeError):
    """A backend (or a piece of one) that cannot run here; the reason goes into the report."""


def backends_for(device: str) -> list[str]:
    if device == "cpu":
        return list(PAIRS["cpu"])
    if device == "cuda":
        return list(PAIRS["cuda"])
    return list(ALL_BACKENDS)


class Backend:
    name: str
    framework: str
    device: str  # "cpu" or "cuda"

    def sync(self) -> None:  # a no-op on the CPU
        pass

    def from_numpy(self, array: np.ndarray, requires_grad: bool = False):
        raise NotImplementedError

    def backward(self, y, gy) -> None:
        y.backward(gy)

    @staticmethod
    def clear_grads(*tensors) -> None:
        for t in tensors:
            t.grad = None

    def __repr__(self) -> str:
        return f"<backend {self.name}>"


# ---- minigan ------------------------------------------------------------------------------


class MiniganBackend(Backend):
    framework = "minigan"

    def __init__(self, device: str):
        import minigan
        self.mg = minigan
        self.device = device
        self.name = "minigan-numpy" if device == "cpu" else "minigan-cupy"
        if device == "cuda" and not minigan.cuda.is_available():
            raise Unavailable("CuPy with a visible GPU is needed for minigan-cupy")

    # Pieces of the engine that land at different times: look them up lazily so a missing one
    # marks only the benchmarks that need it as unavailable.
    def _module(self, name: str):
        try:
            return importlib.import_module(name)
        except ImportError as exc:
            raise Unavailable(f"{name} is not importable yet ({exc})") from None

    @property
    def F(self):
        return self._module("minigan.nn.functional")

    @property
    def nn(self):
        return self._module("minigan.nn")

    @property
    def optim(self):
        return self._module("minigan.optim")

    def sync(self) -> None:
        if self.device == "cuda":
            self.mg.cuda.synchronize()

    def from_numpy(self, array: np.ndarray, requires_grad: bool = False):
        return self.mg.tensor(np.ascontiguousarray(array, dtype=np.float32), requires_grad=requires_grad,
                              device=self.device)

    def module(self, m):
        return m.to(self.device) if self.device != "cpu" else m

    def adam(self, params):
        return self.optim.Adam(list(params), lr=LR, betas=BETAS)

    def build_models(self, model: str, seed: int = 0):
        return build_minigan_models(self, model, seed)

    def train_step(self, model: str, batch: int, seed: int = 0):
        return MiniganGANStep(self, model, batch, seed)


def build_minigan_models(b: MiniganBackend, model: str, seed: int = 0):
    """minigan's G and D from `minigan.gan.build_models` (the family's models), seeded, in training mode."""
    from minigan.gan import build_models
    b.mg.manual_seed(seed)
    G, D = build_models(model)
    G, D = b.module(G), b.module(D)
    G.train()
    D.train()
    return G, D, "minigan.gan.build_models"


def real_batch(batch: int, seed: int = 0) -> np.ndarray:
    """A stand-in for an MNIST batch: uniform in [-1, 1], the range tanh outputs and
    normalised images share. Random data costs the same as real digits and needs no files."""
    return np.random.default_rng(seed + 1).uniform(-1, 1, (batch, 1, 28, 28)).astype(np.float32)


class MiniganGANStep:
    """One GAN iteration in minigan: the trainer's own step, ``GANUpdater.step``, on a fixed real batch.

    The same work as `torch_reference.TorchGANStep`: D on a real and a detached fake batch
    (BCE-with-logits, real -> 1, fake -> 0), Adam on D; then the non-saturating G loss on D(G(z))
    recomputed with the updated D (D's weights frozen for that backward pass), Adam on G. The
    updater runs with ``statistics = False``: no loss ``.item()``s, gradient norms or D(x) means,
    which the PyTorch side has no counterpart for.
    """

    def __init__(self, b: MiniganBackend, model: str, batch: int, seed: int = 0):
        from minigan.gan.core.losses import BCELoss
        from minigan.gan.training import GANUpdater
        self.b = b
        self.G, self.D, self.models_from = b.build_models(model, seed)
        self.opt_g = b.adam(self.G.parameters())
        self.opt_d = b.adam(self.D.parameters())
        self.updater = GANUpdater(self.G, self.D, self.opt_g, self.opt_d, BCELoss(), device=b.device,
                                  latent_dim=LATENT_DIM)
        self.updater.statistics = False
        self.real = b.from_numpy(real_batch(batch, seed))
        self.batch = batch

    def __call__(self):
        return self.updater.step([self.real])

    def sync(self) -> None:
        self.b.sync()


# ---- PyTorch ------------------------------------------------------------------------------


def torch_threads_default() -> int:
    return os.cpu_count() or 1


class TorchBackend(Backend):
    framework = "torch"

    def __init__(self, device: str):
        try:
            import torch
        except ImportError:
            raise Unavailable("torch is not installed") from None
        self.torch = torch
        self.device = device
        self.name = "torch-cpu" if device == "cpu" else "torch-cuda"
        if device == "cuda" and not torch.cuda.is_available():
            raise Unavailable("torch sees no CUDA device")
        self.F = torch.nn.functional
        self.nn = torch.nn
        self.optim = torch.optim

    def sync(self) -> None:
        if self.device == "cuda":
            self.torch.cuda.synchronize()

    def from_numpy(self, array: np.ndarray, requires_grad: bool = False):
        t = self.torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)).to(self.device)
        return t.requires_grad_(requires_grad)

    def module(self, m):
        return m.to(self.device)

    def adam(self, params):
        return self.torch.optim.Adam(list(params), lr=LR, betas=BETAS)

    def build_models(self, model: str, seed: int = 0):
        from . import torch_reference
        G, D = torch_reference.build_models(model, self.device, seed)
        return G, D, "benchmarks.torch_reference"

    def train_step(self, model: str, batch: int, seed: int = 0):
        from . import torch_reference
        step = torch_reference.TorchGANStep(model, batch, self.device, seed)
        step.real = self.from_numpy(real_batch(batch, seed))  # the very same pixels as minigan's
        step.models_from = "benchmarks.torch_reference"
        return step


def make_backend(name: str) -> Backend:
    """Build a backend by name; raises `Unavailable` with the reason when it cannot run here."""
    if name == "minigan-numpy":
        return MiniganBackend("cpu")
    if name == "minigan-cupy":
        return MiniganBackend("cuda")
    if name == "torch-cpu":
        return TorchBackend("cpu")
    if name == "torch-cuda":
        return TorchBackend("cuda")
    raise ValueError(f"unknown backend {name!r}; choose from {', '.join(ALL_BACKENDS)}")
