"""The ``minigan`` command line: ``minigan train``, ``minigan sample``, ``minigan info`` ...

Each command is one small function registered with ``@command``: it adds its
arguments to its own subparser and returns the handler, ``handler(args) -> int``.
Adding a command is one more decorated function (see ``_info`` for the shortest)::

    @command("eval", help="score a generator")
    def _eval(parser):
        parser.add_argument("--checkpoint", required=True)
        return run_eval           # run_eval(args) -> exit status

Errors: bad usage exits 2 with argparse's message; a runtime failure the user can
fix (missing data, a bad checkpoint, no GPU, a NaN loss) prints
``minigan: error: ...`` and exits 1; Ctrl-C exits 130.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, Sequence

__all__ = ["main", "command", "build_parser", "UsageError", "CommandError", "COMMANDS"]

PROG = "minigan"


class UsageError(Exception):
    """Bad arguments noticed after parsing (exit status 2)."""


class CommandError(Exception):
    """A runtime failure with a message for the user (exit status 1)."""


Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], Handler]]] = {}


def command(name: str, *, help: str) -> Callable:
    """Register ``setup(parser) -> handler`` as the subcommand `name`."""
    def decorator(setup: Callable[[argparse.ArgumentParser], Handler]):
        COMMANDS[name] = (help, setup)
        return setup
    return decorator


# ---- argument types -------------------------------------------------------------------------

def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (value > 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _unit_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}")
    return value


def _device(text: str) -> str:
    from .backend import Device, DeviceError
    try:
        return str(Device(text))
    except DeviceError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# ---- train ----------------------------------------------------------------------------------

@command("train", help="train a GAN (default: the DCGAN on MNIST, on the CPU)")
def _train(parser: argparse.ArgumentParser) -> Handler:
    from .gan.losses import G_LOSSES, LOSSES
    from .gan.models import MODELS
    # Defaults are None here and filled in from TrainConfig, so a resumed run can tell
    # which options were given on the command line.
    parser.description = ("Train a GAN with Goodfellow's alternating updates. Every step is logged to "
                          "RUN_DIR/log.jsonl; every epoch writes a sample grid and the loss curves; "
                          "RUN_DIR/checkpoint.npz is written every --checkpoint-every steps, on Ctrl-C and at the "
                          "end, and --resume RUN_DIR continues exactly where the run stopped. --eval-every N "
                          "scores the generator (FID, Inception Score) every N epochs.")
    parser.epilog = "example: minigan train --model dcgan --epochs 5 --out runs/dcgan"
    model = parser.add_argument_group("model")
    model.add_argument("--model", choices=sorted(MODELS), default=None, help="architecture (default: dcgan)")
    model.add_argument("--latent-dim", type=_positive_int, default=None, help="noise size (default: 100)")
    model.add_argument("--width", type=_positive_int, default=None,
                       help="dcgan: base channels (default 64); mlp: first hidden layer units (default 256)")
    objective = parser.add_argument_group("objective and optimiser")
    objective.add_argument("--loss", choices=list(LOSSES), default=None, help="GAN objective (default: bce)")
    objective.add_argument("--g-loss", choices=list(G_LOSSES), default=None,
                           help="generator loss for bce (default: non-saturating)")
    objective.add_argument("--label-smoothing", type=_unit_float, default=None, metavar="S",
                           help="bce only: one-sided smoothing, D's real target becomes 1-S (e.g. 0.1; default 0)")
    objective.add_argument("--lsgan-a", type=float, default=None, help="lsgan: D's fake target (default 0)")
    objective.add_argument("--lsgan-b", type=float, default=None, help="lsgan: D's real target (default 1)")
    objective.add_argument("--lsgan-c", type=float, default=None, help="lsgan: G's target (default 1)")
    objective.add_argument("--lr-g", type=_positive_float, default=None, help="generator Adam lr (default 2e-4)")
    objective.add_argument("--lr-d", type=_positive_float, default=None, help="discriminator Adam lr (default 2e-4)")
    objective.add_argument("--beta1", type=_unit_float, default=None, help="Adam beta1 (default 0.5)")
    objective.add_argument("--beta2", type=_unit_float, default=None, help="Adam beta2 (default 0.999)")
    objective.add_argument("--n-critic", type=_positive_int, default=None,
                           help="discriminator steps per generator step (default 1)")
    run = parser.add_argument_group("data and run")
    run.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default=None, help="(default: mnist)")
    run.add_argument("--data-dir", default=None,
                     help="folder with the IDX files (default: $MINIGAN_DATA_DIR, the cache, else download)")
    run.add_argument("--no-download", dest="download", action="store_const", const=False, default=None,
                     help="fail instead of downloading the dataset when it is not found")
    run.add_argument("--epochs", type=_positive_int, default=None, help="epochs in all (default 5)")
    run.add_argument("--batch-size", type=_positive_int, default=None, help="(default 64)")
    run.add_argument("--max-steps", type=_positive_int, default=None,
                     help="stop after this many generator steps in all (smoke tests)")
    run.add_argument("--device", type=_device, default=None, help="cpu, cuda or cuda:N (default: cpu)")
    run.add_argument("--seed", type=_non_negative_int, default=None,
                     help="fixes initialisation, noise and data order (default 0)")
    run.add_argument("--out", default=None, metavar="RUN_DIR",
                     help="run folder (default: runs/<model>-<dataset>-<timestamp>)")
    run.add_argument("--resume", default=None, metavar="RUN_DIR",
                     help="continue the run in RUN_DIR (or a checkpoint file) where it stopped")
    run.add_argument("--checkpoint-every", type=_non_negative_int, default=None, metavar="N",
                     help="steps between checkpoints (default 500; 0: only on Ctrl-C and at the end)")
    run.add_argument("--samples", type=_positive_int, default=None, metavar="N",
                     help="images per sample grid (default 64)")
    run.add_argument("--progress", choices=["auto", "bar", "epoch", "none"], default=None,
                     help="progress display on stderr (default auto: a bar on a terminal, else a line per epoch)")
    evaluation = parser.add_argument_group("evaluation")
    evaluation.add_argument("--eval-every", type=_non_negative_int, default=None, metavar="N",
                            help="every N epochs score the generator (FID, Inception Score, classes covered, "
                                 "beside the real-data baseline; see `minigan eval`) into RUN_DIR/metrics.jsonl, "
                                 "log.jsonl and metrics.png (default 0: never)")
    evaluation.add_argument("--eval-n", type=_positive_int, default=None, metavar="N",
                            help="generated images per evaluation (default 10000; fewer is faster, FID is "
                                 "biased upwards at small N)")
    return _run_train


_TRAIN_OPTIONS = {  # argparse dest -> TrainConfig field
    "model": "model", "latent_dim": "latent_dim", "width": "width", "loss": "loss", "g_loss": "g_loss",
    "label_smoothing": "label_smoothing", "lsgan_a": "lsgan_a", "lsgan_b": "lsgan_b", "lsgan_c": "lsgan_c",
    "lr_g": "lr_g", "lr_d": "lr_d", "beta1": "beta1", "beta2": "beta2", "n_critic": "n_critic",
    "dataset": "dataset", "data_dir": "data_dir", "download": "download", "epochs": "epochs", "batch_size": "batch_size",
    "max_steps": "max_steps", "device": "device", "seed": "seed", "out": "out",
    "checkpoint_every": "checkpoint_every", "samples": "n_samples", "progress": "progress",
    "eval_every": "eval_every", "eval_n": "eval_n",
}


def _run_train(args: argparse.Namespace) -> int:
    from .gan.trainer import GANTrainer, TrainConfig
    given = {field: getattr(args, dest) for dest, field in _TRAIN_OPTIONS.items() if getattr(args, dest) is not None}
    if args.resume is not None:
        if "out" in given:
            raise UsageError("--out cannot be combined with --resume (the run continues in its own folder)")
        try:
            trainer = GANTrainer.from_checkpoint(args.resume, **given)
        except ValueError as exc:
            if type(exc) is ValueError:  # a setting that cannot change on resume
                raise UsageError(str(exc)) from None
            raise
        print(f"resuming {trainer.run_dir} at step {trainer.step} (epoch {trainer.epoch + 1}, "
              f"batch {trainer.batch})", flush=True)
    else:
        try:
            config = TrainConfig(**given).validate()
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        try:
            trainer = GANTrainer(config)
        except ValueError as exc:
            if type(exc) is ValueError:  # options that do not fit together or with the data
                raise UsageError(str(exc)) from None
            raise
        print(f"training {trainer.config.model} ({trainer.config.loss} loss) on {trainer.config.dataset}, "
              f"device {trainer.device}, {trainer.steps_per_epoch} steps per epoch; run folder {trainer.run_dir}",
              flush=True)
    result = trainer.train()
    run_dir = result.run_dir
    status = "interrupted" if result.interrupted else "done"
    print(f"{status}: {result.step} steps, {result.epoch} epoch(s) complete", flush=True)
    print(f"  run folder:   {run_dir}")
    print(f"  log:          {result.log}")
    print(f"  checkpoint:   {result.checkpoint}")
    if result.samples:
        print(f"  samples:      {result.samples[-1]}" + (f" (and {len(result.samples) - 1} more)"
                                                        if len(result.samples) > 1 else ""))
    if result.loss_plot:
        print(f"  loss curves:  {result.loss_plot}")
    if result.metrics_log:
        print(f"  metrics:      {result.metrics_log}" + (f" (curves: {result.metrics_plot})"
                                                         if result.metrics_plot else ""))
    if result.interrupted:
        print(f"resume with:  minigan train --resume {run_dir}", flush=True)
        return 130
    return 0


# ---- sample ---------------------------------------------------------------------------------

@command("sample", help="draw images from a trained generator")
def _sample(parser: argparse.ArgumentParser) -> Handler:
    parser.description = ("Load a checkpoint's generator (eval mode) and save N images as a float32 .npy array "
                          "of shape (N, 1, 28, 28) with values in [-1, 1], plus an optional PNG grid.")
    parser.add_argument("--checkpoint", required=True, metavar="PATH",
                        help="checkpoint file, or a run folder holding checkpoint.npz")
    parser.add_argument("--n", type=_positive_int, default=10000, help="number of images (default 10000)")
    parser.add_argument("--out", default="samples.npy", help="output .npy file (default samples.npy)")
    parser.add_argument("--grid", default=None, metavar="PNG", help="also save a grid of the first 64 images")
    parser.add_argument("--seed", type=_non_negative_int, default=0, help="noise seed (default 0)")
    parser.add_argument("--device", type=_device, default="cpu", help="cpu, cuda or cuda:N (default: cpu)")
    parser.add_argument("--batch-size", type=_positive_int, default=500, help="images per forward pass")
    return _run_sample


def _run_sample(args: argparse.Namespace) -> int:
    from .gan.sampling import sample_checkpoint
    out_dir = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(out_dir):
        raise CommandError(f"the folder of --out {args.out} does not exist")
    images = sample_checkpoint(args.checkpoint, args.n, out=args.out, grid=args.grid, seed=args.seed,
                               device=args.device, batch_size=args.batch_size)
    print(f"wrote {images.shape[0]} images {tuple(images.shape)} {images.dtype} in "
          f"[{float(images.min()):.3f}, {float(images.max()):.3f}] to {args.out}")
    if args.grid:
        print(f"grid: {args.grid}")
    return 0


# ---- info -----------------------------------------------------------------------------------

@command("info", help="versions, array backends and devices")
def _info(parser: argparse.ArgumentParser) -> Handler:
    parser.description = "Print minigan's version, the NumPy/BLAS and CuPy backends, and the devices."
    return _run_info


def _blas_info() -> str:
    import numpy as np
    try:
        config = np.show_config(mode="dicts")
    except TypeError:  # NumPy < 1.26 has no mode= argument
        return "unknown (numpy < 1.26 cannot report it)"
    except Exception as exc:  # pragma: no cover - defensive
        return f"unknown ({exc})"
    deps = (config or {}).get("Build Dependencies", {})
    parts = []
    for key in ("blas", "lapack"):
        dep = deps.get(key) or {}
        if dep:
            text = f"{key}: {dep.get('name', '?')} {dep.get('version', '')}".rstrip()
            parts.append(text)
    return "; ".join(parts) if parts else "unknown"


def _run_info(args: argparse.Namespace) -> int:
    import platform

    import numpy as np

    from . import __version__, backend
    print(f"minigan {__version__}")
    print(f"python {platform.python_version()} ({sys.executable})")
    print(f"numpy {np.__version__}; {_blas_info()}")
    cp = backend._load_cupy()
    devices = ["cpu"]
    if cp is None:
        print(f"cupy: not available ({backend._cupy_error}); {backend.INSTALL_HINT}")
    else:
        try:
            count = cp.cuda.runtime.getDeviceCount()
            runtime = cp.cuda.runtime.runtimeGetVersion()
            print(f"cupy {cp.__version__}; CUDA runtime {runtime // 1000}.{(runtime % 1000) // 10}; "
                  f"{count} GPU(s)")
            for i in range(count):
                props = cp.cuda.runtime.getDeviceProperties(i)
                name = props.get("name", b"?")
                name = name.decode() if isinstance(name, bytes) else str(name)
                memory = props.get("totalGlobalMem", 0) / 2**30
                print(f"  cuda:{i}: {name}, {memory:.1f} GiB")
                devices.append(f"cuda:{i}")
        except Exception as exc:
            print(f"cupy {getattr(cp, '__version__', '?')}: installed but no usable GPU ({exc})")
    print(f"devices: {', '.join(devices)}")
    return 0


# ---- main -----------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    parser = argparse.ArgumentParser(
        prog=PROG, description="minigan: a from-scratch autodiff engine and the GAN trainer built on it.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (help_text, setup) in COMMANDS.items():
        child = sub.add_parser(name, help=help_text, description=help_text)
        child.set_defaults(_handler=setup(child), _parser=child)
    for add_parser in _subparser_adders():
        child = add_parser(sub)
        if isinstance(child, argparse.ArgumentParser):
            child.set_defaults(_parser=child)
    return parser


def _subparser_adders() -> list:
    """Commands written as ``add_X_parser(subparsers)`` that set ``func`` (the eval commands)."""
    try:
        from .gan.eval_cli import add_eval_parser, add_train_classifier_parser
    except ImportError:
        return []
    return [add_eval_parser, add_train_classifier_parser]


def _runtime_errors() -> tuple:
    from .backend import DeviceError
    from .data.errors import DataError
    from .serialization import CheckpointError
    errors: list = [CommandError, DeviceError, DataError, CheckpointError, OSError]
    try:
        from .gan.trainer import NonFiniteLossError
        errors.append(NonFiniteLossError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 runtime error, 2 usage, 130 Ctrl-C)."""
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 with argparse's message on bad usage
    from . import backend  # deferred: `minigan --help` stays instant (NumPy is not loaded for it)
    backend.tune_allocator()  # measured 15-30% of a NumPy training step; the command owns its process
    handler = getattr(args, "_handler", None) or getattr(args, "func")
    try:
        return int(handler(args) or 0)
    except UsageError as exc:
        getattr(args, "_parser", parser).error(str(exc))  # usage + "minigan train: error: ...", exit 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except _runtime_errors() as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    return 1  # pragma: no cover - parser.error exits


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
