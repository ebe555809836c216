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


def _split_models(built):
    """(G, D) from whatever build_models returns: a pair, a dict or an object with attributes."""
    if isinstance(built, (tuple, list)) and len(built) >= 2:
        return built[0], built[1]
    if isinstance(built, dict):
        for g, d in (("G", "D"), ("generator", "discriminator"), ("netG", "netD")):
            if g in built and d in built:
                return built[g], built[d]
    for g, d in (("G", "D"), ("generator", "discriminator"), ("netG", "netD")):
        if hasattr(built, g) and hasattr(built, d):
            return getattr(built, g), getattr(built, d)
    raise Unavailable(f"minigan.gan.models.build_models returned {type(built).__name__}; expected (G, D)")


def build_minigan_models(b: MiniganBackend, model: str, seed: int = 0):
    """minigan's G and D: from `minigan.gan.models.build_models` when it exists, else the same
    layers assembled here from minigan.nn (the fallback keeps the benchmarks running while the
    gan package is being written)."""
    b.mg.manual_seed(seed)
    try:
        models = importlib.import_module("minigan.gan.models")
        builder = getattr(models, "build_models")
    except (ImportError, AttributeError):
        G, D = _fallback_models(b, model)
        source = "benchmarks fallback (minigan.nn)"
    else:
        import inspect
        kwargs = {"device": b.device} if "device" in inspect.signature(builder).parameters else {}
        G, D = _split_models(builder(model, **kwargs))
        source = "minigan.gan.models.build_models"
    G, D = b.module(G), b.module(D)
    G.train()
    D.train()
    return G, D, source


def _fallback_models(b: MiniganBackend, model: str):
    nn = b.nn

    class Reshape(nn.Module):
        def __init__(self, *shape):
            super().__init__()
            self.shape = shape

        def forward(self, x):
            return x.reshape(x.shape[0], *self.shape)

    if model == "mlp":
        layers = []
        width = LATENT_DIM
        for out in (256, 512, 1024):
            layers += [nn.Linear(width, out), nn.BatchNorm1d(out, eps=1e-5, momentum=0.1), nn.LeakyReLU(0.2)]
            width = out
        layers += [nn.Linear(width, 784), nn.Tanh(), Reshape(1, 28, 28)]
        G = nn.Sequential(*layers)
        D = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256),
                          nn.LeakyReLU(0.2), nn.Linear(256, 1))
    elif model == "dcgan":
        G = nn.Sequential(
            nn.Linear(LATENT_DIM, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7, eps=1e-5, momentum=0.1), nn.ReLU(),
            Reshape(128, 7, 7),
            nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1), nn.BatchNorm2d(64, eps=1e-5, momentum=0.1),
            nn.ReLU(),
            nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1), nn.Tanh())
        D = nn.Sequential(
            nn.Conv2d(1, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 4, stride=2, padding=1), nn.BatchNorm2d(128, eps=1e-5, momentum=0.1),
            nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
    else:
        raise ValueError(f"unknown model {model!r}")
    for net in (G, D) if model == "dcgan" else ():
        for m in net.modules():
            kind = type(m).__name__
            if kind in ("Conv2d", "ConvTranspose2d", "Linear"):
                nn.init.normal_(m.weight, 0.0, 0.02)
                nn.init.zeros_(m.bias)
            elif kind.startswith("BatchNorm"):
                nn.init.normal_(m.weight, 1.0, 0.02)
                nn.init.zeros_(m.bias)
    return G, D


def real_batch(batch: int, seed: int = 0) -> np.ndarray:
    """A stand-in for an MNIST batch: uniform in [-1, 1], the range tanh outputs and
    normalised images share. Random data costs the same as real digits and needs no files."""
    return np.random.default_rng(seed + 1).uniform(-1, 1, (batch, 1, 28, 28)).astype(np.float32)


class MiniganGANStep:
    """One GAN iteration in minigan, the same work as `torch_reference.TorchGANStep`:
    D on a real and a detached fake batch (BCE-with-logits, real → 1, fake → 0), Adam on D;
    then the non-saturating G loss on D(G(z)) recomputed with the updated D (D's weights
    frozen for that backward pass, as `GANTrainer.train_step` does), Adam on G.

    This is `GANTrainer.train_step` without its bookkeeping (loss `.item()`s, gradient norms,
    D(x) means), which the PyTorch side has no counterpart for."""

    def __init__(self, b: MiniganBackend, model: str, batch: int, seed: int = 0):
        self.b = b
        self.G, self.D, self.models_from = b.build_models(model, seed)
        self.opt_g = b.adam(self.G.parameters())
        self.opt_d = b.adam(self.D.parameters())
        self.F = b.F
        self.real = b.from_numpy(real_batch(batch, seed))
        self.ones = b.from_numpy(np.ones((batch, 1), np.float32))
        self.zeros = b.from_numpy(np.zeros((batch, 1), np.float32))
        self.batch = batch

    def __call__(self):
        mg, F = self.b.mg, self.F
        z = mg.randn(self.batch, LATENT_DIM, device=self.b.device)
        fake = self.G(z)
        self.opt_d.zero_grad()
        loss_d = (F.binary_cross_entropy_with_logits(self.D(self.real), self.ones)
                  + F.binary_cross_entropy_with_logits(self.D(fake.detach()), self.zeros))
        loss_d.backward()
        self.opt_d.step()
        self.opt_g.zero_grad()
        self.D.requires_grad_(False)
        loss_g = F.binary_cross_entropy_with_logits(self.D(fake), self.ones)
        loss_g.backward()
        self.D.requires_grad_(True)
        self.opt_g.step()
        return loss_d, loss_g

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
