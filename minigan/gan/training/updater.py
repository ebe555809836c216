"""Updaters: one training step of one GAN family, its optimisers and its state.

An updater is what changes between GAN families; the loop (``loop.Trainer``) and the
extensions stay the same. It owns

    step(batches)               one generator update after ``len(batches)`` discriminator
                                updates (``batches_per_step`` of them: n_critic); it ``report``s
                                the numbers worth logging (reporter.py) and returns them
    state_dict() / load_state_dict()   its modules, optimisers and penalties' counters
    generator                   the module samples, grids and evaluation come from (the EMA of G
                                when the ExponentialMovingAverage extension sets ``sample_generator``)
    fixed_inputs / save_grid    what the sample grids are drawn from, and the grid picture
    evaluate(n, ...)            the scores of an evaluation (FID, IS, coverage; a family adds its own)

``GANUpdater.step`` is Goodfellow's alternating step, written once; a family changes what it needs
through hooks (``real_labels`` / ``fake_labels`` / ``make_fakes`` / ``score``: how D scores a batch)
rather than rewriting it. Penalties (core/penalties.py) are objects the step is given; weight
clipping is a hook on D's optimiser (hooks.py); the EMA of G and lr schedules are extensions::

    class MyStep(GANUpdater):
        def step(self, batches):
            record = super().step(batches)
            report("my_number", 1.0)
            return record
"""
from __future__ import annotations

import contextlib
import math
from typing import Any, Iterator, Sequence

import numpy as np

from ... import backend, creation
from ...autograd import Tensor, no_grad
from ...backend import Device
from ...distributed.communicator import Communicator
from ...distributed.sharding import draw_rows
from ...evaluation import evaluate_samples
from ..core.checkpoint import CheckpointError, load_module_state
from ..core.losses import GANLoss
from ..core.plotting import save_grid
from ..core.sampling import generate
from .reporter import report

__all__ = ["Updater", "GANUpdater", "NonFiniteLoss", "grad_norm", "mean_sigmoid", "batch_images"]


class NonFiniteLoss(FloatingPointError):
    """Raised by an updater when a loss is NaN or infinite; the loop turns it into NonFiniteLossError."""

    def __init__(self, which: str, value: float):
        super().__init__(f"{which} is {value}")
        self.which, self.value = which, value


_NORM_BLOCK = 4096  # float32 partial sums of this many squares each: relative error ~1e-7, then summed in float64


def grad_norm(parameters) -> float:
    """The L2 norm of all gradients of `parameters`: float32 sums of squares per 4096-element block,
    the blocks' partial sums added in float64."""
    # Summed where the gradients live and read back once: a read per parameter is a GPU sync each.
    # A sum over a whole array runs in memory order, and a gradient may come back feature-major from one step
    # and C-ordered from another (the layout rule picks per call): summed in C order, the logged norm is the
    # same bits whichever layout arrived (resume compares logs bit for bit).
    # Blocks of float32 einsum read the gradient once with no cast: a float64-accumulating einsum (a cast of
    # every element) made the MLP trainer's step ~10% slower than the bare step, the blocked sum ~4x less.
    total = 0.0
    for p in parameters:
        if p.grad is not None:
            g = p.grad.array
            xp = backend.get_array_module(g)
            g = xp.ascontiguousarray(g).ravel()
            whole = g.size - g.size % _NORM_BLOCK
            if whole:
                rows = g[:whole].reshape(-1, _NORM_BLOCK)
                total = total + xp.einsum("ij,ij->i", rows, rows).sum(dtype=xp.float64)
            if whole < g.size:
                total = total + xp.einsum("i,i->", g[whole:], g[whole:], dtype=xp.float64)
    return math.sqrt(float(total))


@contextlib.contextmanager
def frozen(module) -> Iterator[None]:
    """Parameters of `module` record no gradient inside the block (D during G's backward pass), then as before.

        with frozen(D):
            loss_g = loss.g(D(fake)); loss_g.backward()   # gradients reach G only
    """
    params = list(module.parameters())
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)


def mean_sigmoid(scores: Tensor) -> float:
    """Mean of sigmoid(scores): D's average belief that its input is real."""
    x = backend.as_numpy(scores.array).astype(np.float64)
    return float(np.mean(0.5 * (np.tanh(0.5 * x) + 1.0)))


def batch_images(batch) -> Any:
    """The images of one batch: the loader yields (images, labels); a bare image batch is accepted too."""
    return batch[0] if isinstance(batch, (tuple, list)) else batch


class Updater:
    """Base class: named modules and optimisers, their state dict, sampling; subclasses write ``step``.

    `modules` and `optimizers` map checkpoint names to objects (``{"generator": G, ...}``,
    ``{"optimizer_g": opt, ...}``); ``state_dict`` stores each under its name, so the
    checkpoint format follows from the names. `generator_name` says which module samples.
    """

    batches_per_step: int = 1

    def __init__(self, modules: dict, optimizers: dict, *, device: "str | Device" = "cpu",
                 latent_dim: int | None = None, generator_name: str = "generator", penalties=()):
        self.modules, self.optimizers = dict(modules), dict(optimizers)
        self.device = Device(device)
        self.latent_dim = latent_dim
        self.generator_name = generator_name
        self.penalties = list(penalties)
        self.sample_generator = None   # set by the ExponentialMovingAverage extension: samples from the average
        self.statistics = True  # False: skip the logged numbers and finite checks (the benchmarks' step)
        # The ranks this updater trains with (the Trainer sets its own): gradients are averaged over them.
        self.world = Communicator()
        self.non_finite_loss: tuple[str, float] | None = None   # several ranks: (which, value), raised by all

    def step(self, batches: Sequence) -> dict:
        raise NotImplementedError

    @property
    def generator(self):
        """The module that samples, grids and evaluation use (the EMA of G when one is kept)."""
        return self.sample_generator if self.sample_generator is not None else self.modules[self.generator_name]

    def noise(self, n: int) -> Tensor:
        """Latent noise for `n` images, drawn on the CPU from minigan's seeded generator, then moved.

        The same noise on every device, and its state is what ``backend.get_rng_state()`` saves. On
        several ranks every rank draws the global batch's noise and keeps its own rows (``draw_rows``).
        """
        z = draw_rows(lambda rows: creation.randn(rows, self.latent_dim), n)
        return z if self.device.type == "cpu" else z.to(self.device)

    def penalty_terms(self, discriminator, critic, x: Tensor, fake: Tensor, record: dict) -> Tensor | None:
        """The sum of the penalties' terms for `critic` (D's score as a function of the images) on the real
        batch `x` and `fake`, each reported under its name; None when no penalty applies this step."""
        total = None
        for penalty in self.penalties:
            penalty.check(discriminator)   # D in train(): a batch-norm critic is refused here too
            term = penalty(critic, x, fake)
            if term is None:
                continue
            if self.statistics:
                record[penalty.name] = float(term.item())
            total = term if total is None else total + term
        return total

    def real_images(self, batch) -> Tensor:
        """The images of a loader batch as a Tensor on the updater's device."""
        x = batch_images(batch)
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.device != self.device:  # a loader of the user's on another device
            x = x.to(self.device)
        return x

    def check_finite(self, value: float, which: str) -> None:
        if not math.isfinite(value):
            if self.world.size == 1:
                raise NonFiniteLoss(which, value)
            # the other ranks are on their way into this step's all-reduce: finish it with them, and let
            # the trainer raise on every rank at once (Trainer.agree)
            if self.non_finite_loss is None:
                self.non_finite_loss = (which, value)

    def reduce_gradients(self, module) -> None:
        """Average `module`'s gradients over the ranks (one flat all-reduce): after backward, before the
        optimiser's step and before the gradient norm is logged. One process: nothing happens."""
        if self.world.size > 1:
            self.world.allreduce_grads(module.parameters())

    def non_finite_parameter(self) -> str | None:
        """'module parameter' of the first parameter holding NaN or inf, else None."""
        for name, module in self.modules.items():
            for pname, p in module.named_parameters():
                if not bool(p.xp.isfinite(p.array).all()):
                    return f"{name} parameter {pname}"
        return None

    def set_learning_rates(self, rates: dict) -> None:
        """{optimizer name: lr}: a new learning rate given on resume wins over the saved one."""
        for name, lr in rates.items():
            for group in self.optimizers[name].param_groups:
                group["lr"] = lr

    def state_dict(self) -> dict:
        state = {name: module.state_dict() for name, module in self.modules.items()}
        state.update({name: opt.state_dict() for name, opt in self.optimizers.items()})
        for penalty in self.penalties:
            if penalty.state_key is not None:
                state[penalty.state_key] = penalty.state_dict()
        return state

    def load_state_dict(self, state: dict, source: str = "checkpoint") -> None:
        for name, module in self.modules.items():
            if name not in state:
                raise CheckpointError(f"{source} has no {name} (it holds {', '.join(sorted(state))})")
            load_module_state(module, state[name], name, source)
        try:
            for name, opt in self.optimizers.items():
                opt.load_state_dict(state[name])
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            raise CheckpointError(f"{source} does not fit this run: {exc}") from None
        for penalty in self.penalties:
            if penalty.state_key is not None:
                penalty.load_state_dict(state.get(penalty.state_key, 0))

    def fixed_inputs(self, seed: int, n: int, loader=None) -> np.ndarray:
        """What every sample grid of the run is drawn from (checkpointed as 'fixed_noise'): (n, latent_dim) noise.

        Its own generator: drawing it never moves the training noise stream. An image-conditioned
        updater takes fixed example images from `loader` here too.
        """
        rng = np.random.default_rng([int(seed), 0x5A4D])
        return rng.standard_normal((n, self.latent_dim), dtype=np.float32)

    def grid_columns(self, fixed: np.ndarray) -> int | None:
        """Images per row of the grid drawn from `fixed` (None: a square grid)."""
        return None

    def save_grid(self, path, fixed: np.ndarray):
        """The sample grid of `fixed` as a PNG at `path`."""
        return save_grid(path, self.sample(fixed), nrow=self.grid_columns(fixed))

    def sample(self, fixed: np.ndarray) -> np.ndarray:
        """The grid images for `fixed` (eval mode, no graph), float32 host array (a conditional updater
        tiles one row per class here)."""
        fixed = np.asarray(fixed, dtype=np.float32)
        return generate(self.generator, len(fixed), noise=fixed, batch_size=max(len(fixed), 1), device=self.device)

    def evaluation_samples(self, n: int, *, seed: int, batch_size: int) -> np.ndarray:
        """`n` images to score, from their own seeded noise (``minigan eval --checkpoint`` draws the same)."""
        return generate(self.generator, n, latent_dim=self.latent_dim, batch_size=batch_size, seed=seed,
                        device=self.device)

    def evaluation_labels(self, n: int) -> np.ndarray | None:
        """The classes ``evaluation_samples(n)`` were drawn for (a conditional updater), else None."""
        return None

    def evaluate(self, n: int, *, dataset: str, data_dir=None, seed: int = 0, batch_size: int = 250) -> dict:
        """FID, Inception Score and class coverage of `n` samples drawn from their own seeded noise (the
        numbers ``minigan eval --checkpoint`` prints for the same weights); a family adds its own scores."""
        samples = self.evaluation_samples(n, seed=seed, batch_size=batch_size)
        return evaluate_samples(samples, dataset, data_dir=data_dir, device=str(self.device), batch_size=batch_size)


class GANUpdater(Updater):
    """Goodfellow's alternating step for an unconditional G and D under a ``GANLoss``.

    One step = ``len(batches)`` discriminator updates, then one generator update::

        for each real batch x:
            z ~ N(0, I);  fake = G(z)
            D step on D(x) and D(fake.detach()): two forward passes, so BatchNorm sees a
            real-only and a fake-only batch (as in PyTorch's DCGAN example)
        G step on D(fake) recomputed with the updated D (never the pre-update scores)

    Written once for every family: labels, fakes and D's scores come from hooks (``real_labels``,
    ``fake_labels``, ``make_fakes``, ``score``) that ConditionalUpdater overrides; penalties are objects
    it is given (``critic_penalty`` adds their terms), weight clipping is a hook on D's optimiser, the EMA
    of G and lr schedules are extensions. With none of them the numbers are the plain step's.
    """

    def __init__(self, generator, discriminator, opt_g, opt_d, loss: GANLoss, *, device="cpu",
                 latent_dim: int | None = None, n_critic: int = 1, penalties=()):
        super().__init__({"generator": generator, "discriminator": discriminator},
                         {"optimizer_g": opt_g, "optimizer_d": opt_d}, device=device,
                         latent_dim=latent_dim if latent_dim is not None else getattr(generator, "latent_dim", None),
                         penalties=penalties)
        self.G, self.D, self.opt_g, self.opt_d, self.loss = generator, discriminator, opt_g, opt_d, loss
        self.batches_per_step = int(n_critic)
        for penalty in self.penalties:
            penalty.check(self.D)

    # ---- what a family changes: labels, fakes, D's scores (ConditionalUpdater overrides these) ------------
    def real_labels(self, batch, n: int) -> Tensor | None:
        """The labels D sees with a real batch of `n` images: none for an unconditional D."""
        return None

    def fake_labels(self, n: int, z: Tensor | None = None) -> Tensor | None:
        """The labels a fake batch of noise `z` is drawn for (drawn after the noise, from the same stream, or
        read from the noise itself): none here."""
        return None

    def make_fakes(self, z: Tensor, labels: Tensor | None) -> Tensor:
        """G's images for noise `z` (and `labels`, for a conditional G): G(z) here."""
        return self.G(z)

    def score(self, images: Tensor, labels: Tensor | None = None) -> tuple[tuple, Tensor]:
        """(D's outputs as the loss takes them, the real/fake scores alone) for a batch: ((D(x),), D(x)) here;
        D(x, y) for a cGAN, ((scores, class_logits, y), scores) for an AC-GAN."""
        scores = self.D(images)
        return (scores,), scores

    # ---- the step --------------------------------------------------------------------------------------
    def discriminator_step(self, x: Tensor, fake_for_d: Tensor, record: dict, labels: Tensor | None = None,
                           fake_labels: Tensor | None = None) -> None:
        """One D update on a real and a fake batch (with their labels); fills loss_D, D_x, D_G_z, grad_norm_D."""
        D, loss = self.D, self.loss
        self.opt_d.zero_grad()
        real_args, real_scores = self.score(x, labels)                # a real-only batch ...
        fake_args, fake_scores = self.score(fake_for_d, fake_labels)  # ... and a fake-only batch: separate
        loss_d = loss.d_real(*real_args) + loss.d_fake(*fake_args)    # BatchNorm statistics
        penalty = self.critic_penalty(x, fake_for_d, record, labels)
        if penalty is not None:
            loss_d = loss_d + penalty
        if self.statistics:
            loss_d_value = float(loss_d.item())
            self.check_finite(loss_d_value, "loss_D")
        loss_d.backward()
        self.reduce_gradients(D)
        if self.statistics:
            record["grad_norm_D"] = grad_norm(D.parameters())
        self.opt_d.step()
        if self.statistics:
            record["loss_D"] = loss_d_value
            record["D_x"] = mean_sigmoid(real_scores)
            record["D_G_z"] = mean_sigmoid(fake_scores)

    def critic_score(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        """D's real/fake scores of `images` (labels held fixed): what a penalty differentiates."""
        return self.score(images, labels)[1]

    def critic_penalty(self, x: Tensor, fake: Tensor, record: dict, labels: Tensor | None = None) -> Tensor | None:
        """The sum of the penalties' terms on the real batch `x` (with its `labels`) and `fake`, or None."""
        if not self.penalties:
            return None

        def critic(images: Tensor) -> Tensor:   # D as a function of the image alone, the labels held fixed
            return self.critic_score(images, labels)

        return self.penalty_terms(self.D, critic, x, fake, record)

    def generator_step(self, fake: Tensor, record: dict, labels: Tensor | None = None) -> tuple:
        """One G update on D's scores of `fake` (drawn for `labels`), with D's weights frozen for the backward;
        returns the loss's arguments (D's outputs), for a family that logs more of them."""
        D = self.D
        self.opt_g.zero_grad()
        with frozen(D):  # no gradients for D's weights in G's backward pass
            args, scores = self.score(fake, labels)
            loss_g = self.loss.g(*args)
            if self.statistics:
                loss_g_value = float(loss_g.item())
                self.check_finite(loss_g_value, "loss_G")
            loss_g.backward()
        self.reduce_gradients(self.G)
        if self.statistics:
            record["grad_norm_G"] = grad_norm(self.G.parameters())
        self.opt_g.step()
        if self.statistics:
            record["loss_G"] = loss_g_value
            record["D_G_z_after"] = mean_sigmoid(scores)
        return args

    def step(self, batches: Sequence) -> dict:
        """One generator update after len(batches) discriminator updates; returns the log record."""
        self.G.train()
        self.D.train()
        fake = fake_y = None
        record: dict[str, Any] = {}
        for k, batch in enumerate(batches):
            x = self.real_images(batch)
            n = x.shape[0]
            y = self.real_labels(batch, n)
            z = self.noise(n)
            labels = self.fake_labels(n, z)   # drawn after the noise: the order resume reproduces
            if k == len(batches) - 1:
                fake, fake_y = self.make_fakes(z, labels), labels   # kept with its graph: the G step reuses it
                fake_for_d = fake.detach()
            else:
                with no_grad():
                    fake_for_d = self.make_fakes(z, labels)
            self.discriminator_step(x, fake_for_d, record, y, labels)
        self.generator_step(fake, record, fake_y)
        report(record)
        return record
